package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/twcmanager/twcmanager/internal/secret"
)

// AdminUser is the one account's name.
const AdminUser = "admin"

// MinPasswordLen is the shortest admin password accepted.
const MinPasswordLen = 10

const (
	sessionCookie = "twc_session"
	sessionTTL    = 30 * 24 * time.Hour
	// Failed logins from one address are slowed: the answer waits
	// 2^(failures-3) seconds, at most maxLoginDelay.
	freeFailures  = 3
	maxLoginDelay = 30 * time.Second
)

// HashPassword returns the bcrypt hash to store for password.
func HashPassword(password string) (secret.String, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return secret.String{}, err
	}
	return secret.New(string(h)), nil
}

// dummyHash makes a login for an unknown user cost what a real one costs, so
// timing does not tell whether the user exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not the password"), bcrypt.DefaultCost)

// checkLogin reports whether user and password match the stored hash, in the
// same time whether or not the user or a hash exists.
func CheckLogin(hash secret.String, user, password string) bool {
	h := []byte(hash.Reveal())
	if !hash.IsSet() || user != AdminUser {
		h = dummyHash
	}
	ok := bcrypt.CompareHashAndPassword(h, []byte(password)) == nil
	return ok && hash.IsSet() && subtle.ConstantTimeCompare([]byte(user), []byte(AdminUser)) == 1
}

// session is one browser's session: anonymous until it logs in. Every
// session has a CSRF token, so the login form is protected too.
type Session struct {
	id      string
	csrf    string
	admin   bool
	expires time.Time
}

// CSRF is the token forms and htmx requests must carry.
func (s *Session) CSRF() string { return s.csrf }

// Admin reports whether the session has logged in.
func (s *Session) Admin() bool { return s.admin }

// Sessions live in memory: a restart logs everyone out, which costs a
// login and keeps nothing on the SD card.
type Sessions struct {
	mu sync.Mutex // guards byID and fails
	// byID holds every live session.
	byID  map[string]*Session
	fails map[string]failures
	now   func() time.Time
}

type failures struct {
	n    int
	last time.Time
}

func NewSessions(now func() time.Time) *Sessions {
	return &Sessions{byID: map[string]*Session{}, fails: map[string]failures{}, now: now}
}

func token() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return base64.RawURLEncoding.EncodeToString(b)
}

// get returns the request's session, creating an anonymous one (and setting
// its cookie) when there is none.
func (s *Sessions) Get(w http.ResponseWriter, r *http.Request) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if c, err := r.Cookie(sessionCookie); err == nil {
		if ss, ok := s.byID[c.Value]; ok && now.Before(ss.expires) {
			return ss
		}
	}
	ss := s.newLocked(now, false)
	setCookie(w, r, ss)
	return ss
}

func (s *Sessions) newLocked(now time.Time, admin bool) *Session {
	for id, ss := range s.byID {
		if now.After(ss.expires) {
			delete(s.byID, id)
		}
	}
	ss := &Session{id: token(), csrf: token(), admin: admin, expires: now.Add(sessionTTL)}
	s.byID[ss.id] = ss
	return ss
}

// login replaces the session by a new, logged-in one: a session id known
// before the login is worth nothing after it.
func (s *Sessions) Login(w http.ResponseWriter, r *http.Request, old *Session) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, old.id)
	ss := s.newLocked(s.now(), true)
	setCookie(w, r, ss)
	return ss
}

func (s *Sessions) Logout(w http.ResponseWriter, r *http.Request, old *Session) {
	s.mu.Lock()
	delete(s.byID, old.id)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func setCookie(w http.ResponseWriter, r *http.Request, ss *Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: ss.id, Path: "/", Expires: ss.expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

// loginDelay is how long to hold back the answer to a login from addr.
func (s *Sessions) LoginDelay(addr string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fails[addr]
	if s.now().Sub(f.last) > 15*time.Minute {
		return 0
	}
	if f.n < freeFailures {
		return 0
	}
	return min(time.Second<<(f.n-freeFailures), maxLoginDelay)
}

func (s *Sessions) Failed(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fails[addr]
	if s.now().Sub(f.last) > 15*time.Minute {
		f.n = 0
	}
	s.fails[addr] = failures{n: f.n + 1, last: s.now()}
}

func (s *Sessions) Succeeded(addr string) {
	s.mu.Lock()
	delete(s.fails, addr)
	s.mu.Unlock()
}

// clientAddr is the address failures are counted for.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// validCSRF checks the request's token (form field csrf, or the
// X-CSRF-Token header htmx sends) against the session's.
func ValidCSRF(r *http.Request, ss *Session) bool {
	t := r.Header.Get("X-CSRF-Token")
	if t == "" {
		t = r.PostFormValue("csrf")
	}
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(ss.csrf)) == 1
}

// localNetwork reports whether the request comes from a private or loopback
// address: the public dashboard is for the house, not the internet.
func LocalNetwork(r *http.Request) bool {
	ip := net.ParseIP(ClientAddr(r))
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast())
}
