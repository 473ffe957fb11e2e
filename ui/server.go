package ui

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/ui/web"
)

//go:embed static
var staticFS embed.FS

// Feature is a part of the interface that adds its routes.
type Feature func(mux *http.ServeMux, d web.Deps)

// Options tunes the server.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Features add pages (dashboard, settings, …).
	Features []Feature
	// PublicPaths may be read without login when the dashboard is public.
	PublicPaths []string
}

// Server is the web interface.
type Server struct {
	app  web.App
	sess *web.Sessions
	log  *slog.Logger
	opts Options
	mux  *http.ServeMux
}

// New returns the web interface's handler.
func New(app web.App, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{app: app, sess: web.NewSessions(opts.Now), log: opts.Logger, opts: opts, mux: http.NewServeMux()}
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("POST /logout", s.logout)
	for _, f := range opts.Features {
		f(s.mux, web.Deps{App: app, Sessions: s.sess, Log: opts.Logger})
	}
	cop := http.NewCrossOriginProtection()
	return securityHeaders(cop.Handler(s))
}

// ServeHTTP attaches the session, checks CSRF and the login, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/static/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	ss := s.sess.Get(w, r)
	r = web.WithSession(r, ss)
	if unsafe(r.Method) && !web.ValidCSRF(r, ss) {
		http.Error(w, "This form has expired or did not come from this page: reload the page and try again.", http.StatusForbidden)
		return
	}
	if !s.allowed(r, ss) {
		if r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" {
			http.Redirect(w, r, s.entry(r), http.StatusSeeOther)
			return
		}
		http.Error(w, "Log in first.", http.StatusUnauthorized)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func unsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// hasAdmin reports whether the first-boot password has been set.
func (s *Server) hasAdmin() bool {
	h, err := s.app.Secret(web.AdminHashSecret)
	return err == nil && h.IsSet()
}

// allowed decides who may see what: the wizard's first step before any
// password exists, the login page always, the dashboard without login when
// the user chose so (local network only), everything else after login.
func (s *Server) allowed(r *http.Request, ss *web.Session) bool {
	p := r.URL.Path
	switch {
	case p == "/login" || p == "/logout":
		return true
	case !s.hasAdmin():
		return strings.HasPrefix(p, "/setup")
	case ss.Admin():
		return true
	case r.Method == http.MethodGet && s.app.Settings().Web.PublicDashboard && web.LocalNetwork(r):
		for _, pub := range s.opts.PublicPaths {
			if p == pub {
				return true
			}
		}
	}
	return false
}

// entry is where a visitor who may not see r goes instead.
func (s *Server) entry(r *http.Request) string {
	if !s.hasAdmin() {
		return "/setup"
	}
	return "/login?next=" + r.URL.Path
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Vendored files carry their version in the name.
		if strings.HasPrefix(r.URL.Path, "vendor/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		h.ServeHTTP(w, r)
	})
}
