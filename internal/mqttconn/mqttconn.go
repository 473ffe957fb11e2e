// Package mqttconn is what the appliance's two MQTT clients (the energy
// source in internal/energy/mqtt and the status/control service in
// internal/api/mqtt) share about a broker connection: how long to wait
// before reconnecting, and a failure in words a person can act on.
package mqttconn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"
)

// Backoff is the wait before reconnect attempt n (0 for the first): quick
// after a broker restart, at most a minute while it stays away, with jitter
// so that many appliances do not return in step.
func Backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := min(500*time.Millisecond<<min(n-1, 7), time.Minute)
	return d/2 + rand.N(d/2+1)
}

// NetError words a network failure for people: the dial's own address is
// dropped because the caller's sentence names the broker already.
func NetError(err error) error {
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("no answer in time")
	case errors.As(err, &op) && op.Err != nil:
		return op.Err
	}
	return err
}

// reasons are the MQTT 5 reason codes a user can act on.
var reasons = map[byte]string{
	0x80: "unspecified error",
	0x81: "malformed packet",
	0x82: "protocol error",
	0x84: "unsupported protocol version",
	0x85: "client identifier not accepted",
	0x86: "bad user name or password",
	0x87: "not authorized",
	0x88: "server unavailable",
	0x89: "server busy",
	0x8A: "banned",
	0x8B: "server shutting down",
	0x8D: "keep-alive timeout",
	0x8E: "another client connected with the same client identifier",
	0x8F: "topic filter not accepted",
	0x90: "topic name invalid",
	0x95: "message too large",
	0x97: "quota exceeded",
	0x9C: "use another server",
	0x9D: "server moved",
	0x9F: "connection rate exceeded",
}

// Reason words an MQTT 5 reason code, with the code for the broker's log.
func Reason(code byte) string {
	if r, ok := reasons[code]; ok {
		return fmt.Sprintf("%s, reason code 0x%02X", r, code)
	}
	return fmt.Sprintf("reason code 0x%02X", code)
}
