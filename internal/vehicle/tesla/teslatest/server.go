// Package teslatest is a fake of Tesla's cloud for tests: the OAuth login
// and token endpoints, the Fleet API's data, wake and command endpoints
// with the car's side of the signed-command protocol, and a command proxy
// in the manner of tesla-http-proxy.
//
// It keeps Tesla's rules: authorisation codes and refresh tokens are
// single-use, PKCE is checked, access tokens expire, a sleeping car gives
// 408 until woken, a car answers signed commands only from enrolled keys,
// and every call is counted by billing kind. Failures can be injected.
// New starts it; Close stops it.
package teslatest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	universal "github.com/teslamotors/vehicle-command/pkg/protocol/protobuf/universalmessage"

	"github.com/twcmanager/twcmanager/internal/clock"
)

// Kind is a billing category of the Fleet API.
type Kind string

// The kinds calls are counted by.
const (
	Data    Kind = "data"
	Wake    Kind = "wake"
	Command Kind = "command"
	// Token calls (logins and renewals) are not billed by Tesla.
	Token Kind = "token"
)

// Options shape the fake account and its developer app.
type Options struct {
	// ClientID is the developer app's; default "teslatest-client".
	ClientID string
	// ClientSecret, if set, must accompany the code exchange.
	ClientSecret string
	// RedirectURI is the one registered; default
	// "https://appliance.example/callback".
	RedirectURI string
	// Clock tells token expiry and wake-up; nil is the system clock. The
	// cars' session clocks always run on real time, as vehicle-command's
	// do.
	Clock clock.Clock
	// AccessTTL is an access token's life; default 8 h, like Tesla's.
	AccessTTL time.Duration
	// WakeDelay is how long a sleeping car takes to come online after a
	// wake_up.
	WakeDelay time.Duration
	// ProxyToken, if set, is the proxy's own token (a hosted proxy);
	// otherwise the proxy takes the user's Tesla token, as
	// tesla-http-proxy does.
	ProxyToken string
	// GrantScopes, if set, are what the user ticks on the consent page,
	// whatever the app asked for.
	GrantScopes []string
}

// Failure makes calls fail; see Server.Fail.
type Failure struct {
	// Kind is which calls fail; empty means every kind but Token.
	Kind Kind
	// Status is answered instead of the real answer; 0 answers normally
	// after Delay.
	Status int
	// RetryAfter is sent with the status, for 429s.
	RetryAfter string
	// Delay holds the answer this long, or until the client gives up.
	Delay time.Duration
	// Times is how many calls fail; 0 means 1.
	Times int
	// Message replaces the error text, for a server that says odd things.
	Message string
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	opts  Options
	clk   clock.Clock
	fleet *httptest.Server
	proxy *httptest.Server

	mu         sync.Mutex // guards everything below
	cars       map[string]*car
	order      []string // VINs as added, the list's order
	codes      map[string]*authCode
	access     map[string]*grant
	refresh    map[string]*refreshToken
	seen       map[string]bool // access tokens the API has been called with
	calls      map[Kind]int
	billed     map[Kind]int
	failures   []*Failure
	commands   []Recorded
	handshakes int
	proxyKeyOK bool
}

// New starts the fake's two TLS servers: Tesla (auth and Fleet API) and
// the proxy.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = "teslatest-client"
	}
	if opts.RedirectURI == "" {
		opts.RedirectURI = "https://appliance.example/callback"
	}
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = 8 * time.Hour
	}
	s := &Server{
		opts:       opts,
		clk:        opts.Clock,
		cars:       make(map[string]*car),
		codes:      make(map[string]*authCode),
		access:     make(map[string]*grant),
		refresh:    make(map[string]*refreshToken),
		seen:       make(map[string]bool),
		calls:      make(map[Kind]int),
		billed:     make(map[Kind]int),
		proxyKeyOK: true,
	}
	if s.clk == nil {
		s.clk = clock.Real()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/v3/authorize", s.handleAuthorize)
	mux.Handle("POST /oauth2/v3/token", s.counted(Token, http.HandlerFunc(s.handleToken)))
	mux.Handle("GET /api/1/vehicles", s.api(Data, scopeData, s.handleList))
	mux.Handle("GET /api/1/vehicles/{vin}", s.api(Data, scopeData, s.handleVehicle))
	mux.Handle("GET /api/1/vehicles/{vin}/vehicle_data", s.api(Data, scopeData, s.handleVehicleData))
	mux.Handle("POST /api/1/vehicles/{vin}/wake_up", s.api(Wake, scopeData, s.handleWake))
	mux.Handle("POST /api/1/vehicles/{vin}/signed_command", s.api(Command, scopeCommands, s.handleSigned))
	mux.Handle("POST /api/1/vehicles/{vin}/command/{name}", s.api(Command, scopeCommands, s.handleREST))
	s.fleet = httptest.NewTLSServer(mux)

	pmux := http.NewServeMux()
	pmux.Handle("POST /api/1/vehicles/{vin}/command/{name}", s.proxyAuth(s.api(Command, scopeCommands, s.handleProxyCommand)))
	pmux.Handle("/", s.proxyAuth(mux))
	s.proxy = httptest.NewTLSServer(pmux)
	return s
}

