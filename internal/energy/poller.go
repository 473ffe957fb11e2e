package energy

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
)

// PollerConfig tunes a Poller; zero fields take defaults.
type PollerConfig struct {
	Interval   time.Duration // between reads when all is well (default 10 s)
	Timeout    time.Duration // for one read (default 5 s)
	MaxBackoff time.Duration // longest wait after failures (default 1 min)
	Clock      clock.Clock
	Logger     *slog.Logger
}

// Status is a poller's view of its source.
type Status struct {
	// Reading is the last good reading; its At says how old it is.
	Reading Reading
	// Err is the last failure, if the last read failed.
	Err      error
	ErrSince time.Time // first failure of the current run of failures
	Failures int       // consecutive failures
	LastTry  time.Time
}

// Poller reads one source on its own goroutine.
type Poller struct {
	name   string
	src    Source
	cfg    PollerConfig
	status atomic.Pointer[Status]
}

// NewPoller returns a poller for src, known to people as name.
func NewPoller(name string, src Source, cfg PollerConfig) *Poller {
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Poller{name: name, src: src, cfg: cfg}
	p.status.Store(&Status{})
	return p
}

// Source returns the source the poller reads.
func (p *Poller) Source() Source { return p.src }

// Name is the source's name.
func (p *Poller) Name() string { return p.name }

// Status returns the latest status without waiting.
func (p *Poller) Status() Status { return *p.status.Load() }

// Run polls until ctx ends. A failing source is retried with growing waits
// (interval × 2ⁿ, at most MaxBackoff); a source that recovers is polled at
// its interval again.
func (p *Poller) Run(ctx context.Context) {
	t := p.cfg.Clock.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		t.Reset(p.poll(ctx))
	}
}

func (p *Poller) poll(ctx context.Context) time.Duration {
	now := p.cfg.Clock.Now()
	rctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	r, err := p.read(rctx)
	cancel()
	if ctx.Err() != nil {
		return p.cfg.Interval
	}
	st := p.Status()
	st.LastTry = now
	if err == nil {
		if st.Failures > 0 {
			p.cfg.Logger.Info("energy: source answers again", "source", p.name, "after", st.Failures)
		}
		r.At = p.cfg.Clock.Now()
		st.Reading, st.Err, st.Failures, st.ErrSince = r, nil, 0, time.Time{}
		p.status.Store(&st)
		return p.cfg.Interval
	}
	if st.Failures == 0 {
		st.ErrSince = now
		p.cfg.Logger.Warn("energy: source failed", "source", p.name, "err", err)
	}
	st.Err = err
	st.Failures++
	p.status.Store(&st)
	// Back off, but never poll a failing source more often than a healthy
	// one: a cloud API with a daily quota is polled slowly on purpose.
	wait := p.cfg.Interval << min(st.Failures, 6)
	return min(wait, max(p.cfg.MaxBackoff, p.cfg.Interval))
}

// read calls the source, turning a panic in vendor code into an error: a
// device that sends something unexpected must not take the appliance down.
func (p *Poller) read(ctx context.Context) (r Reading, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{v}
		}
	}()
	return p.src.Read(ctx)
}

type panicError struct{ v any }

func (e *panicError) Error() string { return "internal error reading the source" }
