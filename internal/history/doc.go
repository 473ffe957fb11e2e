// Package history keeps charging sessions and the power history in the
// store's file.
//
// DB is the data: sessions, minute samples (kept 48 hours), quarter-hour
// aggregates (kept two years), daily and monthly totals computed from the
// quarters, lifetime energy per charger and per car, and CSV export.
// Recorder feeds it from the running appliance on its own goroutine, so a
// slow or full disk never holds up the bus.
//
// Durability policy:
//   - a session's start and end are committed before StartSession and
//     EndSession return; its running energy is committed every five minutes,
//     so a crash loses at most five minutes of it, and the next start closes
//     the session at its last update;
//   - power samples are batched: the recorder writes them every ten minutes
//     in one transaction, so a crash loses at most ten minutes of the chart,
//     never a session.
//   - nothing is stamped with wall-clock time before the clock is known good
//     (the appliance boots at 1970 until NTP answers): samples taken before
//     are re-stamped from the monotonic clock once it is, and a session that
//     started before is committed at once without a start time and given one
//     then.
//
// Size is bounded: 48 hours of minute samples (21 bytes each) and two years
// of quarters (26 bytes each), plus the sessions. See docs/history.md for
// measured figures.
package history
