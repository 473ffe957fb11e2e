package mqttconn

import (
	"context"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	if d := Backoff(0); d != 0 {
		t.Errorf("first attempt waits %v", d)
	}
	for n := 1; n < 20; n++ {
		full := min(500*time.Millisecond<<min(n-1, 7), time.Minute)
		if d := Backoff(n); d < full/2 || d > full {
			t.Errorf("attempt %d waits %v, want %v to %v", n, d, full/2, full)
		}
	}
}

func TestWords(t *testing.T) {
	if got := Reason(0x87); got != "not authorized, reason code 0x87" {
		t.Errorf("Reason(0x87) = %q", got)
	}
	if got := Reason(0x01); got != "reason code 0x01" {
		t.Errorf("Reason(0x01) = %q", got)
	}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	if got := NetError(fmt.Errorf("connect: %w", dial)); got != syscall.ECONNREFUSED {
		t.Errorf("NetError(dial) = %v", got)
	}
	if got := NetError(context.DeadlineExceeded).Error(); got != "no answer in time" {
		t.Errorf("NetError(deadline) = %q", got)
	}
}
