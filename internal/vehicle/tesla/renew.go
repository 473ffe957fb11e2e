package tesla

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// renewMargin is how long before expiry an access token is renewed, so a
// call never starts with a token that dies on the way.
const renewMargin = 5 * time.Minute

// tokenSource hands out access tokens and renews them: one renewal at a
// time, saved before use.
type tokenSource struct {
	app   App
	http  *http.Client
	store TokenStore
	clk   clock.Clock
	log   *slog.Logger

	mu     sync.Mutex // guards the fields below
	cur    Tokens
	loaded bool
	// unsaved: cur came from a renewal the store failed to save; it is
	// not handed out until a Save succeeds.
	unsaved bool
	// dead is a refresh token Tesla refused; until the store holds
	// another (a new login), no renewal is tried.
	dead   secret.String
	flight *renewal
}

// renewal is one renewal in progress, shared by everyone who needs it.
type renewal struct {
	done chan struct{}
	tok  Tokens
	err  error
}

// access returns an access token good for at least renewMargin.
func (s *tokenSource) access(ctx context.Context) (secret.String, error) {
	return s.get(ctx, secret.String{})
}

// renew returns a fresher token than stale, the one Tesla just refused
// with a 401. If another caller renewed meanwhile, its token is used.
func (s *tokenSource) renew(ctx context.Context, stale secret.String) (secret.String, error) {
	return s.get(ctx, stale)
}

func (s *tokenSource) get(ctx context.Context, stale secret.String) (secret.String, error) {
	s.mu.Lock()
	if err := s.readyLocked(); err != nil {
		s.mu.Unlock()
		return secret.String{}, err
	}
	fresh := s.cur.Access.IsSet() && s.clk.Now().Before(s.cur.Expiry.Add(-renewMargin))
	if fresh && (!stale.IsSet() || stale.Reveal() != s.cur.Access.Reveal()) {
		tok := s.cur.Access
		s.mu.Unlock()
		return tok, nil
	}
	f := s.flight
	if f == nil {
		f = &renewal{done: make(chan struct{})}
		s.flight = f
		// Detached from ctx: once the request leaves, Tesla has spent the
		// old refresh token, so the answer must be received and saved
		// even if this caller gives up.
		go s.run(f, s.cur.Refresh)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return secret.String{}, f.err
		}
		return f.tok.Access, nil
	case <-ctx.Done():
		return secret.String{}, fmt.Errorf("renew the Tesla login: %w", ctx.Err())
	}
}

// readyLocked loads the tokens on first use, retries a failed Save, and
// refuses early while the login is known to be gone.
func (s *tokenSource) readyLocked() error {
	if !s.loaded || s.dead.IsSet() {
		t, err := s.store.Load()
		if err != nil {
			return fmt.Errorf("load the Tesla login: %w", err)
		}
		if s.dead.IsSet() && t.Refresh.Reveal() == s.dead.Reveal() {
			return fmt.Errorf("Tesla refused the saved login: %w", vehicle.ErrLogin)
		}
		s.cur, s.loaded, s.dead = t, true, secret.String{}
	}
	if s.unsaved {
		if err := s.store.Save(s.cur); err != nil {
			return fmt.Errorf("save the renewed Tesla login: %w", err)
		}
		s.unsaved = false
	}
	if !s.cur.Refresh.IsSet() && !s.cur.Access.IsSet() {
		return fmt.Errorf("not logged in to Tesla yet: %w", vehicle.ErrLogin)
	}
	return nil
}

// run performs one renewal and publishes its result to every waiter.
func (s *tokenSource) run(f *renewal, refresh secret.String) {
	var tok Tokens
	var err error
	if !refresh.IsSet() {
		err = fmt.Errorf("the saved Tesla login has no refresh token: %w", vehicle.ErrLogin)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
		tok, err = s.app.refresh(ctx, s.http, refresh)
		cancel()
	}
	s.mu.Lock()
	switch {
	case err == nil:
		s.cur = tok
		// Saved under the lock and before anyone sees the new access
		// token: if the appliance stops after using it, the refresh
		// token that still works must already be on disk.
		if serr := s.store.Save(tok); serr != nil {
			s.unsaved = true
			err = fmt.Errorf("save the renewed Tesla login: %w", serr)
		} else {
			s.log.Info("tesla: login renewed", "expires", tok.Expiry)
		}
	case errors.Is(err, vehicle.ErrLogin):
		s.dead = refresh
		s.log.Warn("tesla: login refused, log in again", "err", err)
	default:
		s.log.Warn("tesla: login renewal failed", "err", err)
	}
	s.flight = nil
	f.tok, f.err = tok, err
	s.mu.Unlock()
	close(f.done)
}