// Close stops both servers.
func (s *Server) Close() {
	s.proxy.Close()
	s.fleet.Close()
}

// URL is the Fleet API base, which is also the tokens' audience.
func (s *Server) URL() string { return s.fleet.URL }

// AuthorizeURL is the login page.
func (s *Server) AuthorizeURL() string { return s.fleet.URL + "/oauth2/v3/authorize" }

// TokenURL is the token endpoint.
func (s *Server) TokenURL() string { return s.fleet.URL + "/oauth2/v3/token" }

// ProxyURL is the command proxy's base.
func (s *Server) ProxyURL() string { return s.proxy.URL }

// ClientID is the developer app's client ID.
func (s *Server) ClientID() string { return s.opts.ClientID }

// RedirectURI is the developer app's registered redirect URI.
func (s *Server) RedirectURI() string { return s.opts.RedirectURI }

// Client is an HTTP client that trusts both servers' certificate.
func (s *Server) Client() *http.Client { return s.fleet.Client() }

// CertPEM is the servers' certificate, for a client told to trust it.
func (s *Server) CertPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.fleet.Certificate().Raw}))
}

// Calls counts the calls of a kind received, failed ones included.
func (s *Server) Calls(k Kind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[k]
}

// Billed counts the calls of a kind Tesla would bill: those answered
// with a status below 500.
func (s *Server) Billed(k Kind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.billed[k]
}

// Fail makes the next f.Times calls of f.Kind fail as f says. Failures
// queue: each call takes the first that matches it.
func (s *Server) Fail(f Failure) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &f)
}

// takeFailure removes and returns the failure for one call of kind k.
func (s *Server) takeFailure(k Kind) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.failures {
		if f.Kind == k || (f.Kind == "" && k != Token) {
			f.Times--
			if f.Times == 0 {
				s.failures = append(s.failures[:i], s.failures[i+1:]...)
			}
			return *f, true
		}
	}
	return Failure{}, false
}

// statusWriter remembers the status, to count billed calls.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// counted counts a call, applies injected failures, and counts it billed
// if it ends below 500.
func (s *Server) counted(k Kind, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[k]++
		s.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if sw.status != 0 && sw.status < 500 {
				s.mu.Lock()
				s.billed[k]++
				s.mu.Unlock()
			}
		}()
		if f, ok := s.takeFailure(k); ok {
			if f.Delay > 0 {
				// Read the body first: only then does net/http watch the
				// connection and cancel the request when the client gives up.
				b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
				if err != nil {
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(b))
				select {
				case <-time.After(f.Delay):
				case <-r.Context().Done():
					return
				}
			}
			if f.Status != 0 {
				if f.RetryAfter != "" {
					sw.Header().Set("Retry-After", f.RetryAfter)
				}
				msg := f.Message
				if msg == "" {
					msg = failureText(f.Status)
				}
				writeError(sw, f.Status, msg)
				return
			}
		}
		next.ServeHTTP(sw, r)
	})
}

func failureText(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "invalid bearer token"
	case http.StatusRequestTimeout:
		return asleepText
	case http.StatusTooManyRequests:
		return "Too many requests"
	}
	return strings.ToLower(http.StatusText(status))
}

// asleepText is Tesla's words for a car that does not answer.
const asleepText = "vehicle unavailable: vehicle is offline or asleep"

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing to tell
}

// writeError answers in the Fleet API's error shape.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"response": nil, "error": msg, "error_description": ""})
}

// grantKey marks a request the proxy has authorised with its own token.
type grantKey struct{}

// proxyAuth checks a hosted proxy's own token; without one configured the
// user's Tesla token passes through, as with tesla-http-proxy.
func (s *Server) proxyAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.ProxyToken != "" {
			if bearer(r) != s.opts.ProxyToken {
				writeError(w, http.StatusUnauthorized, "invalid proxy token")
				return
			}
			all := &grant{scopes: strings.Fields(allScopes), expires: s.clk.Now().Add(time.Hour)}
			r = r.WithContext(context.WithValue(r.Context(), grantKey{}, all))
		}
		next.ServeHTTP(w, r)
	})
}

func bearer(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return tok
}

// Required scopes, any one of which admits a call.
var (
	scopeData     = []string{"vehicle_device_data"}
	scopeCommands = []string{"vehicle_cmds", "vehicle_charging_cmds"}
)

// api counts a Fleet API call and checks its token and scopes.
func (s *Server) api(k Kind, need []string, h func(http.ResponseWriter, *http.Request, *grant)) http.Handler {
	return s.counted(k, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := r.Context().Value(grantKey{}).(*grant)
		if g == nil {
			var msg string
			g, msg = s.checkAccess(bearer(r))
			if g == nil {
				writeError(w, http.StatusUnauthorized, msg)
				return
			}
		}
		if !g.hasAny(need) {
			writeError(w, http.StatusForbidden, "Unauthorized missing scopes")
			return
		}
		h(w, r, g)
	}))
}

// domainName names a car domain for recorded commands.
func domainName(d universal.Domain) string {
	switch d {
	case universal.Domain_DOMAIN_INFOTAINMENT:
		return "infotainment"
	case universal.Domain_DOMAIN_VEHICLE_SECURITY:
		return "vcsec"
	}
	return d.String()
}
