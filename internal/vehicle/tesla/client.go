package tesla

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/teslamotors/vehicle-command/pkg/cache"
	"github.com/teslamotors/vehicle-command/pkg/protocol"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// Config configures a Client; the appliance fills it from config.Vehicle
// and its secrets store.
type Config struct {
	// Connection is Direct or Proxy.
	Connection string
	// App is the developer app the login went through. It renews the
	// tokens: always for Direct, and for Proxy when ProxyToken is empty.
	// Its HTTPClient, if set, is used for the renewals.
	App App
	// Tokens keeps the login. Required for Direct, and for Proxy when
	// ProxyToken is empty: tesla-http-proxy forwards the user's own token.
	Tokens TokenStore
	// PrivateKeyPEM is the app key that signs commands (Direct).
	PrivateKeyPEM secret.String
	// ProxyURL is the proxy's base URL (Proxy).
	ProxyURL string
	// ProxyToken is a hosted proxy's own token, sent instead of the login.
	ProxyToken secret.String
	// ProxyCACert (PEM) is trusted for the proxy's certificate, on top of
	// the system's; ProxyInsecure skips the check altogether.
	ProxyCACert   string
	ProxyInsecure bool
	// HTTPClient, if set, is used as is instead of one built from the
	// settings above (tests pass the fake's).
	HTTPClient *http.Client
	// Clock tells token expiry and rate-limit holds; nil is the system's.
	Clock clock.Clock
	// Logger gets renewals, rate limits and commands sent; nil discards.
	Logger *slog.Logger
	// Timeout bounds one data or wake call, CommandTimeout one command
	// with its handshake. Zero means 20 s and 45 s.
	Timeout, CommandTimeout time.Duration
}

// Client is one connection to the cars; it implements vehicle.API and is
// safe for concurrent use.
type Client struct {
	direct     bool
	base       string // API base: the Fleet API or the proxy, no trailing slash
	where      string // the base in words, for errors
	hint       string // what to check when the base does not answer
	http       *http.Client
	tokens     *tokenSource // nil when a proxy token stands in for the login
	proxyToken secret.String
	key        protocol.ECDHPrivateKey
	// sessions keeps the signed-command sessions between commands, so
	// most commands need no handshake round trip.
	sessions   *cache.SessionCache
	clk        clock.Clock
	log        *slog.Logger
	timeout    time.Duration
	cmdTimeout time.Duration
	hide       []secret.String // fixed secrets kept out of error text

	mu    sync.Mutex // guards until and cars
	until time.Time  // no call before this: Tesla said 429
	cars  map[string]chan struct{}
}

var _ vehicle.API = (*Client)(nil)

// New checks cfg and builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	c := &Client{
		clk:        cfg.Clock,
		log:        cfg.Logger,
		timeout:    cfg.Timeout,
		cmdTimeout: cfg.CommandTimeout,
		http:       cfg.HTTPClient,
		proxyToken: cfg.ProxyToken,
		cars:       make(map[string]chan struct{}),
		hide:       []secret.String{cfg.App.ClientSecret, cfg.ProxyToken, cfg.PrivateKeyPEM},
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = 20 * time.Second
	}
	if c.cmdTimeout <= 0 {
		c.cmdTimeout = 45 * time.Second
	}
	switch cfg.Connection {
	case Direct:
		if err := c.setupDirect(cfg); err != nil {
			return nil, err
		}
	case Proxy:
		if err := c.setupProxy(cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("tesla: unknown connection %q: choose %q or %q in Settings → Car", cfg.Connection, Direct, Proxy)
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	if cfg.Tokens != nil && (c.direct || !cfg.ProxyToken.IsSet()) {
		if cfg.App.ClientID == "" {
			return nil, errors.New("tesla: no client ID: enter your developer app's client ID in Settings → Car")
		}
		if _, err := baseURL(cfg.App.Endpoints.Token); err != nil {
			return nil, fmt.Errorf("tesla: token endpoint: %w", err)
		}
		app := cfg.App
		app.Clock = c.clk
		// Tesla's login service gets a client of its own: a proxy's
		// pasted CA or skipped check must never cover the refresh token.
		hc := cmp.Or(cfg.App.HTTPClient, cfg.HTTPClient)
		if hc == nil {
			hc = defaultHTTPClient()
		}
		c.tokens = &tokenSource{app: app, http: hc, store: cfg.Tokens, clk: c.clk, log: c.log}
	}
	return c, nil
}

func (c *Client) setupDirect(cfg Config) error {
	c.direct = true
	c.where, c.hint = "the Tesla Fleet API", hintInternet
	if cfg.Tokens == nil {
		return errors.New("tesla: the direct connection needs a login: log in in Settings → Car")
	}
	base, err := baseURL(cfg.App.Endpoints.FleetAPI)
	if err != nil {
		return fmt.Errorf("tesla: Fleet API base: %w", err)
	}
	c.base = base
	key, err := commandKey(cfg.PrivateKeyPEM)
	if err != nil {
		return fmt.Errorf("tesla: app key: %w", err)
	}
	c.key = key
	c.sessions = cache.New(0)
	return nil
}

func (c *Client) setupProxy(cfg Config) error {
	base, err := baseURL(cfg.ProxyURL)
	if err != nil {
		return fmt.Errorf("tesla: proxy URL: %w", err)
	}
	c.base = base
	c.where, c.hint = "the proxy at "+base, hintProxy
	if !cfg.ProxyToken.IsSet() && cfg.Tokens == nil {
		return errors.New("tesla: the proxy needs the Tesla login or its own token: log in or enter the proxy token in Settings → Car")
	}
	if c.http != nil || (cfg.ProxyCACert == "" && !cfg.ProxyInsecure) {
		return nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.ProxyInsecure {
		// The user chose this for a proxy on their own network with a
		// self-made certificate they did not paste in.
		tc.InsecureSkipVerify = true
	} else {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool() // no system roots on this box; the pasted CA alone
		}
		if !pool.AppendCertsFromPEM([]byte(cfg.ProxyCACert)) {
			return errors.New("tesla: the proxy CA certificate is not a PEM certificate: paste the whole -----BEGIN CERTIFICATE----- block")
		}
		tc.RootCAs = pool
	}
	hc := defaultHTTPClient()
	hc.Transport.(*http.Transport).TLSClientConfig = tc
	c.http = hc
	return nil
}

// baseURL checks a configured base URL and drops a trailing slash.
func baseURL(s string) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%q is not an https:// address: correct it in Settings → Car", s)
	}
	return s, nil
}

