// Package timesync keeps the appliance's clock right with NTP. Syncer runs on
// its own goroutine: it asks the configured servers (changeable at runtime)
// and the local router, sets the system clock when it owns it (on the
// appliance), keeps the last good time in the data directory so a reboot
// without network starts near it, and tells the UI how things stand.
//
// Nothing waits for it: the bus and safety never look at the wall clock;
// schedules and history ask Good before they use it.
package timesync

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/beevik/ntp"

	"github.com/twcmanager/twcmanager/internal/clock"
)

// Config configures a Syncer.
type Config struct {
	// Servers returns the servers to ask, in order; called before every try,
	// so a settings change takes effect at the next one.
	Servers func() []string
	// TryRouter also asks the default gateway, which often serves time.
	TryRouter bool
	// SetSystem sets the system clock from the answer: the appliance owns
	// its clock; a desktop's is kept by its own system.
	SetSystem bool
	// StateFile keeps the last good time; empty keeps none.
	StateFile string
	Timeout   time.Duration // per server (default 5 s)
	Every     time.Duration // between syncs once synced (default 1 h)
	Retry     time.Duration // between tries until synced (default 30 s)
	Clock     clock.Clock
	Logger    *slog.Logger
	// set changes the system clock; tests replace it.
	set func(time.Time) error
}

// State is how the clock stands, for the UI.
type State struct {
	Managed  bool // the appliance sets the system clock
	Synced   bool
	Offset   time.Duration // of the system clock from the server, at the last sync
	LastSync time.Time
	Server   string
	// Problem says in words what is wrong and what to do; empty when fine.
	Problem  string
	Restored time.Time // the saved time the clock was set to at start
}

// Syncer keeps the clock.
type Syncer struct {
	cfg   Config
	state atomic.Pointer[State]
}

// New returns a syncer; Run starts it.
func New(cfg Config) *Syncer {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Hour
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 30 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.set == nil {
		cfg.set = setSystemClock
	}
	s := &Syncer{cfg: cfg}
	s.state.Store(&State{Managed: cfg.SetSystem})
	return s
}

// State returns how the clock stands, without waiting.
func (s *Syncer) State() State { return *s.state.Load() }

// Good reports whether the wall clock can be trusted: synced, or kept by
// the host's own system when the appliance does not manage it.
func (s *Syncer) Good() bool {
	st := s.State()
	return st.Synced || !st.Managed
}

// Run keeps the clock until ctx ends. When the host keeps its own clock
// there is nothing to do.
func (s *Syncer) Run(ctx context.Context) {
	if !s.cfg.SetSystem {
		<-ctx.Done()
		return
	}
	s.restore()
	t := s.cfg.Clock.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.save()
			return
		case <-t.C():
		}
		if s.sync(ctx) {
			t.Reset(s.cfg.Every)
		} else {
			t.Reset(s.cfg.Retry)
		}
	}
}

// sync asks the servers in turn; the first good answer wins.
func (s *Syncer) sync(ctx context.Context) bool {
	servers := s.servers()
	var fails []string
	for _, srv := range servers {
		if ctx.Err() != nil {
			return false
		}
		resp, err := ntp.QueryWithOptions(withPort(srv), ntp.QueryOptions{Timeout: s.cfg.Timeout})
		if err == nil {
			err = resp.Validate()
		}
		if err != nil {
			fails = append(fails, srv+": "+short(err))
			continue
		}
		if s.cfg.SetSystem && resp.ClockOffset.Abs() > 100*time.Millisecond {
			if err := s.cfg.set(time.Now().Add(resp.ClockOffset)); err != nil {
				s.update(func(st *State) {
					st.Problem = "the time server answered but the clock could not be set: " + err.Error()
				})
				return false
			}
		}
		now := s.cfg.Clock.Now()
		s.update(func(st *State) {
			st.Synced, st.Offset, st.LastSync, st.Server, st.Problem = true, resp.ClockOffset, now, srv, ""
		})
		s.cfg.Logger.Info("clock synchronised", "server", srv, "offset", resp.ClockOffset.Round(time.Millisecond))
		s.save()
		return true
	}
	problem := "no time server is configured"
	if len(fails) > 0 {
		problem = "no time server answered (" + strings.Join(fails, "; ") + "): schedules and history wait for the clock; check the network and the time servers in the settings"
	}
	if prev := s.State(); prev.Synced {
		problem = "the clock was synchronised at " + prev.LastSync.Format("15:04") + " but the time servers do not answer now (" + strings.Join(fails, "; ") + ")"
	}
	s.update(func(st *State) { st.Problem = problem })
	return s.State().Synced
}

func (s *Syncer) update(f func(*State)) {
	st := s.State()
	f(&st)
	s.state.Store(&st)
}

// servers is the configured list, and the router when wanted.
func (s *Syncer) servers() []string {
	var out []string
	if s.cfg.Servers != nil {
		out = append(out, s.cfg.Servers()...)
	}
	if s.cfg.TryRouter {
		if gw, err := defaultGateway(); err == nil {
			out = append(out, gw.String())
		}
	}
	return out
}

func withPort(srv string) string {
	if _, _, err := net.SplitHostPort(srv); err == nil {
		return srv
	}
	return net.JoinHostPort(srv, "123")
}

func short(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "no answer"
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "refused"
	}
	return err.Error()
}

// restore sets the clock to the last good time when it is behind it, as
// after a boot at 1970 without network: better than 1970, but not synced.
func (s *Syncer) restore() {
	if !s.cfg.SetSystem || s.cfg.StateFile == "" {
		return
	}
	b, err := os.ReadFile(s.cfg.StateFile)
	if err != nil {
		return
	}
	saved, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
	if err != nil || !time.Now().Before(saved) {
		return
	}
	if err := s.cfg.set(saved); err != nil {
		s.cfg.Logger.Warn("clock: could not restore the last good time", "err", err)
		return
	}
	s.update(func(st *State) { st.Restored = saved })
	s.cfg.Logger.Info("clock set to the last good time until a server answers", "time", saved)
}

// save writes the time now when the clock is synced, atomically.
func (s *Syncer) save() {
	if s.cfg.StateFile == "" || !s.State().Synced {
		return
	}
	tmp := s.cfg.StateFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o600); err != nil {
		s.cfg.Logger.Warn("clock: cannot save the time", "err", err)
		return
	}
	if err := os.Rename(tmp, s.cfg.StateFile); err != nil {
		s.cfg.Logger.Warn("clock: cannot save the time", "err", err)
	}
}

// StateFileIn is the state file's name in a data directory.
func StateFileIn(dir string) string { return filepath.Join(dir, "clock") }

func setSystemClock(t time.Time) error {
	tv := syscall.NsecToTimeval(t.UnixNano())
	if err := syscall.Settimeofday(&tv); err != nil {
		return fmt.Errorf("set the system clock: %w", err)
	}
	return nil
}

// defaultGateway reads the default route from /proc/net/route.
func defaultGateway() (net.IP, error) {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || fields[1] != "00000000" {
			continue
		}
		var gw uint32
		if _, err := fmt.Sscanf(fields[2], "%X", &gw); err != nil || gw == 0 {
			continue
		}
		return net.IPv4(byte(gw), byte(gw>>8), byte(gw>>16), byte(gw>>24)), nil
	}
	return nil, errors.New("no default route")
}
