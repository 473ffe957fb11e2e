package energytest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
)

// InProcess is an HTTP client that reaches a handler without sockets, so a
// real source and a real device handler can run inside a testing/synctest
// bubble, where network waits would stall fake time. Down makes it refuse
// connections like a device that has switched off.
type InProcess struct {
	Client  *http.Client
	handler http.Handler
	down    atomic.Bool
}

// NewInProcess returns a client for h.
func NewInProcess(h http.Handler) *InProcess {
	p := &InProcess{handler: h}
	p.Client = &http.Client{Transport: p}
	return p
}

// Down switches the device off (true) or on.
func (p *InProcess) Down(off bool) { p.down.Store(off) }

// RoundTrip implements http.RoundTripper.
func (p *InProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	if p.down.Load() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	rec := httptest.NewRecorder()
	p.handler.ServeHTTP(rec, r)
	return rec.Result(), nil
}
