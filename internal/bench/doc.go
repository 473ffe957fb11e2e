// Package bench measures twcmanager the way its users judge it: how much of
// the sun ends up in the car without importing from the grid, whether every
// charger gets its heartbeat in time while the appliance is busy, and what it
// costs in memory and CPU.
//
// Three measurements, each with its baselines in the same run:
//
//   - RunDay runs the real bus master, simulated chargers and cars
//     (internal/twcsim) and a simulated house with solar panels
//     (internal/energy/sim) through one day profile, with our policy
//     (internal/policy) or TWCManager's green-energy algorithm
//     (TWCManagerGreen) setting the targets. Oracle computes, from the same
//     house, what perfect tracking could have charged. RunDay uses the real
//     clock: it is meant to run inside a testing/synctest bubble, where a
//     day passes in about a second (see TestDayProfiles and scripts/bench.sh).
//   - RunBus runs the whole appliance in demo mode with three chargers, in
//     real time, while HTTP clients, a Fronius-shaped meter and history
//     writes load it, and measures every charger's heartbeat intervals from
//     the master's frame log.
//   - RunFootprint starts the twcmanager binary with -demo and three
//     chargers, keeps the dashboard's event stream open, and samples its
//     resident memory and CPU time from /proc.
//
// Render turns the three results into docs/benchmarks.md. Figures are
// reported, never asserted: the tests in this package check only the
// arithmetic.
package bench
