// Package twc is the Tesla Wall Connector Gen 2 RS-485 protocol codec: pure
// functions over bytes, no I/O.
//
// Entry points:
//   - Decoder turns a byte stream into frame bodies (SLIP un-escaping, the
//     resync rule, length whitelist, checksum, partial-frame timeout, echo
//     suppression), counting everything it drops in Stats.
//   - Parse turns a body into a typed Message; ParseSlaveHeartbeat is the
//     allocation-free variant for the heartbeat path.
//   - Encode / AppendFrame turn a Message into wire bytes. They refuse the
//     codes that damage chargers (FC 19, FC 1A, FB E8) with ErrDangerous.
//
// Lengths follow the charger, not the sender's intent: a body is 14 bytes on
// protocol 1, 16 on protocol 2 and 20 for the long replies of firmware 4.5.3.
package twc
