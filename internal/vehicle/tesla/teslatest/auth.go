package teslatest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// allScopes are the scopes the fake app may be granted.
const allScopes = "openid offline_access user_data vehicle_device_data vehicle_location vehicle_cmds vehicle_charging_cmds"

// codeTTL is how long an authorisation code can be exchanged.
const codeTTL = 10 * time.Minute

type authCode struct {
	challenge string
	redirect  string
	scopes    []string
	expires   time.Time
	used      bool
}

// grant is what an access token allows.
type grant struct {
	scopes  []string
	expires time.Time
	revoked bool
}

func (g *grant) hasAny(scopes []string) bool {
	for _, s := range scopes {
		if slices.Contains(g.scopes, s) {
			return true
		}
	}
	return false
}

type refreshToken struct {
	scopes  []string
	used    bool
	revoked bool
}

// Tokens is a token pair as the fake issued it.
type Tokens struct {
	Access, Refresh string
	Expiry          time.Time
	Scopes          []string
}

// Approve plays the user logging in and approving the app at authURL, the
// address the app sent them to. It returns the address the browser ends
// at, which the user pastes back.
func (s *Server) Approve(authURL string) (string, error) {
	q, err := s.checkAuthorize(authURL)
	if err != nil {
		return "", err
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(s.opts.GrantScopes) > 0 {
		scopes = s.opts.GrantScopes
	}
	code := "NA_" + randomHex(32)
	s.mu.Lock()
	s.codes[code] = &authCode{
		challenge: q.Get("code_challenge"),
		redirect:  q.Get("redirect_uri"),
		scopes:    scopes,
		expires:   s.clk.Now().Add(codeTTL),
	}
	s.mu.Unlock()
	back := url.Values{
		"locale": {"en-US"},
		"code":   {code},
		"state":  {q.Get("state")},
		"issuer": {"https://auth.tesla.com/oauth2/v3"},
	}
	return q.Get("redirect_uri") + "?" + back.Encode(), nil
}

// Deny plays the user cancelling the login at authURL.
func (s *Server) Deny(authURL string) (string, error) {
	q, err := s.checkAuthorize(authURL)
	if err != nil {
		return "", err
	}
	back := url.Values{
		"error":             {"access_denied"},
		"error_description": {"User cancelled the request"},
		"state":             {q.Get("state")},
	}
	return q.Get("redirect_uri") + "?" + back.Encode(), nil
}

// checkAuthorize validates an authorize request as Tesla's login page
// does before showing it.
func (s *Server) checkAuthorize(authURL string) (url.Values, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("teslatest: authorize URL: %w", err)
	}
	if u.Scheme+"://"+u.Host+u.Path != s.AuthorizeURL() {
		return nil, fmt.Errorf("teslatest: %s is not the authorize endpoint %s", u.Scheme+"://"+u.Host+u.Path, s.AuthorizeURL())
	}
	q := u.Query()
	switch {
	case q.Get("response_type") != "code":
		return nil, errors.New("teslatest: response_type must be code")
	case q.Get("client_id") != s.opts.ClientID:
		return nil, fmt.Errorf("teslatest: unknown client_id %q", q.Get("client_id"))
	case q.Get("redirect_uri") != s.opts.RedirectURI:
		return nil, fmt.Errorf("teslatest: redirect_uri %q is not the registered %q", q.Get("redirect_uri"), s.opts.RedirectURI)
	case q.Get("state") == "":
		return nil, errors.New("teslatest: no state")
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		return nil, errors.New("teslatest: scope must include openid")
	case s.opts.ClientSecret == "" && (q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256"):
		return nil, errors.New("teslatest: an app without a secret must use PKCE with S256")
	}
	for _, sc := range strings.Fields(q.Get("scope")) {
		if !strings.Contains(" "+allScopes+" ", " "+sc+" ") {
			return nil, fmt.Errorf("teslatest: unknown scope %q", sc)
		}
	}
	return q, nil
}

// handleAuthorize approves at once and redirects, for a browser-driven
// test.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	to, err := s.Approve(s.AuthorizeURL() + "?" + r.URL.RawQuery)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}

// handleToken is the token endpoint: authorization_code with PKCE, and
// refresh_token with rotation.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	f := r.PostForm
	if f.Get("client_id") != s.opts.ClientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client_id")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		s.exchangeCode(w, f)
	case "refresh_token":
		s.rotate(w, f)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

func (s *Server) exchangeCode(w http.ResponseWriter, f url.Values) {
	if s.opts.ClientSecret != "" && f.Get("client_secret") != s.opts.ClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if f.Get("audience") != s.URL() {
		oauthError(w, http.StatusBadRequest, "invalid_request", "audience must be a Fleet API base URL")
		return
	}
	s.mu.Lock()
	c := s.codes[f.Get("code")]
	switch {
	case c == nil || c.used || s.clk.Now().After(c.expires):
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid_auth_code")
		return
	case c.redirect != f.Get("redirect_uri"):
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorize request")
		return
	}
	// A code is spent by its first exchange, right or wrong, as RFC 6749
	// wants: a stolen code cannot be tried against many verifiers.
	c.used = true
	if c.challenge != "" {
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			s.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match code_challenge")
			return
		}
	}
	t := s.issueLocked(c.scopes)
	s.mu.Unlock()
	s.writeTokens(w, t)
}

