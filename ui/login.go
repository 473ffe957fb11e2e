package ui

import (
	"net/http"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/ui/web"
)

// loginFailed is the one message for any failed login: it does not tell
// whether the user name or the password was wrong.
const loginFailed = "Wrong user name or password."

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if !s.hasAdmin() {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	web.Render(w, r, http.StatusOK, loginView(web.SessionOf(r), loginForm{User: web.AdminUser, Next: safeNext(r.URL.Query().Get("next"))}))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ss := web.SessionOf(r)
	addr := web.ClientAddr(r)
	// Slow down guessing: after a few failures from one address every answer
	// waits, right or wrong, so a script gains nothing by hurrying.
	if d := s.sess.LoginDelay(addr); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	f := loginForm{User: strings.TrimSpace(r.PostFormValue("user")), Next: safeNext(r.PostFormValue("next"))}
	hash, _ := s.app.Secret(web.AdminHashSecret)
	if !web.CheckLogin(hash, f.User, r.PostFormValue("password")) {
		s.sess.Failed(addr)
		s.log.Warn("ui: failed login", "from", addr)
		f.Error = loginFailed
		web.Render(w, r, http.StatusUnauthorized, loginView(ss, f))
		return
	}
	s.sess.Succeeded(addr)
	s.sess.Login(w, r, ss)
	next := f.Next
	if !s.app.Settings().SetupDone {
		next = "/setup"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.sess.Logout(w, r, web.SessionOf(r))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a redirect on this site.
func safeNext(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, `\`) {
		return "/"
	}
	return p
}

type loginForm struct {
	User, Next, Error string
}
