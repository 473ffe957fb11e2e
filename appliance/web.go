package appliance

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/api/metrics"
	"github.com/twcmanager/twcmanager/ui"
	"github.com/twcmanager/twcmanager/ui/web"
)

// webHandler is everything on the web interface's address: the pages, the
// native API under /api/v1/, TWCManager's API under /api/ and /metrics.
func (a *Appliance) webHandler() http.Handler {
	b := a.API()
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.Handler(b))
	mux.Handle("/api/", a.compat)
	mux.Handle("/metrics", metrics.Handler(b))
	mux.Handle("/", ui.New(a.web, ui.Options{Logger: a.log, Now: a.cfg.Clock.Now, Features: ui.Features(), PublicPaths: ui.PublicPaths}))
	return mux
}

// compatHandler is the TWCManager-compatible address (port 8080, which
// TWCManager's clients hard-code): its API, nothing else.
func (a *Appliance) compatHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", a.compat)
	mux.Handle("/metrics", metrics.Handler(a.API()))
	return mux
}

// serve runs h on addr until ctx ends. A port that cannot be opened is
// logged and the rest of the appliance goes on: the chargers must not stop
// because a page cannot be served.
func (a *Appliance) serve(ctx context.Context, what, addr string, h http.Handler, bound *atomic.Value, onListen func(string)) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: the dashboard's event stream stays open.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		a.log.Error(what+" not available: cannot listen", "addr", addr, "err", err)
		return
	}
	bound.Store(l.Addr().String())
	a.log.Info(what, "url", "http://"+l.Addr().String()+"/")
	if onListen != nil {
		go onListen(l.Addr().String())
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error(what+" stopped", "err", err)
		}
	}()
	<-ctx.Done()
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut) // event streams end with ctx; nothing else lingers
	<-done
}

// ListenAddr is the address the web interface listens on, once it does.
func (a *Appliance) ListenAddr() string {
	s, _ := a.listenAddr.Load().(string)
	return s
}

// CompatAddr is the address the TWCManager-compatible API listens on, once
// it does.
func (a *Appliance) CompatAddr() string {
	s, _ := a.compatAddr.Load().(string)
	return s
}

// Web is what the web interface sees of the appliance.
func (a *Appliance) Web() web.App { return a.web }