func (s *Server) rotate(w http.ResponseWriter, f url.Values) {
	s.mu.Lock()
	old := s.refresh[f.Get("refresh_token")]
	switch {
	case old == nil || old.used:
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_grant", "The refresh_token is invalid")
		return
	case old.revoked:
		s.mu.Unlock()
		oauthError(w, http.StatusUnauthorized, "login_required", "The user must log in again")
		return
	}
	old.used = true
	t := s.issueLocked(old.scopes)
	s.mu.Unlock()
	s.writeTokens(w, t)
}

// issueLocked makes a token pair. Access tokens are JWT-shaped, as
// Tesla's are, with the granted scopes in "scp"; the fake does not sign
// them, and nobody but the fake checks them.
func (s *Server) issueLocked(scopes []string) Tokens {
	now := s.clk.Now()
	exp := now.Add(s.opts.AccessTTL)
	claims, _ := json.Marshal(map[string]any{ // a map of strings and numbers always encodes
		"iss": "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts",
		"aud": []string{s.URL(), s.URL() + "/"},
		"sub": "teslatest-user",
		"scp": scopes,
		"iat": now.Unix(),
		"exp": exp.Unix(),
		"jti": randomHex(16),
	})
	enc := base64.RawURLEncoding.EncodeToString
	access := enc([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." + enc(claims) + "." + enc([]byte(randomHex(32)))
	refresh := "NA_" + randomHex(32)
	s.access[access] = &grant{scopes: scopes, expires: exp}
	s.refresh[refresh] = &refreshToken{scopes: scopes}
	return Tokens{Access: access, Refresh: refresh, Expiry: exp, Scopes: scopes}
}

func (s *Server) writeTokens(w http.ResponseWriter, t Tokens) {
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  t.Access,
		"refresh_token": t.Refresh,
		"id_token":      "teslatest-id-token",
		"expires_in":    int(s.opts.AccessTTL / time.Second),
		"token_type":    "Bearer",
	})
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// checkAccess looks up an access token for an API call.
func (s *Server) checkAccess(tok string) (*grant, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.access[tok]
	switch {
	case g == nil || g.revoked:
		return nil, "invalid bearer token"
	case !s.clk.Now().Before(g.expires):
		return nil, "token expired (401)"
	}
	s.seen[tok] = true
	return g, ""
}

// Login issues a token pair as if the user had just logged in with every
// scope, for tests that do not walk through the login.
func (s *Server) Login() Tokens {
	scopes := strings.Fields(allScopes)
	if len(s.opts.GrantScopes) > 0 {
		scopes = s.opts.GrantScopes
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(scopes)
}

// Revoke plays the user removing the app's access in their Tesla account:
// every token stops working.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.access {
		g.revoked = true
	}
	for _, r := range s.refresh {
		r.revoked = true
	}
}

// Seen reports whether the API has been called with this access token.
func (s *Server) Seen(access string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[access]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
