package twcsim

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus/capture"
)

// timedWriter keeps when each write came.
type timedWriter struct {
	at   []time.Duration
	data []byte
	t0   time.Time
	err  error
}

func (w *timedWriter) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.at = append(w.at, time.Since(w.t0))
	w.data = append(w.data, b...)
	return len(b), nil
}

func sampleCapture() *capture.Capture {
	return &capture.Capture{Start: time.Unix(0, 0), Length: 3 * time.Second, Records: []capture.Record{
		{At: 0, Dir: capture.Sent, Data: []byte{0xC0, 1}},
		{At: 500 * time.Millisecond, Dir: capture.Received, Data: []byte{2}},
		{At: 2 * time.Second, Dir: capture.Received, Data: []byte{3, 0xC0}},
	}}
}

func TestReplayKeepsTheTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, c := range []struct {
			cfg  ReplayConfig
			at   []time.Duration
			data string
		}{
			{ReplayConfig{}, []time.Duration{0, 500 * time.Millisecond, 2 * time.Second}, "\xC0\x01\x02\x03\xC0"},
			{ReplayConfig{Speed: 4}, []time.Duration{0, 125 * time.Millisecond, 500 * time.Millisecond}, "\xC0\x01\x02\x03\xC0"},
			{ReplayConfig{ReceivedOnly: true}, []time.Duration{500 * time.Millisecond, 2 * time.Second}, "\x02\x03\xC0"},
		} {
			w := &timedWriter{t0: time.Now()}
			if err := Replay(context.Background(), w, sampleCapture(), c.cfg); err != nil {
				t.Fatal(err)
			}
			if string(w.data) != c.data || len(w.at) != len(c.at) {
				t.Fatalf("%+v: wrote % X at %v", c.cfg, w.data, w.at)
			}
			for i := range c.at {
				if w.at[i] != c.at[i] {
					t.Errorf("%+v: write %d at %v, want %v", c.cfg, i, w.at[i], c.at[i])
				}
			}
		}
	})
}

func TestReplayStopsAndFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		w := &timedWriter{t0: time.Now()}
		if err := Replay(ctx, w, sampleCapture(), ReplayConfig{}); !errors.Is(err, context.DeadlineExceeded) || len(w.data) != 3 {
			t.Errorf("cut off after 1 s: %v, wrote % X", err, w.data)
		}
		err := Replay(context.Background(), &timedWriter{err: errors.New("port gone")}, sampleCapture(), ReplayConfig{})
		if err == nil || err.Error() != "twcsim: replay record 1 of 3 (at 0s): port gone" {
			t.Errorf("write error: %v", err)
		}
		for _, speed := range []float64{-1, math.NaN()} {
			if err := Replay(context.Background(), &timedWriter{}, sampleCapture(), ReplayConfig{Speed: speed}); err == nil ||
				!strings.Contains(err.Error(), "want a number above 0") {
				t.Errorf("speed %v: %v", speed, err)
			}
		}
	})
}
