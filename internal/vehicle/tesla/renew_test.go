package tesla_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla/teslatest"
)

// TestRenewalRotatesAndSavesBeforeUse pins the rule that keeps a login
// alive across a crash: Tesla's refresh tokens are single-use, so the
// renewed pair must be saved before its access token goes to Tesla.
func TestRenewalRotatesAndSavesBeforeUse(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.clk.Advance(8 * time.Hour)
	r.store.onSave = func(tok tesla.Tokens) error {
		if r.fake.Seen(tok.Access.Reveal()) {
			t.Error("the renewed access token reached Tesla before it was saved")
		}
		return nil
	}
	if _, err := c.Cars(ctx(t)); err != nil {
		t.Fatal(err)
	}
	saves := r.store.saved()
	if len(saves) != 1 {
		t.Fatalf("%d saves, want 1", len(saves))
	}
	renewed := saves[0]
	if renewed.Refresh.Reveal() == r.login.Refresh || renewed.Access.Reveal() == r.login.Access {
		t.Fatal("the renewal did not rotate the tokens")
	}
	if !r.fake.Seen(renewed.Access.Reveal()) {
		t.Error("the renewed access token was not used")
	}
	if want := r.clk.Now().Add(8 * time.Hour); !renewed.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v", renewed.Expiry, want)
	}
	// Tesla now refuses the spent refresh token.
	resp, err := r.fake.Client().PostForm(r.fake.TokenURL(), url.Values{
		"grant_type": {"refresh_token"}, "client_id": {r.fake.ClientID()}, "refresh_token": {r.login.Refresh},
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("spent refresh token: status %d, want 400 invalid_grant", resp.StatusCode)
	}
	// The fresh token lasts: no renewal for the next call.
	if _, err := c.Cars(ctx(t)); err != nil || r.fake.Calls(teslatest.Token) != 2 {
		t.Errorf("second call: %v, %d token calls (1 renewal + the manual one)", err, r.fake.Calls(teslatest.Token))
	}
}

// TestRenewalRenewsBeforeExpiry: a token about to expire is renewed
// rather than sent to die on the way.
func TestRenewalRenewsBeforeExpiry(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.clk.Advance(8*time.Hour - 2*time.Minute)
	if _, err := c.Cars(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := r.fake.Calls(teslatest.Token); n != 1 {
		t.Errorf("%d renewals two minutes before expiry, want 1", n)
	}
	if r.fake.Seen(r.login.Access) {
		t.Error("the nearly expired token was still used")
	}
}

func TestRenewalSaveFailureHoldsTheToken(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.clk.Advance(9 * time.Hour)
	r.store.onSave = func(tesla.Tokens) error { return errors.New("disk full") }
	_, err := c.Cars(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Cars with a failing store: %v, want the save error", err)
	}
	if r.fake.Calls(teslatest.Data) != 0 {
		t.Fatal("an unsaved access token was used")
	}
	// Once the store works again the renewed pair is saved and used; no
	// second renewal, which would fail: the old refresh token is spent.
	r.store.onSave = nil
	if _, err := c.Cars(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := r.fake.Calls(teslatest.Token); n != 1 {
		t.Errorf("%d renewals, want 1", n)
	}
	if len(r.store.saved()) != 1 {
		t.Errorf("%d saves, want 1", len(r.store.saved()))
	}
}

func TestConcurrentCallsShareOneRenewal(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.clk.Advance(8 * time.Hour)
	const n = 20
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := c.ChargeState(ctx(t), vin1)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := r.fake.Calls(teslatest.Token); got != 1 {
		t.Errorf("%d renewals for %d concurrent calls, want 1", got, n)
	}
	if got := len(r.store.saved()); got != 1 {
		t.Errorf("%d saves, want 1", got)
	}
}

func TestUnauthorizedRenewsOnceAndRetries(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Data, Status: http.StatusUnauthorized})
	if _, err := c.ChargeState(ctx(t), vin1); err != nil {
		t.Fatal(err)
	}
	if tok, data := r.fake.Calls(teslatest.Token), r.fake.Calls(teslatest.Data); tok != 1 || data != 2 {
		t.Errorf("%d renewals and %d data calls, want 1 and 2", tok, data)
	}
}

func TestSecondUnauthorizedIsErrLogin(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Data, Status: http.StatusUnauthorized, Times: 2})
	_, err := c.ChargeState(ctx(t), vin1)
	if !errors.Is(err, vehicle.ErrLogin) {
		t.Fatalf("two 401s: %v, want ErrLogin", err)
	}
	if tok, data := r.fake.Calls(teslatest.Token), r.fake.Calls(teslatest.Data); tok != 1 || data != 2 {
		t.Errorf("%d renewals and %d data calls, want 1 and 2", tok, data)
	}
}

func TestRevokedLoginIsErrLoginUntilNewLogin(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.fake.Revoke()
	_, err := c.Cars(ctx(t))
	if !errors.Is(err, vehicle.ErrLogin) {
		t.Fatalf("revoked: %v, want ErrLogin", err)
	}
	// No more renewals are tried with a refused refresh token.
	if _, err := c.Cars(ctx(t)); !errors.Is(err, vehicle.ErrLogin) {
		t.Fatalf("revoked, again: %v", err)
	}
	if n := r.fake.Calls(teslatest.Token); n != 1 {
		t.Errorf("%d renewals, want 1", n)
	}
	if n := r.fake.Calls(teslatest.Data); n != 1 {
		t.Errorf("%d data calls, want 1", n)
	}
	// The user logs in again; the appliance saves the new tokens.
	r.store.set(r.fake.Login())
	if _, err := c.Cars(ctx(t)); err != nil {
		t.Fatalf("after a new login: %v", err)
	}
}

// TestRenewalOutageIsNotALogout: Tesla's login service being down must not
// make the appliance forget the login.
func TestRenewalOutageIsNotALogout(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.clk.Advance(9 * time.Hour)
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Token, Status: http.StatusServiceUnavailable})
	_, err := c.Cars(ctx(t))
	if !errors.Is(err, vehicle.ErrUnreachable) || errors.Is(err, vehicle.ErrLogin) {
		t.Fatalf("login service down: %v, want ErrUnreachable", err)
	}
	if _, err := c.Cars(ctx(t)); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
}
