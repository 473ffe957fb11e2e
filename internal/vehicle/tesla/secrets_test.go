package tesla_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla/teslatest"
)

// TestNoSecretInErrorsOrLogs walks through the failures that carry the
// most context (refused logins, renewals, a server echoing the token back)
// and checks no token, key or secret shows in any error or log line.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	const clientSecret, proxyToken = "client-secret-9c1e", "proxy-token-b77d"
	r := newRig(t, teslatest.Options{ClientSecret: clientSecret, ProxyToken: proxyToken})
	r.app.ClientSecret = secret.New(clientSecret)
	// The key's base64 body; its PEM armour is no secret.
	pemLines := strings.Split(strings.TrimSpace(r.private.Reveal()), "\n")
	key := strings.Join(pemLines[1:len(pemLines)-1], "")
	hidden := []string{clientSecret, proxyToken, r.login.Access, r.login.Refresh, key}
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	// A login with the wrong verifier, then a good one.
	l, err := r.app.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	back, err := r.fake.Approve(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(back)
	hidden = append(hidden, u.Query().Get("code"), l.Verifier.Reveal())
	wrong := l
	wrong.Verifier = secret.New(strings.Repeat("B", 52))
	_, err = r.app.Exchange(ctx(t), back, wrong)
	note(err)

	cfg := r.config(tesla.Direct)
	cfg.App = r.app
	c := r.client(t, cfg)
	note(c.Command(ctx(t), vin1, start)) // key not enrolled
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Data, Status: http.StatusInternalServerError,
		Message: "upstream rejected Authorization: Bearer " + r.login.Access})
	_, err = c.Cars(ctx(t))
	note(err)
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Data, Status: http.StatusTooManyRequests, RetryAfter: "5"})
	_, err = c.Cars(ctx(t))
	note(err)
	r.clk.Advance(9 * time.Hour) // expired: a renewal, which succeeds
	if _, err := c.Cars(ctx(t)); err != nil {
		t.Fatal(err)
	}
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Data, Status: http.StatusUnauthorized, Times: 2})
	_, err = c.Cars(ctx(t))
	note(err)
	r.fake.Revoke()
	_, err = c.Cars(ctx(t))
	note(err)

	pcfg := r.config(tesla.Proxy)
	pcfg.ProxyURL, pcfg.ProxyToken = r.fake.ProxyURL(), secret.New("wrong-"+proxyToken)
	hidden = append(hidden, "wrong-"+proxyToken)
	note(r.client(t, pcfg).Command(ctx(t), vin1, start))

	for _, s := range r.store.saved() {
		hidden = append(hidden, s.Access.Reveal(), s.Refresh.Reveal())
	}
	if len(errs) != 7 {
		t.Fatalf("%d of 7 failures happened: %v", len(errs), errs)
	}
	var out strings.Builder
	for _, err := range errs {
		fmt.Fprintf(&out, "%v\n%+v\n%#v\n", err, err, err)
	}
	out.WriteString(r.logs.String())
	if !strings.Contains(out.String(), "renewed") {
		t.Fatalf("the log has no renewal; the scenario did not run as planned:\n%s", out.String())
	}
	for _, h := range hidden {
		if leaks(out.String(), h) {
			t.Errorf("a secret (%.6s…) shows in the errors or logs:\n%s", h, out.String())
		}
	}
}

// leaks reports whether any 16-character stretch of secret shows in out:
// a secret cut short by a length cap leaks too.
func leaks(out, secret string) bool {
	const w = 16
	if len(secret) <= w {
		return secret != "" && strings.Contains(out, secret)
	}
	for i := 0; i+w <= len(secret); i++ {
		if strings.Contains(out, secret[i:i+w]) {
			return true
		}
	}
	return false
}
