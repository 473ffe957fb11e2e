package httpjson

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/secret"
)

const apiKey = "k-7f3a9c1e5b2d4f6a8c0e-super-secret"

func load(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func read(t *testing.T, h http.HandlerFunc, p Params) energy.Reading {
	t.Helper()
	srv := energytest.NewServer(t, false, h)
	p.URL = srv.URL + "/status?outputs"
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// IotaWatt's /status?outputs: values in a list, picked by index.
func TestIotaWatt(t *testing.T) {
	r := read(t, energytest.JSON(load(t, "iotawatt.json")), Params{PVPath: "outputs[0].value", GridPath: "$.outputs[1].value", ConsumptionPath: "outputs[2].value"})
	if r.Generation != 5120.3 || r.Grid != -1502.1 || r.Consumption != 3618.2 {
		t.Fatalf("%+v", r)
	}
	if !r.Has.Generation || !r.Has.Consumption || !r.Has.Grid || r.Has.Battery || r.Has.BatterySoC || r.Has.Phases {
		t.Fatalf("has %+v", r.Has)
	}
}

// OpenDTU's live data: keys that are digits, nested objects.
func TestOpenDTU(t *testing.T) {
	r := read(t, energytest.JSON(load(t, "opendtu.json")), Params{PVPath: "inverters[0].AC.0.Power.v"})
	if r.Generation != 412.3 || r.Has.Grid {
		t.Fatalf("%+v", r)
	}
}

// A script answering in kW with numbers as strings, export and charging
// positive, behind an API key header.
func TestKilowattsSignsHeader(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != apiKey {
			energytest.Status(http.StatusUnauthorized)(w, r)
			return
		}
		energytest.JSON(`{"grid": {"export_kw": "1.5"}, "battery": {"charge_kw": 0.82, "soc": "64.5"}, "pv": 0}`)(w, r)
	}
	r := read(t, h, Params{Header: "X-Api-Key", HeaderValue: secret.New(apiKey), Unit: "kW",
		GridPath: "grid.export_kw", BatteryPath: "battery.charge_kw", BatterySoCPath: "battery.soc", PVPath: "pv",
		GridExportPositive: true, BatteryChargePositive: true})
	if r.Grid != -1500 || r.Battery != -820 || r.BatterySoC != 64.5 || r.Generation != 0 || !r.Has.Battery || !r.Has.BatterySoC {
		t.Fatalf("%+v", r)
	}
	zero := read(t, energytest.JSON(`{"g": 0}`), Params{GridPath: "g", GridExportPositive: true})
	if s := zero.String(); s != "grid 0 W" {
		t.Errorf("turned zero shows as %q", s)
	}
}

func TestFaults(t *testing.T) {
	faults := append(energytest.HTTPFaults(`{"outputs": []}`),
		energytest.Fault{Name: "null", Handler: energytest.JSON(`{"outputs": [{"value": null}]}`), Want: []string{"pv_path", "null"}},
		energytest.Fault{Name: "text", Handler: energytest.JSON(`{"outputs": [{"value": "n/a"}]}`), Want: []string{"pv_path", `"n/a"`, "not a number"}},
		energytest.Fault{Name: "token refused", Handler: energytest.Status(http.StatusForbidden), Want: []string{"403", "refused"}},
	)
	energytest.CheckFaults(t, Name, faults, func(url string) energy.Source {
		s, err := New(Params{URL: url, PVPath: "outputs[0].value"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestRecovers(t *testing.T) {
	good := energytest.JSON(load(t, "iotawatt.json"))
	srv := energytest.NewServer(t, false, good)
	s, _ := New(Params{URL: srv.URL, GridPath: "outputs[1].value"})
	energytest.CheckRecovery(t, srv, good, s)
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{"pv_path": "a"}`:                                                         "url",
		`{"url": "http://x"}`:                                                      "pv_path",
		`{"url": "http://x", "pv_path": "a..b"}`:                                   "pv_path",
		`{"url": "http://x", "grid_path": "a[x]"}`:                                 "grid_path",
		`{"url": "http://x", "consumption_path": "a[0"}`:                           "consumption_path",
		`{"url": "http://x", "battery_path": "$"}`:                                 "battery_path",
		`{"url": "http://x", "battery_soc_path": "a[-1]"}`:                         "battery_soc_path",
		`{"url": "http://x", "pv_path": "a", "unit": "MW"}`:                        "unit",
		`{"url": "http://x", "pv_path": "a", "header": "X Key"}`:                   "header",
		`{"url": "http://x", "pv_path": "a", "header": "X-Key"}`:                   "header_value",
		`{"url": "http://x", "pv_path": "a", "header_value": "v"}`:                 "header",
		`{"url": "http://x", "pv_path": "a", "header": "A:", "header_value": "v"}`: "header",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field(field) == nil {
			t.Errorf("%s: err %v, want a %s error", raw, err, field)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"url": "http://x", "pv_path": "a", "scale": 2}`)); err == nil {
		t.Error("unknown field accepted")
	}
	srv := energytest.NewServer(t, false, energytest.JSON(load(t, "iotawatt.json")))
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"url": "`+srv.URL+`", "consumption_path": "outputs[2].value", "unit": "W"}`))
	if err != nil || r.Consumption != 3618.2 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}

func TestHeaderValueNeverShows(t *testing.T) {
	var texts []string
	for _, url := range []string{
		energytest.RefusedURL(t),
		energytest.NewServer(t, false, energytest.Status(http.StatusUnauthorized)).URL,
		energytest.NewServer(t, false, energytest.JSON(`{}`)).URL,
	} {
		s, err := New(Params{URL: url, Header: "Authorization", HeaderValue: secret.New("Bearer " + apiKey), PVPath: "pv"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Read(context.Background())
		if err == nil {
			t.Fatalf("%s: read succeeded", url)
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s))
	}
	p := Params{URL: "http://x", Header: "Authorization", HeaderValue: secret.New(apiKey), PVPath: "pv"}
	b, _ := json.Marshal(p)
	texts = append(texts, string(b), fmt.Sprintf("%+v", p))
	for _, s := range texts {
		if strings.Contains(s, apiKey) {
			t.Errorf("header value shows in %q", s)
		}
	}
}
