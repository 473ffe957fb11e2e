// Package diagnostics is the page for finding out what is wrong: the bus
// counters, each with what it means, the recent bus frames decoded, the
// chargers' details, the energy sources' and the history's status, and a
// form that sends one read-only query (bus.SafeQueries) to a charger.
//
// Register adds GET /diagnostics and POST /diagnostics/query. Nothing here
// can send raw bytes to the bus.
package diagnostics
