package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/ui/uitest"
)

// The state reports the demo's chargers linked, with heartbeats flowing.
func TestState(t *testing.T) {
	env := uitest.Start(t)
	srv := httptest.NewServer(api.Handler(env.App.Web()))
	defer srv.Close()
	var st api.State
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(srv.URL + "/api/v1/state")
		if err != nil {
			t.Fatal(err)
		}
		st = api.State{}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("decode: %v (%s)", err, resp.Header.Get("Content-Type"))
		}
		if len(st.Chargers) == 2 && st.Chargers[0].Heartbeats > 2 && st.Chargers[1].Heartbeats > 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state after 10 s: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !st.Connected || st.Mode != "solar" {
		t.Fatalf("%+v", st)
	}
	for _, c := range st.Chargers {
		if c.MaxHeartbeatGapMS > 1500 || c.MaxAmps != 32 || c.Protocol != 2 {
			t.Errorf("charger %+v", c)
		}
	}
}
