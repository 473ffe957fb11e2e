package tesla_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/testutil"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla/teslatest"
)

// Two cars used throughout.
const (
	vin1 = "5YJ3E1EA7KF000001"
	vin2 = "5YJYGDEE2MF000002"
)

// manualClock is a clock.Clock that moves only when told, so token expiry
// and Retry-After are tested without waiting.
type manualClock struct {
	mu     sync.Mutex // guards now and timers
	now    time.Time
	timers []*manualTimer
}

type manualTimer struct {
	c    *manualClock
	ch   chan time.Time
	when time.Time
	live bool
}

func newManualClock() *manualClock { return &manualClock{now: time.Now()} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &manualTimer{c: c, ch: make(chan time.Time, 1), when: c.now.Add(d), live: true}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock on and fires the timers that fall due.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if t.live && !c.now.Before(t.when) {
			t.live = false
			t.ch <- c.now
		}
	}
}

func (t *manualTimer) C() <-chan time.Time { return t.ch }

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.live
	t.live = false
	return was
}

func (t *manualTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.live
	t.when, t.live = t.c.now.Add(d), true
	return was
}

// memStore is a TokenStore in memory that records every Save.
type memStore struct {
	mu     sync.Mutex // guards the fields below
	tok    tesla.Tokens
	saves  []tesla.Tokens
	onSave func(tesla.Tokens) error
}

func (s *memStore) Load() (tesla.Tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok, nil
}

func (s *memStore) Save(t tesla.Tokens) error {
	s.mu.Lock()
	check := s.onSave
	s.mu.Unlock()
	if check != nil {
		if err := check(t); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok = t
	s.saves = append(s.saves, t)
	return nil
}

func (s *memStore) set(t teslatest.Tokens) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok = tesla.Tokens{Access: secret.New(t.Access), Refresh: secret.New(t.Refresh), Expiry: t.Expiry, Scopes: t.Scopes}
}

func (s *memStore) saved() []tesla.Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]tesla.Tokens(nil), s.saves...)
}

// rig is the fake Tesla with a logged-in user, an app key, two cars and a
// shared manual clock.
type rig struct {
	fake    *teslatest.Server
	clk     *manualClock
	store   *memStore
	app     tesla.App
	login   teslatest.Tokens
	private secret.String
	public  string
	logs    *testutil.Buffer
	log     *slog.Logger
}

func newRig(t *testing.T, opts teslatest.Options) *rig {
	t.Helper()
	clk := newManualClock()
	opts.Clock = clk
	fake := teslatest.New(opts)
	t.Cleanup(fake.Close)
	fake.AddCar(teslatest.Car{VIN: vin1, Name: "Red", SoC: 55, Limit: 90, Charging: "Stopped", RequestAmps: 16, MaxAmps: 32})
	fake.AddCar(teslatest.Car{VIN: vin2, Name: "Blue", SoC: 70, Charging: "Disconnected"})
	priv, pub, err := tesla.NewAppKey()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Buffer{}
	r := &rig{
		fake:    fake,
		clk:     clk,
		store:   &memStore{},
		private: priv,
		public:  pub,
		logs:    logs,
		log:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		app: tesla.App{
			ClientID:    fake.ClientID(),
			RedirectURI: fake.RedirectURI(),
			Endpoints:   tesla.Endpoints{Authorize: fake.AuthorizeURL(), Token: fake.TokenURL(), FleetAPI: fake.URL()},
			HTTPClient:  fake.Client(),
			Clock:       clk,
		},
	}
	r.login = fake.Login()
	r.store.set(r.login)
	return r
}

func (r *rig) config(connection string) tesla.Config {
	return tesla.Config{
		Connection:    connection,
		App:           r.app,
		Tokens:        r.store,
		PrivateKeyPEM: r.private,
		HTTPClient:    r.fake.Client(),
		Clock:         r.clk,
		Logger:        r.log,
	}
}

func (r *rig) client(t *testing.T, cfg tesla.Config) *tesla.Client {
	t.Helper()
	c, err := tesla.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// direct is a Client on the direct connection, its key enrolled on vin1.
func (r *rig) direct(t *testing.T) *tesla.Client {
	t.Helper()
	if err := r.fake.Enroll(vin1, r.public); err != nil {
		t.Fatal(err)
	}
	return r.client(t, r.config(tesla.Direct))
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}
