// Package twcsim simulates Tesla Wall Connector Gen 2 chargers in slave mode,
// speaking the slave side of the protocol over any byte stream: an in-memory
// Link for tests and the demo, or a serial device (cmd/twcsim) at the far end of
// a pseudo-terminal or null-modem pair.
//
// Entry points: NewLink for an in-memory adapter the master can open, unplug
// and re-plug; New to build a Sim of up to three chargers; Sim.Run to serve the
// bus; Charger.PlugIn / Unplug / Silence to steer a charger from a test.
//
// What it models, from the protocol spec: link-ready every 10 s without a
// master (and five after a second master link-ready 2), heartbeat replies that
// mirror the offered limit, firmware profiles (protocol 1; protocol 2 old
// firmware; 4.5.3 with meter currents, serial, extended firmware, VIN and relay
// commands), a car that draws 0.8 A below the offer and ramps up through the
// "starting" state, stops when full, and integrates lifetime energy on one
// phase at 240 V or three at 230 V. Faults: byte corruption, dropped replies,
// reply delay, a trailing junk byte after frames, adapter echo.
//
// Config.Master (or Sim.SetMaster) adds the real-master profile: a charger set
// as master that runs the bus for the simulated slaves, for an appliance in
// monitor mode. Replay plays a bus capture back onto a port with its
// original timing, or faster.
package twcsim
