package tesla

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// App is the user's own Tesla developer app, which the login goes through.
type App struct {
	ClientID string
	// ClientSecret is optional: apps registered for PKCE need none.
	ClientSecret secret.String
	// RedirectURI is registered with the app; the user pastes back the
	// address the browser ends at, so nothing needs to reach the appliance.
	RedirectURI string
	Endpoints   Endpoints
	// HTTPClient is used for the token endpoint; nil means a default client.
	HTTPClient *http.Client
	// Clock dates the tokens' expiry; nil means the system clock.
	Clock clock.Clock
}

// Login is one login attempt: the URL the user opens, and what Exchange
// needs to finish it. Keep it between the two steps, in memory.
type Login struct {
	URL   string
	State string
	// Verifier is the PKCE secret the code is exchanged with.
	Verifier secret.String
}

// tokenTimeout bounds one call to the token endpoint.
const tokenTimeout = 30 * time.Second

// AuthURL starts a login: the user opens Login.URL, approves the app and
// pastes back the address the browser ends at, which Exchange finishes.
func (a App) AuthURL() (Login, error) {
	if a.ClientID == "" {
		return Login{}, errors.New("tesla: login: no client ID: enter your developer app's client ID in Settings → Car")
	}
	if a.RedirectURI == "" {
		return Login{}, errors.New("tesla: login: no redirect URI: enter the one registered with your developer app in Settings → Car")
	}
	u, err := url.Parse(a.Endpoints.Authorize)
	if err != nil || u.Host == "" {
		return Login{}, fmt.Errorf("tesla: login: the authorize endpoint %q is not a URL", a.Endpoints.Authorize)
	}
	// RFC 7636 wants 43 to 128 unreserved characters; two rand.Text
	// make 52 with 256 bits of entropy.
	verifier := rand.Text() + rand.Text()
	state := rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {a.ClientID},
		"redirect_uri":          {a.RedirectURI},
		"scope":                 {Scopes},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		// Ask again for scopes the user once left out, rather than
		// silently logging in without charging commands.
		"prompt_missing_scopes": {"true"},
	}
	// Tesla's examples encode spaces in scope as %20; every other '+' is
	// already escaped by Encode, so the replacement touches only spaces.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return Login{URL: u.String(), State: state, Verifier: secret.New(verifier)}, nil
}

// Exchange finishes a login: it reads the code from the address the user
// pasted, checks it belongs to l, and trades it for tokens, which the
// caller saves in the TokenStore. A code works once and for minutes.
func (a App) Exchange(ctx context.Context, pasted string, l Login) (Tokens, error) {
	code, err := codeFromRedirect(pasted, l.State)
	if err != nil {
		return Tokens{}, fmt.Errorf("tesla: login: %w", err)
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {a.ClientID},
		"code":          {code.Reveal()},
		"code_verifier": {l.Verifier.Reveal()},
		"redirect_uri":  {a.RedirectURI},
		"audience":      {a.Endpoints.FleetAPI},
	}
	if a.ClientSecret.IsSet() {
		form.Set("client_secret", a.ClientSecret.Reveal())
	}
	t, err := a.token(ctx, a.HTTPClient, form, code, l.Verifier)
	if err != nil {
		return Tokens{}, fmt.Errorf("tesla: login: %w", err)
	}
	return t, nil
}

