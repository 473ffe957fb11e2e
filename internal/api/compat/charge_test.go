package compat_test

import (
	"net/http"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
)

// sendStopCommand stops every charger the way the settings stop cars where
// the bus can; sendStartCommand lets them charge again.
func TestStartStopCommands(t *testing.T) {
	t.Parallel()
	e := start(t)
	stops := func() map[string]bus.StopMethod {
		out := map[string]bus.StopMethod{}
		for _, c := range e.b.Snapshot().Chargers {
			out[c.ID.String()] = c.Stop
		}
		return out
	}
	all := func(m bus.StopMethod) func() bool {
		return func() bool {
			s := stops()
			return len(s) == 2 && s["1839"] == m && s["4580"] == m
		}
	}
	for _, c := range []struct {
		setting config.StopMethod
		want    bus.StopMethod
	}{
		{config.StopOfferZero, bus.StopZeroAmps},
		{config.StopCarAPI, bus.StopZeroAmps}, // no car connection yet
		{config.StopCommand, bus.StopRelay},   // the demo's 4.5.3 firmware takes FC B2
		{config.StopResponding, bus.StopSilence},
	} {
		e.change(t, func(s *config.Settings) { s.Policy.StopMethod = c.setting })
		if r := e.post(t, "/api/sendStopCommand", ""); r.status != http.StatusOK || r.body != "" {
			t.Fatalf("stop (%s): %d %s", c.setting, r.status, r.body)
		}
		eventually(t, "both chargers stopped by "+c.want.String(), all(c.want))
		if r := e.post(t, "/api/sendStartCommand", ""); r.status != http.StatusOK || r.body != "" {
			t.Fatalf("start: %d %s", r.status, r.body)
		}
		eventually(t, "both chargers free to charge", all(bus.StopNone))
	}
}
