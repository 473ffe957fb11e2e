package vehicle_test

import (
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

func TestUsageCost(t *testing.T) {
	for _, tc := range []struct {
		u    vehicle.Usage
		want float64
	}{
		{vehicle.Usage{Commands: 1000}, 1},
		{vehicle.Usage{Data: 500}, 1},
		{vehicle.Usage{Wakes: 50}, 1},
		{vehicle.Usage{Commands: 100, Data: 60, Wakes: 2}, 0.1 + 0.12 + 0.04},
	} {
		if got := tc.u.Cost(); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%+v costs $%.4f, want $%.4f", tc.u, got, tc.want)
		}
	}
}

// thisMonth is the month the bubble's clock is in.
func thisMonth() string { return time.Now().Format("2006-01") }

// With the budget spent (all but what starting the stopped car needs),
// Handles is false and Status says so; no stop is sent, but the car the
// appliance stopped is still started from the reserve.
func TestBudgetSpent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := settings()
		s.Vehicle.MonthlyBudget = 1
		usage := &vehicle.MemoryUsage{}
		// $0.98 spent, and car B stopped by the appliance.
		_ = usage.SaveUsage(thisMonth(), vehicle.Usage{Wakes: 49, Stopped: map[string]time.Time{vinB: time.Now().Add(-time.Hour)}})
		r := newRig(t, s, usage, atHome(vinA, "Red"), atHome(vinB, "Blue"))
		defer r.stop()
		r.calls(0, 0, 0, 0) // not even the car list: it would eat the reserve
		st := r.m.Status()
		if r.m.Handles(idA) || st.State != vehicle.ConnectionProblem ||
			!strings.HasPrefix(st.Problem, "This month's car API budget of $1.00 is spent ($0.98 used") {
			t.Fatalf("Handles %v, status %+v", r.m.Handles(idA), st)
		}
		if st.Usage.Wakes != 49 || math.Abs(st.Usage.Cost-0.98) > 1e-9 || st.Usage.Budget != 1 {
			t.Fatalf("usage %+v", st.Usage)
		}
		r.want(idA, vinA, false, false)
		r.calls(0, 0, 0, 0)
		r.fake.SetCharging(vinB, vehicle.StateStopped)
		r.want(idB, vinB, true, false)
		r.calls(1, 0, 0, 1)
		if u := r.m.Status().Usage; u.Cost > 1 {
			t.Fatalf("spent $%.3f of $1", u.Cost)
		}
		// Without a cap the stop goes.
		r.set(func(s *config.Settings) { s.Vehicle.MonthlyBudget = 0 })
		if !r.m.Handles(idA) {
			t.Fatalf("no cap, still not handled: %+v", r.m.Status())
		}
		r.want(idA, vinA, true, false)
		r.want(idA, vinA, false, false)
		r.calls(3, 0, 1, 1)
	})
}

// A call that would pass the cap is refused, whatever comes in between.
func TestBudgetNeverExceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := settings()
		s.Vehicle.MonthlyBudget = 0.1
		r := newRig(t, s, nil, atHome(vinA, "Red"))
		defer r.stop()
		for range 200 {
			r.want(idA, vinA, false, false)
			sleep(15 * time.Minute)
			r.want(idA, vinA, true, false)
			sleep(15 * time.Minute)
		}
		if c := r.fake.Calls(); c.Cost() > 0.1+1e-9 {
			t.Fatalf("spent $%.3f of $0.10: %+v", c.Cost(), c)
		}
		if r.m.Handles(idA) {
			t.Fatal("handled with the budget spent")
		}
		if st := r.m.Status(); !strings.Contains(st.Problem, "budget of $0.10 is spent") {
			t.Fatalf("problem %q", st.Problem)
		}
	})
}

// The count starts again with each calendar month, and a car still stopped
// is carried into the new month.
func TestMonthRollover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := settings()
		usage := &vehicle.MemoryUsage{}
		_ = usage.SaveUsage(thisMonth(), vehicle.Usage{Wakes: 499})
		r := newRig(t, s, usage, atHome(vinA, "Red"))
		defer r.stop()
		if r.m.Handles(idA) {
			t.Fatal("handled with $9.98 of $10 spent")
		}
		now := time.Now()
		next := nextAfter(now)
		if st := r.m.Status(); !st.Usage.Resets.Equal(next) || !strings.Contains(st.Problem, "until "+next.Format("Jan 2")) {
			t.Fatalf("status %+v, want a reset at %v", st, next)
		}
		sleep(next.Sub(now) + time.Second)
		if !r.m.Handles(idA) {
			t.Fatalf("the new month did not reset the budget: %+v", r.m.Status())
		}
		r.want(idA, vinA, false, false)
		st := r.m.Status()
		if st.Usage.Month != next.Format("2006-01") || st.Usage.Data != 2 || st.Usage.Commands != 1 || st.Usage.Wakes != 0 {
			t.Fatalf("new month's usage %+v", st.Usage)
		}
		saved, _ := usage.LoadUsage(next.Format("2006-01"))
		if saved.Commands != 1 || saved.Stopped[vinA].IsZero() {
			t.Fatalf("saved %+v", saved)
		}
		old, _ := usage.LoadUsage(now.Format("2006-01"))
		if old.Wakes != 499 || old.Data != 0 {
			t.Fatalf("last month's record changed: %+v", old)
		}
		// Across the next month's turn, the stopped car is carried over.
		sleep(nextAfter(next).Sub(time.Now()) + time.Second)
		r.want(idA, vinA, true, false)
		sleep(time.Minute)
		if c := r.car(vinA); c.LastCommand != vehicle.ChargeStart {
			t.Fatalf("the stop was forgotten at the month's turn: %+v", c)
		}
	})
}

// nextAfter is when the month after t's begins.
func nextAfter(t time.Time) time.Time {
	y, m, _ := t.Date()
	return time.Date(y, m+1, 1, 0, 0, 0, 0, t.Location())
}