// codeFromRedirect takes the code out of the address the browser ended at.
// Users paste all sorts of things, so a bare query string works too.
func codeFromRedirect(pasted, state string) (secret.String, error) {
	pasted = strings.TrimSpace(pasted)
	raw := pasted
	if i := strings.IndexByte(pasted, '?'); i >= 0 {
		raw = pasted[i+1:]
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	q, err := url.ParseQuery(raw)
	if err != nil || pasted == "" {
		return secret.String{}, errors.New("the pasted text is not the address the browser ended at: copy the whole address bar after approving and paste it")
	}
	if e := q.Get("error"); e != "" {
		why := e
		if d := q.Get("error_description"); d != "" {
			why += " (" + d + ")"
		}
		if e == "access_denied" {
			return secret.String{}, fmt.Errorf("the login was cancelled or not approved: %s: start the login again and approve the app: %w", why, vehicle.ErrLogin)
		}
		return secret.String{}, fmt.Errorf("Tesla refused the login: %s: check the client ID and redirect URI, then start the login again: %w", why, vehicle.ErrLogin)
	}
	code := q.Get("code")
	if code == "" {
		return secret.String{}, errors.New("the pasted address has no login code: copy the whole address bar after approving and paste it")
	}
	if q.Get("state") != state || state == "" {
		return secret.String{}, errors.New("the pasted address belongs to another login attempt: start the login again and paste the address it ends at")
	}
	return secret.New(code), nil
}

// refresh trades a refresh token for a new pair. The old refresh token is
// spent once Tesla has it, whatever happens to the answer.
func (a App) refresh(ctx context.Context, hc *http.Client, refresh secret.String) (Tokens, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {a.ClientID},
		"refresh_token": {refresh.Reveal()},
	}
	return a.token(ctx, hc, form, refresh)
}

// token posts one grant to the token endpoint. hide lists the secrets in
// the form, kept out of any error text made from Tesla's answer.
func (a App) token(ctx context.Context, hc *http.Client, form url.Values, hide ...secret.String) (Tokens, error) {
	if hc == nil {
		hc = defaultHTTPClient()
	}
	clk := a.Clock
	if clk == nil {
		clk = clock.Real()
	}
	hide = append(hide, a.ClientSecret)
	ctx, cancel := context.WithTimeout(ctx, tokenTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Endpoints.Token, strings.NewReader(form.Encode()))
	if err != nil {
		return Tokens{}, fmt.Errorf("the token endpoint %q is not a URL: %w", a.Endpoints.Token, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := hc.Do(req)
	if err != nil {
		return Tokens{}, transportError("Tesla's login service", hintInternet, err)
	}
	defer func() { _ = resp.Body.Close() }() // read fully below; nothing to report
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Tokens{}, transportError("Tesla's login service", hintInternet, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Tokens{}, tokenError(resp, body, clk.Now(), hide)
	}
	var tr struct {
		Access    string  `json:"access_token"`
		Refresh   string  `json:"refresh_token"`
		ExpiresIn float64 `json:"expires_in"`
		Scope     string  `json:"scope"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.Access == "" {
		return Tokens{}, fmt.Errorf("Tesla's login service gave no access token: try again later: %w", vehicle.ErrUnreachable)
	}
	t := Tokens{
		Access:  secret.New(tr.Access),
		Refresh: secret.New(tr.Refresh),
		Expiry:  clk.Now().Add(time.Duration(tr.ExpiresIn * float64(time.Second))),
		Scopes:  scopesOf(tr.Access, tr.Scope),
	}
	return t, nil
}

// tokenError explains a refused grant. Tesla answers OAuth errors such as
// invalid_grant (code or refresh token used, expired or revoked) and
// login_required with 400 or 401.
func tokenError(resp *http.Response, body []byte, now time.Time, hide []secret.String) error {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e) // a body that is not JSON leaves e empty, handled below
	why := scrub(strings.TrimSpace(e.Error+" "+e.Description), hide)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return &vehicle.RateLimited{RetryAfter: retryAfter(resp.Header, now)}
	case resp.StatusCode >= 500:
		return fmt.Errorf("Tesla's login service answered %d: it retries later: %w", resp.StatusCode, vehicle.ErrUnreachable)
	case e.Error == "invalid_client" || e.Error == "unauthorized_client":
		return fmt.Errorf("Tesla does not accept this developer app (%s): check the client ID, secret and region in Settings → Car: %w", why, vehicle.ErrLogin)
	}
	if why == "" {
		why = fmt.Sprintf("status %d", resp.StatusCode)
	}
	return fmt.Errorf("Tesla refused the login (%s): %w", why, vehicle.ErrLogin)
}
