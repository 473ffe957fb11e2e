package vehicle_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/vehicletest"
)

// A 429 stops every call until its Retry-After has passed; meanwhile the
// charger stops cars, and the wish is carried out afterwards.
func TestRateLimitPausesAllCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"), atHome(vinB, "Blue"))
		defer r.stop()
		r.fake.Fail(fmt.Errorf("tesla: charge state: %w", &vehicle.RateLimited{RetryAfter: 10 * time.Minute}))
		r.want(idA, vinA, false, false)
		r.fake.Fail(nil)
		r.want(idB, vinB, false, false)
		r.calls(2, 0, 0, 0) // the list, and the read that was refused
		st := r.m.Status()
		if r.m.Handles(idA) || r.m.Handles(idB) || !strings.Contains(st.Problem, "Tesla asks to wait until 00:10 (rate limit)") ||
			!st.Until.Equal(time.Now().Add(10*time.Minute)) {
			t.Fatalf("status %+v", st)
		}
		sleep(9 * time.Minute)
		r.calls(2, 0, 0, 0)
		sleep(2 * time.Minute)
		r.calls(4, 0, 2, 0)
		if !r.m.Handles(idA) || r.m.Status().Problem != "" {
			t.Fatalf("after the pause: %+v", r.m.Status())
		}
	})
}

// A lost login stops commanding with the sentence telling the user to log
// in again, until the settings change.
func TestLoginLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := rigFor(t, settings(), nil, atHome(vinA, "Red"))
		r.fake.Fail(fmt.Errorf("tesla: refresh the token: %w", vehicle.ErrLogin))
		r.start()
		defer r.stop()
		st := r.m.Status()
		if r.m.Handles(idA) || st.State != vehicle.ConnectionProblem || st.Problem != "The Tesla login is no longer valid: log in again in Settings → Car." {
			t.Fatalf("status %+v", st)
		}
		r.want(idA, vinA, false, false)
		sleep(time.Hour)
		r.calls(1, 0, 0, 0) // only the list at the start
		r.fake.Fail(nil)
		r.set(func(s *config.Settings) { s.Vehicle.ClientID = "new-app" }) // logged in again
		if !r.m.Handles(idA) {
			t.Fatalf("settings changed, still not handled: %+v", r.m.Status())
		}
		r.want(idA, vinA, true, false)
		r.want(idA, vinA, false, false)
		r.calls(3, 0, 1, 0) // the list that failed at the start, the read and the stop
		if st := r.m.Status(); st.State != vehicle.ConnectionOK || st.Problem != "" {
			t.Fatalf("status %+v", st)
		}
	})
}

// A car that does not know the appliance's key is not commanded: Status
// tells the user to enrol it, until Retry.
func TestNotEnrolled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		defer r.stop()
		r.fake.FailCommands(fmt.Errorf("tesla: charge_stop: %w", vehicle.ErrNotEnrolled))
		r.want(idA, vinA, false, false)
		r.calls(2, 0, 1, 0)
		st := r.m.Status()
		if r.m.Handles(idA) || !strings.HasPrefix(st.Problem, "The car does not know this appliance's key yet: open the enrolment link") ||
			r.car(vinA).Problem != vehicle.ErrNotEnrolled.Error() {
			t.Fatalf("status %+v", st)
		}
		r.want(idA, vinA, true, false)
		r.want(idA, vinA, false, false)
		r.calls(2, 0, 1, 0)
		r.fake.FailCommands(nil)
		r.m.Retry() // the user approved the key
		synctest.Wait()
		if !r.m.Handles(idA) {
			t.Fatalf("after Retry: %+v", r.m.Status())
		}
		r.want(idA, vinA, true, false)
		r.want(idA, vinA, false, false)
		r.calls(3, 0, 2, 0) // Retry read the list again; the stop reused the state read
	})
}

// An unreachable proxy makes Handles false for a few minutes, is not
// counted (nothing reached Tesla), and the wish goes through afterwards.
func TestUnreachable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		defer r.stop()
		r.fake.Fail(fmt.Errorf("proxy: dial tcp 192.168.1.20:4443: connection refused: %w", vehicle.ErrUnreachable))
		r.want(idA, vinA, false, false)
		st := r.m.Status()
		if r.m.Handles(idA) || !strings.Contains(st.Problem, "connection refused") || !strings.Contains(st.Problem, "trying again at 00:05") {
			t.Fatalf("status %+v", st)
		}
		if u := st.Usage; u.Data != 1 {
			t.Fatalf("usage %+v: the unreachable call was counted", u)
		}
		r.fake.Fail(nil)
		sleep(5 * time.Minute)
		r.calls(3, 0, 1, 0)
		if !r.m.Handles(idA) {
			t.Fatalf("status %+v", r.m.Status())
		}
	})
}

// Want, Handles and Status return at once while a call hangs; the call
// gives up after its timeout and counts as the connection being down.
func TestWantNeverBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"), atHome(vinB, "Blue"))
		defer r.stop()
		r.fake.Hang(true)
		r.m.Want(idA, vinA, false, false)
		synctest.Wait() // the Manager is now inside the hanging call
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				r.m.Want(idB, vinB, i%2 == 0, false)
				r.m.Handles(idB)
				r.m.Status()
			})
		}
		wg.Wait()
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("Want, Handles and Status waited %v for the hanging call", waited)
		}
		sleep(time.Minute)
		st := r.m.Status()
		if !strings.Contains(st.Problem, "no answer within") {
			t.Fatalf("after the timeout: %+v", st)
		}
		r.fake.Hang(false)
	})
}

// Want never blocks outside a bubble either, with the real clock: a
// Manager stuck in a call still takes wishes.
func TestWantNeverBlocksRealTime(t *testing.T) {
	fake := vehicletest.New(nil, atHome(vinA, "Red"))
	fake.Hang(true)
	defer fake.Hang(false)
	s := settings()
	m := vehicle.New(vehicle.Config{API: func() vehicle.API { return fake }, Settings: func() config.Settings { return s }})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { _ = m.Run(ctx); close(ran) }()
	defer func() { cancel(); <-ran }()
	done := make(chan struct{})
	go func() {
		for i := range 1000 {
			m.Want(idA, vinA, i%2 == 0, false)
			m.Handles(idA)
			m.Status()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Want blocked while the Manager's call hangs")
	}
}
