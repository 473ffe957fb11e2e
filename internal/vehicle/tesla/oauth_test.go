package tesla_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla/teslatest"
)

func TestAuthURLAsksForPKCEAndScopes(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	l, err := r.app.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	want := map[string]string{
		"response_type":         "code",
		"client_id":             r.fake.ClientID(),
		"redirect_uri":          r.fake.RedirectURI(),
		"scope":                 tesla.Scopes,
		"state":                 l.State,
		"code_challenge_method": "S256",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q.Get("code_challenge")) != 43 || strings.Contains(l.URL, l.Verifier.Reveal()) {
		t.Errorf("code_challenge %q is not an S256 digest, or the URL carries the verifier", q.Get("code_challenge"))
	}
	if n := len(l.Verifier.Reveal()); n < 43 || n > 128 {
		t.Errorf("verifier is %d characters, RFC 7636 wants 43 to 128", n)
	}
	other, err := r.app.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	if other.State == l.State || other.Verifier.Reveal() == l.Verifier.Reveal() {
		t.Error("two logins share a state or verifier")
	}
}

func TestExchangeWithPKCE(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	l, err := r.app.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	back, err := r.fake.Approve(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := r.app.Exchange(ctx(t), back, l)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Access.IsSet() || !tok.Refresh.IsSet() {
		t.Fatal("no tokens")
	}
	if d := tok.Expiry.Sub(r.clk.Now()); d != 8*time.Hour {
		t.Errorf("expiry in %v, want 8h", d)
	}
	for _, s := range []string{"vehicle_device_data", "vehicle_location", "vehicle_charging_cmds", "offline_access"} {
		if !slices.Contains(tok.Scopes, s) {
			t.Errorf("scopes %v lack %s", tok.Scopes, s)
		}
	}
	// The tokens work on the API.
	r.store.set(teslatest.Tokens{Access: tok.Access.Reveal(), Refresh: tok.Refresh.Reveal(), Expiry: tok.Expiry})
	if _, err := r.client(t, r.config(tesla.Direct)).Cars(ctx(t)); err != nil {
		t.Fatalf("the new login does not work: %v", err)
	}
	// A code is good once.
	if _, err := r.app.Exchange(ctx(t), back, l); !errors.Is(err, vehicle.ErrLogin) {
		t.Errorf("second exchange of one code: %v, want ErrLogin", err)
	}
}

func TestExchangeRefusesWrongVerifier(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	l, err := r.app.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	back, err := r.fake.Approve(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	wrong := l
	wrong.Verifier = secret.New(strings.Repeat("A", 52))
	_, err = r.app.Exchange(ctx(t), back, wrong)
	if !errors.Is(err, vehicle.ErrLogin) {
		t.Fatalf("wrong verifier: %v, want ErrLogin", err)
	}
	code, _ := url.Parse(back)
	if strings.Contains(err.Error(), code.Query().Get("code")) || strings.Contains(err.Error(), wrong.Verifier.Reveal()) {
		t.Errorf("the error shows the code or verifier: %v", err)
	}
}

func TestExchangeExplainsPastedAddress(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	l, err := r.app.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	denied, err := r.fake.Deny(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	earlier, err := r.app.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	stale, err := r.fake.Approve(earlier.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, pasted, want string
	}{
		{"denied", denied, "cancelled"},
		{"other attempt", stale, "another login attempt"},
		{"no code", r.fake.RedirectURI() + "?locale=en-US", "no login code"},
		{"empty", "  ", "not the address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.app.Exchange(ctx(t), tc.pasted, l)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Exchange(%q) = %v, want an error saying %q", tc.pasted, err, tc.want)
			}
		})
	}
	if got := r.fake.Calls(teslatest.Token); got != 0 {
		t.Errorf("%d token calls for addresses that carry no usable code", got)
	}
	// The query string alone, as some users copy it, is enough.
	back, err := r.fake.Approve(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.Exchange(ctx(t), back[strings.IndexByte(back, '?'):], l); err != nil {
		t.Errorf("bare query string: %v", err)
	}
}

func TestExchangeWithClientSecret(t *testing.T) {
	r := newRig(t, teslatest.Options{ClientSecret: "app-secret-123"})
	l, err := r.app.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	back, err := r.fake.Approve(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.app.Exchange(ctx(t), back, l)
	if !errors.Is(err, vehicle.ErrLogin) || !strings.Contains(err.Error(), "client ID") {
		t.Fatalf("exchange without the secret: %v, want ErrLogin naming the client ID", err)
	}
	r.app.ClientSecret = secret.New("app-secret-123")
	l, err = r.app.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	if back, err = r.fake.Approve(l.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.Exchange(ctx(t), back, l); err != nil {
		t.Fatalf("exchange with the secret: %v", err)
	}
}

func TestRegionEndpoints(t *testing.T) {
	eu, err := tesla.RegionEndpoints("eu")
	if err != nil || eu.FleetAPI != "https://fleet-api.prd.eu.vn.cloud.tesla.com" ||
		eu.Token != "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token" ||
		eu.Authorize != "https://auth.tesla.com/oauth2/v3/authorize" {
		t.Errorf("eu = %+v, %v", eu, err)
	}
	cn, err := tesla.RegionEndpoints("cn")
	if err != nil || !strings.HasSuffix(cn.FleetAPI, ".tesla.cn") {
		t.Errorf("cn = %+v, %v", cn, err)
	}
	if _, err := tesla.RegionEndpoints("mars"); err == nil || !strings.Contains(err.Error(), "na, eu or cn") {
		t.Errorf("unknown region: %v", err)
	}
}
