package twcsim

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus/capture"
	"github.com/twcmanager/twcmanager/internal/clock"
)

// ReplayConfig configures Replay.
type ReplayConfig struct {
	// Speed divides the capture's times: 1 (or 0) plays it as recorded, 10
	// ten times faster.
	Speed float64
	// ReceivedOnly leaves out the bytes the recording appliance sent itself,
	// for an appliance in control mode that sends its own.
	ReceivedOnly bool
	Clock        clock.Clock
}

// Replay writes a capture's bytes to port with the spacing they were
// recorded with, divided by Speed, and returns once all are written, with
// nil, or when ctx ends, with its error. Unlike Sim it does not listen: the
// bus plays out as it did, whatever the far end sends.
func Replay(ctx context.Context, port io.Writer, c *capture.Capture, cfg ReplayConfig) error {
	speed := cfg.Speed
	if speed == 0 {
		speed = 1
	}
	if !(speed > 0) {
		return fmt.Errorf("twcsim: replay speed %v; want a number above 0", cfg.Speed)
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Real()
	}
	start := clk.Now()
	for i, r := range c.Records {
		if cfg.ReceivedOnly && r.Dir != capture.Received {
			continue
		}
		due := start.Add(time.Duration(float64(r.At) / speed))
		if err := sleepUntil(ctx, clk, due); err != nil {
			return err
		}
		if _, err := port.Write(r.Data); err != nil {
			return fmt.Errorf("twcsim: replay record %d of %d (at %v): %w", i+1, len(c.Records), r.At, err)
		}
	}
	return nil
}

func sleepUntil(ctx context.Context, clk clock.Clock, due time.Time) error {
	wait := due.Sub(clk.Now())
	if wait <= 0 {
		return ctx.Err()
	}
	t := clk.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