// hold refuses calls for d after a 429.
func (c *Client) hold(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.clk.Now().Add(d); t.After(c.until) {
		c.until = t
	}
	c.log.Warn("tesla: rate limited", "retry_after", d)
}

// held returns the RateLimited error while a 429's wait lasts.
func (c *Client) held() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if wait := c.until.Sub(c.clk.Now()); wait > 0 {
		return &vehicle.RateLimited{RetryAfter: wait}
	}
	return nil
}

// bearer is the token to send: a hosted proxy's own, else the login's.
func (c *Client) bearer(ctx context.Context) (secret.String, error) {
	if c.proxyToken.IsSet() {
		return c.proxyToken, nil
	}
	return c.tokens.access(ctx)
}

// authed runs fn with a token; after a 401 it renews the login once and
// runs fn again. A second 401 means the login is gone.
func (c *Client) authed(ctx context.Context, fn func(secret.String) error) error {
	if err := c.held(); err != nil {
		return err
	}
	tok, err := c.bearer(ctx)
	if err != nil {
		return err
	}
	err = fn(tok)
	if !errors.Is(err, errUnauthorized) {
		return err
	}
	if c.tokens == nil {
		return fmt.Errorf("%s refused its token: check the proxy token in Settings → Car: %w", c.where, vehicle.ErrLogin)
	}
	c.log.Info("tesla: access token refused, renewing the login")
	if tok, err = c.tokens.renew(ctx, tok); err != nil {
		return err
	}
	if err = fn(tok); errors.Is(err, errUnauthorized) {
		return fmt.Errorf("Tesla refused the renewed login too: %w", vehicle.ErrLogin)
	}
	return err
}

// call makes one API request and decodes a 2xx answer into out.
func (c *Client) call(ctx context.Context, method, path string, body []byte, out any) error {
	return c.authed(ctx, func(tok secret.String) error {
		a, err := c.send(ctx, method, path, body, tok)
		if err != nil {
			return err
		}
		if a.status/100 != 2 {
			return c.apiError(a)
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(a.body, out); err != nil {
			return fmt.Errorf("%s answered something other than the expected JSON: %w", c.where, err)
		}
		return nil
	})
}

// scrub masks every secret the client holds in text bound for an error.
func (c *Client) scrub(s string) string {
	hide := c.hide
	if c.tokens != nil {
		c.tokens.mu.Lock()
		hide = append(hide[:len(hide):len(hide)], c.tokens.cur.Access, c.tokens.cur.Refresh)
		c.tokens.mu.Unlock()
	}
	return scrub(s, hide)
}

// lockCar lets one command at a time talk to a car: concurrent commands
// would race for the same session's anti-replay counter.
func (c *Client) lockCar(ctx context.Context, vin string) (unlock func(), err error) {
	c.mu.Lock()
	ch, ok := c.cars[vin]
	if !ok {
		ch = make(chan struct{}, 1)
		c.cars[vin] = ch
	}
	c.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the previous command: %w", ctx.Err())
	}
}
