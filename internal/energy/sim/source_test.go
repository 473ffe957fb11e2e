package sim

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/energy"
)

func TestSimulatedSourceStartsAtDayStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Params{Profile: "clear", DayStart: "12:00"}, clock.Real())
		if err != nil {
			t.Fatal(err)
		}
		r, _ := s.Read(context.Background())
		if r.Generation < 8000 || !r.Has.Consumption {
			t.Fatalf("noon: %+v", r)
		}
		time.Sleep(10 * time.Hour) // 22:00 in the simulation
		if r, _ := s.Read(context.Background()); r.Generation != 0 {
			t.Fatalf("night: %+v", r)
		}
	})
}

func TestSimulatedParams(t *testing.T) {
	_, _, err := energy.Build(Name, json.RawMessage(`{"profile": "tropical", "day_start": "25:00"}`))
	fe, ok := config.AsErrors(err)
	if !ok || fe.Field("profile") == nil || fe.Field("day_start") == nil {
		t.Fatalf("%v", err)
	}
	if r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"day_start": "11:00"}`)); err != nil || !r.Has.Generation {
		t.Fatalf("%+v %v", r, err)
	}
}
