// Package bus is the RS-485 bus master for Tesla Wall Connector Gen 2 chargers
// in slave mode.
//
// One goroutine, Master.Run, owns the serial port: it discovers up to three
// chargers, sends each a heartbeat about once a second, fits info queries
// (firmware, serial, model, meter, VIN) between heartbeats, detects faults and
// reopens the adapter when it comes back. Everything else talks to it without
// waiting on it:
//   - currents come in through a Targets value read on the heartbeat path
//     (TargetTable is a lock-free one) and are clamped inside the master to the
//     charger's advertised maximum, the configured per-charger limit and the
//     shared-circuit limit before they are encoded;
//   - state goes out as an immutable Snapshot;
//   - Stop and Start hand requests to the owner through a channel.
//
// In monitor mode (Config.Monitor, SetMonitor) a charger set as master runs
// the bus and the master only listens: the port is wrapped when it is opened
// so that nothing can be written, and the same Snapshot is filled from the
// traffic between that master and its slaves. StartCapture records the raw
// bus bytes into a file (package capture) that twcsim.Replay plays back.
//
// Time comes from a clock.Clock, so tests run an hour of bus time in well
// under a second (testing/synctest) or minutes over a real pseudo-terminal.
package bus
