// Package energytest is a test kit for energy sources: real local servers
// that misbehave the ways devices do, and the checks every source must pass.
package energytest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
)

// Server is an httptest server whose answer a test can switch.
type Server struct {
	*httptest.Server
	mu      sync.Mutex // guards handler
	handler http.HandlerFunc
	Hits    atomic.Int64
}

// NewServer starts a server (TLS if tls is set) answering with h.
func NewServer(t testing.TB, tls bool, h http.HandlerFunc) *Server {
	s := &Server{handler: h}
	hf := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Hits.Add(1)
		s.mu.Lock()
		h := s.handler
		s.mu.Unlock()
		h(w, r)
	})
	if tls {
		s.Server = httptest.NewTLSServer(hf)
	} else {
		s.Server = httptest.NewServer(hf)
	}
	t.Cleanup(s.Close)
	return s
}

// Answer switches the handler.
func (s *Server) Answer(h http.HandlerFunc) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// JSON answers every request with body.
func JSON(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
}

// Status answers with an HTTP error.
func Status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { http.Error(w, http.StatusText(code), code) }
}

// Slow answers after d, or when the client gives up.
func Slow(d time.Duration, then http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Read the request first, as a device does; a client posting a body
		// would otherwise wait on its write instead of on the answer.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(d):
			then(w, r)
		case <-r.Context().Done():
		}
	}
}

// RefusedURL is an http URL on which nothing listens.
func RefusedURL(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// Fault is one way a device fails, and words its error must contain.
type Fault struct {
	Name    string
	Handler http.HandlerFunc // nil: connection refused
	Want    []string         // lower-case fragments the error must contain
}

// HTTPFaults are the faults every HTTP source must report in words. good
// is a valid body; missing is a valid body without a field the source needs.
func HTTPFaults(missing string) []Fault {
	return []Fault{
		{Name: "connection refused", Want: []string{"refused"}},
		{Name: "timeout", Handler: Slow(time.Minute, JSON("{}")), Want: []string{"in time"}},
		{Name: "HTTP 500", Handler: Status(http.StatusInternalServerError), Want: []string{"500"}},
		{Name: "malformed JSON", Handler: JSON(`{"Body": {`), Want: []string{"malformed json"}},
		{Name: "missing field", Handler: JSON(missing), Want: []string{"missing"}},
	}
}

// CheckFaults builds a source for each fault (against a server showing the
// fault, or a refused address) and checks that Read fails with an error that
// names the source and the fault, without panicking.
func CheckFaults(t *testing.T, source string, faults []Fault, build func(url string) energy.Source) {
	t.Helper()
	for _, f := range faults {
		t.Run(f.Name, func(t *testing.T) {
			url := RefusedURL(t)
			if f.Handler != nil {
				url = NewServer(t, false, f.Handler).URL
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			_, err := build(url).Read(ctx)
			CheckError(t, err, source, f.Want...)
		})
	}
}

// CheckError asserts err names source and contains every fragment
// (case-insensitive).
func CheckError(t *testing.T, err error, source string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("read succeeded")
	}
	msg := strings.ToLower(err.Error())
	if !strings.HasPrefix(msg, strings.ToLower(source)+":") {
		t.Errorf("error %q does not start with the source name %q", err, source)
	}
	for _, w := range want {
		if !strings.Contains(msg, strings.ToLower(w)) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// CheckRecovery runs a poller against a server that fails and then comes
// back: the status holds the fault while it lasts, and a fresh reading once
// the server answers again.
func CheckRecovery(t *testing.T, srv *Server, good http.HandlerFunc, src energy.Source) {
	t.Helper()
	p := energy.NewPoller("test", src, energy.PollerConfig{Interval: 10 * time.Millisecond, Timeout: 200 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	srv.Answer(Status(http.StatusServiceUnavailable))
	waitFor(t, "a failure", func() bool { return p.Status().Err != nil })
	srv.Answer(good)
	waitFor(t, "recovery", func() bool { st := p.Status(); return st.Err == nil && !st.Reading.At.IsZero() })
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
