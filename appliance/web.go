package appliance

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/ui"
	"github.com/twcmanager/twcmanager/ui/web"
)

// serveWeb runs the web interface on a.cfg.Listen until ctx ends. A port
// that cannot be opened is logged and the rest of the appliance goes on: the
// chargers must not stop because a page cannot be served.
func (a *Appliance) serveWeb(ctx context.Context) {
	mux := http.NewServeMux()
	mux.Handle("/api/", api.Handler(a.web))
	mux.Handle("/", ui.New(a.web, ui.Options{Logger: a.log, Now: a.cfg.Clock.Now, Features: ui.Features(), PublicPaths: ui.PublicPaths}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: the dashboard's event stream stays open.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	l, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		a.log.Error("web interface not available: cannot listen", "addr", a.cfg.Listen, "err", err)
		return
	}
	a.listenAddr.Store(l.Addr().String())
	a.log.Info("web interface", "url", "http://"+l.Addr().String()+"/")
	go a.announce(ctx, l.Addr().String())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("web interface stopped", "err", err)
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

// Web is what the web interface sees of the appliance.
func (a *Appliance) Web() web.App { return a.web }
