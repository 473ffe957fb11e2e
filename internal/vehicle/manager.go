package vehicle

import (
	"context"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// Pacing of the calls. Each call is billed, so the Manager errs on the side
// of fewer.
const (
	// callTimeout bounds one call; a call that takes longer counts as the
	// connection being unreachable.
	callTimeout = 45 * time.Second
	// carsMaxAge: the car list is read again, when a decision needs it, at
	// most this often; unknownRefresh: a VIN not on it re-reads it at most
	// this often.
	carsMaxAge     = 6 * time.Hour
	unknownRefresh = time.Hour
	// wakeSettle is how long a woken car is given before it is read again;
	// wakeReads is how many more reads (at doubling intervals) a wake gets
	// before the car is left until the next wake is allowed.
	wakeSettle = 15 * time.Second
	wakeReads  = 3
	// maxWakeBackoff caps the doubling of the time between wakes of a car
	// that does not wake: MinCycle × 2⁴, four hours by default.
	maxWakeBackoff = 4
	// Pauses after errors: Handles is false meanwhile, and the charger
	// stops cars.
	unreachablePause  = 5 * time.Minute
	loginPause        = 6 * time.Hour
	notEnrolledPause  = time.Hour
	unidentifiedPause = 6 * time.Hour
	awayPause         = time.Hour
	failPause         = 15 * time.Minute
	defaultRetryAfter = time.Minute
	// retryBase doubles for each failed try of a wish, up to maxTries.
	retryBase = 30 * time.Second
	maxTries  = 4
	// seenWindow: a charger the policy spoke of this recently may have a
	// car; forgetAfter: one silent this long is forgotten.
	seenWindow  = time.Hour
	forgetAfter = 24 * time.Hour
	// idleTick is how often Run looks at the settings and the calendar
	// while nothing is due. It makes no calls by itself.
	idleTick = time.Minute
)

// Config wires a Manager.
type Config struct {
	// API returns the connection in force, or nil when none is configured;
	// it is asked before every piece of work, as settings change at
	// runtime. It must not block, and should return the same value until
	// the connection changes (a new value clears the login problem).
	API func() API
	// Settings returns the settings in force (nil: the defaults, which have
	// no connection); it must not block.
	Settings func() config.Settings
	Clock    clock.Clock
	// Usage keeps the month's usage across restarts; nil keeps it in memory.
	Usage  UsageStore
	Logger *slog.Logger
}

// Manager makes every call to the cars, from the goroutine running Run. The
// policy hands it wishes with Want and asks Handles; the UI reads Status.
// None of the three waits for the network.
type Manager struct {
	cfg    Config
	clk    clock.Clock
	log    *slog.Logger
	notify chan struct{}
	view   atomic.Pointer[view]

	mu     sync.Mutex // guards latest and retry
	latest map[twc.ID]posted
	retry  bool

	// Owned by Run.
	month     string
	usage     Usage
	saveErr   bool // the last save failed (logged once)
	chargers  map[twc.ID]*charger
	cars      map[string]*car
	order     []string // VINs in the account's order
	listAt    time.Time
	listTried time.Time
	fp        fingerprint
	api       API
	block     blocks
}

// wish is what the policy wants for the car at one charger.
type wish struct {
	vin              string
	charge, override bool
}

type posted struct {
	w    wish
	seen time.Time
}

// charger is the Manager's record of one charger the policy spoke of.
type charger struct {
	id   twc.ID
	w    wish
	seen time.Time
	// pending is set while the wish still needs work, not before next.
	pending bool
	next    time.Time
	tries   int
	// car is the VIN matched to the charger's car.
	car string
	// Handles is false until until, because of why; hard marks a verdict
	// (the car cannot be commanded) rather than a retry, fix one the user
	// can do something about.
	until time.Time
	why   string
	hard  bool
	fix   bool
	// note is what happened last, for Status.
	note string
}

// car is what the Manager knows of one car.
type car struct {
	Car
	listed   bool
	state    ChargeState
	stateAt  time.Time // when state was read; zero: never
	asleepAt time.Time // when a read last found it asleep
	// nextWake is when it may be woken again; wakeRounds counts the wakes
	// since it was last read awake, wakeReads the reads since the last one.
	nextWake   time.Time
	wakeRounds int
	wakeReads  int
	lastStop   time.Time
	lastStart  time.Time
	lastCmd    CommandKind
	lastCmdAt  time.Time
	result     string
	// notEnrolled is when a call said the car lacks the appliance's key.
	notEnrolled time.Time
	note        string
}

// blocks are the connection-wide reasons not to call.
type blocks struct {
	login     error
	loginAt   time.Time
	rateUntil time.Time
	downUntil time.Time
	downErr   error
	lastOK    time.Time
}

// fingerprint changes when the user changes what the Manager depends on.
type fingerprint struct {
	v config.Vehicle
	h config.Home
}

func fingerprintOf(s config.Settings) fingerprint { return fingerprint{s.Vehicle, s.Home} }

// New returns a Manager; it makes no call until Run.
func New(cfg Config) *Manager {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Usage == nil {
		cfg.Usage = &MemoryUsage{}
	}
	if cfg.API == nil {
		cfg.API = func() API { return nil }
	}
	if cfg.Settings == nil {
		cfg.Settings = config.Defaults
	}
	m := &Manager{cfg: cfg, clk: cfg.Clock, log: cfg.Logger, notify: make(chan struct{}, 1),
		latest: map[twc.ID]posted{}, chargers: map[twc.ID]*charger{}, cars: map[string]*car{}}
	m.fp = fingerprintOf(cfg.Settings())
	m.view.Store(&view{fp: m.fp, chargers: map[twc.ID]chargerView{}})
	return m
}

// Want hands over the policy's wish for the car at charger id: charge or
// not, with override when the user asked to charge now (which overrides the
// car's own schedule). vin is what the charger reports, "" when it reports
// none. The latest wish wins; repeating one costs nothing. It never blocks.
func (m *Manager) Want(id twc.ID, vin string, charge, override bool) {
	w := wish{vin: vin, charge: charge, override: override}
	now := m.clk.Now()
	m.mu.Lock()
	p, ok := m.latest[id]
	m.latest[id] = posted{w: w, seen: now}
	m.mu.Unlock()
	if ok && p.w == w {
		return
	}
	m.poke()
}

// Retry forgets the login, enrolment and reachability problems and reads
// the car list again: call it when the user has logged in again.
func (m *Manager) Retry() {
	m.mu.Lock()
	m.retry = true
	m.mu.Unlock()
	m.poke()
}

func (m *Manager) poke() {
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// Run makes the calls until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	timer := m.clk.NewTimer(idleTick)
	defer timer.Stop()
	for {
		next := m.work(ctx)
		now := m.clk.Now()
		m.publish(now)
		wait := idleTick
		if !next.IsZero() {
			wait = max(min(wait, next.Sub(now)), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-m.notify:
		case <-timer.C():
		}
	}
}

// work does what is due and returns when more will be; zero means only
// when something changes.
func (m *Manager) work(ctx context.Context) time.Time {
	now := m.clk.Now()
	s := m.cfg.Settings()
	api := m.cfg.API()
	m.rollMonth(now)
	m.settle(s, api)
	m.collect(now)
	if api == nil {
		for _, ch := range m.chargers {
			ch.pending = false
		}
		return time.Time{}
	}
	if wait, ok := m.mayCall(now); !ok {
		return wait
	}
	if m.listTried.IsZero() {
		// The car list is read once at the start (and for a new connection):
		// it names the cars for the UI and shows a login problem before a
		// car needs stopping. Later it is read only when a decision needs it.
		_ = m.readCars(ctx, api) // a failure is in the blocks and Status
	}
	ids := slices.Sorted(maps.Keys(m.chargers))
	for _, id := range ids {
		ch := m.chargers[id]
		if ctx.Err() != nil {
			return time.Time{}
		}
		if _, ok := m.mayCall(m.clk.Now()); !ok {
			break
		}
		if ch.pending && !m.clk.Now().Before(ch.next) {
			m.process(ctx, api, s, ch)
		}
	}
	now = m.clk.Now()
	next, ok := m.mayCall(now)
	if !ok {
		return next
	}
	for _, ch := range m.chargers {
		if ch.pending && (next.IsZero() || ch.next.Before(next)) {
			next = clock.Later(ch.next, now)
		}
	}
	return next
}

// mayCall reports whether calls may be made now and, if not, until when
// they may not.
func (m *Manager) mayCall(now time.Time) (until time.Time, ok bool) {
	switch {
	case now.Before(m.block.rateUntil):
		return m.block.rateUntil, false
	case now.Before(m.block.downUntil):
		return m.block.downUntil, false
	case m.block.login != nil && now.Before(m.block.loginAt.Add(loginPause)):
		return m.block.loginAt.Add(loginPause), false
	}
	return time.Time{}, true
}

// settle notices changed settings, a new connection, or a Retry: each
// clears the problems that stopped commanding.
func (m *Manager) settle(s config.Settings, api API) {
	m.mu.Lock()
	retry := m.retry
	m.retry = false
	m.mu.Unlock()
	fp := fingerprintOf(s)
	newAPI := !sameAPI(api, m.api)
	if fp == m.fp && !newAPI && !retry {
		return
	}
	m.fp, m.api = fp, api
	m.block.login, m.block.downUntil, m.block.downErr = nil, time.Time{}, nil
	for _, c := range m.cars {
		c.notEnrolled = time.Time{}
	}
	for _, ch := range m.chargers {
		if ch.hard {
			ch.until, ch.why, ch.hard, ch.fix = time.Time{}, "", false, false
		}
	}
	if retry || newAPI {
		m.listAt, m.listTried = time.Time{}, time.Time{}
	}
}

// sameAPI compares two connections without panicking on a dynamic type
// that cannot be compared (such values are taken to be the same).
func sameAPI(a, b API) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta := reflect.TypeOf(a)
	if ta != reflect.TypeOf(b) {
		return false
	}
	return !ta.Comparable() || a == b
}

// collect takes the policy's wishes; a changed wish needs work again.
func (m *Manager) collect(now time.Time) {
	m.mu.Lock()
	latest := maps.Clone(m.latest)
	for id, p := range m.latest {
		if now.Sub(p.seen) > forgetAfter {
			delete(m.latest, id)
		}
	}
	m.mu.Unlock()
	for id, p := range latest {
		ch, known := m.chargers[id]
		if !known {
			ch = &charger{id: id}
			m.chargers[id] = ch
		}
		ch.seen = p.seen
		if known && p.w == ch.w {
			continue
		}
		if p.w.vin != ch.w.vin {
			// Another car: what was known of the last one does not apply.
			ch.car, ch.until, ch.why, ch.hard, ch.fix = "", time.Time{}, "", false, false
		}
		ch.w, ch.pending, ch.next, ch.tries = p.w, true, now, 0
		if ch.hard && now.Before(ch.until) {
			ch.pending = false // the verdict stands until it expires
		}
	}
	for id, ch := range m.chargers {
		if _, ok := latest[id]; !ok && now.Sub(ch.seen) > forgetAfter {
			delete(m.chargers, id)
		}
	}
}

// car returns the record for vin, creating it.
func (m *Manager) car(vin string) *car {
	c := m.cars[vin]
	if c == nil {
		c = &car{Car: Car{VIN: vin}}
		m.cars[vin] = c
	}
	return c
}
