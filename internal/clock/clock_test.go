package clock

import (
	"testing"
	"time"
)

func TestScaledRunsFaster(t *testing.T) {
	c := Scaled(100)
	start := c.Now()
	tm := c.NewTimer(2 * time.Second) // 20 ms of wall time
	wall := time.Now()
	<-tm.C()
	if got := c.Now().Sub(start); got < 2*time.Second {
		t.Fatalf("scaled clock advanced %v, want at least 2s", got)
	}
	if w := time.Since(wall); w > time.Second {
		t.Fatalf("a 2 s scaled timer took %v of wall time", w)
	}
	tm.Reset(time.Second)
	<-tm.C()
	if tm.Stop() {
		t.Fatal("Stop after the timer fired reported an active timer")
	}
}

func TestScaledRejectsZero(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Scaled(0) did not panic")
		}
	}()
	Scaled(0)
}

func TestRealTimer(t *testing.T) {
	c := Real()
	tm := c.NewTimer(time.Millisecond)
	<-tm.C()
	if c.Now().IsZero() {
		t.Fatal("real clock returned zero time")
	}
}
