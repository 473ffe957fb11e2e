// Package energy reads inverters, meters and home batteries.
//
// A Source reads one device once (Read). A Poller runs a source on its own
// goroutine with a timeout, backoff and the last good reading, so no source
// ever waits on the bus or the policy path. A Site combines pollers by
// explicit roles (PV from the inverter, grid from a meter, battery from the
// gateway), never by summing everything enabled, and reports per role what
// is missing and why.
//
// Vendor packages below this one register a Kind each (Register); Build
// makes a source from its kind and JSON parameters, Test reads it once for
// the setup wizard.
package energy
