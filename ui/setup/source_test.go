package setup

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	_ "github.com/twcmanager/twcmanager/internal/energy/all" // every source kind
	"github.com/twcmanager/twcmanager/internal/secret"
)

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{
		"URL": "URL", "SiteID": "Site ID", "APIKey": "API key", "BaseURL": "Base URL", "PVEntity": "PV entity",
		"BatterySoCEntity": "Battery SoC entity", "InverterUnitID": "Inverter unit ID", "MaxAge": "Max age",
		"GridExportPositive": "Grid export positive", "DayStart": "Day start", "HeaderValue": "Header value",
	} {
		if got := Label(in); got != want {
			t.Errorf("Label(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every kind's parameters become fields: none is left out, secrets are
// password inputs, and the JSON names match the struct's.
func TestParamFieldsOfEveryKind(t *testing.T) {
	kinds := energy.Kinds()
	if len(kinds) < 13 {
		t.Fatalf("%d kinds registered", len(kinds))
	}
	for _, k := range kinds {
		fields := ParamFields(k)
		typ := reflect.TypeOf(k.Params)
		if len(fields) != typ.NumField() {
			t.Errorf("%s: %d fields for %d parameters", k.Name, len(fields), typ.NumField())
		}
		secrets := map[string]bool{}
		for _, s := range energy.SecretFields(k) {
			secrets[s] = true
		}
		for _, f := range fields {
			if f.Spec.Label == "" || f.Name != "params."+f.JSON {
				t.Errorf("%s: field %+v", k.Name, f)
			}
			if secrets[f.JSON] != (f.Input == InputPassword) {
				t.Errorf("%s.%s: input %s, secret %v", k.Name, f.JSON, f.Input, secrets[f.JSON])
			}
		}
	}
}

// A source shown in its form and sent back unchanged gives the same
// parameters: numbers, booleans, optional pointers and a stored secret (as
// the mask the appliance swaps back).
func TestSourceRoundTrip(t *testing.T) {
	kinds := energy.Kinds()
	cases := []struct{ kind, params string }{
		{"sunspec", `{"address":"10.0.0.5:502","unit_id":3,"inverter_unit_id":0,"meter_unit_id":240,"meter_export_positive":true}`},
		{"shelly", `{"url":"http://10.0.0.7","generation":"gen1","role":"grid","channel":1}`},
		{"mqtt", `{"broker":"mqtt://10.0.0.2","password":"` + secret.Mask + `","grid_topic":"meter/grid","max_age":30.5}`},
		{"simulated", `{"profile":"clear","seed":42,"day_start":"09:30"}`},
	}
	for _, c := range cases {
		k, ok := KindByName(kinds, c.kind)
		if !ok {
			t.Fatalf("no kind %s", c.kind)
		}
		src := config.Source{Name: "x", Kind: c.kind, Roles: []string{string(k.Roles[0])}, Params: json.RawMessage(c.params), Interval: 15 * time.Second}
		shown := NewSourceView(k, src, []config.Source{src})
		back := PostedSource(shown.Form, k, &src)
		got := back.Source()
		if back.Form.HasErrors() {
			t.Fatalf("%s: %v %v", c.kind, back.Form.Errors, back.Form.Problem)
		}
		var want, have map[string]any
		_ = json.Unmarshal(src.Params, &want)
		_ = json.Unmarshal(got.Params, &have)
		for key, v := range want {
			if !reflect.DeepEqual(have[key], v) {
				t.Errorf("%s.%s: %v, want %v (all: %s)", c.kind, key, have[key], v, got.Params)
			}
		}
		if got.Interval != src.Interval || got.Name != src.Name || !reflect.DeepEqual(got.Roles, src.Roles) {
			t.Errorf("%s: %+v", c.kind, got)
		}
		for _, pf := range shown.Fields {
			if pf.Input == InputPassword && shown.Form.Values.Get(pf.Name) != "" {
				t.Errorf("%s: a secret is in the form", c.kind)
			}
		}
	}
}

func TestParseNum(t *testing.T) {
	for in, want := range map[string]float64{"16": 16, " 16.5 ": 16.5, "16,5": 16.5, "−3": -3, "1 500": 1500} {
		if got, err := ParseNum(in); err != nil || got != want {
			t.Errorf("ParseNum(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "abc", "NaN", "Inf", "1,000.5,2", "1,500"} {
		if _, err := ParseNum(in); err == nil {
			t.Errorf("ParseNum(%q) accepted", in)
		}
	}
}

func TestHumanDurations(t *testing.T) {
	if got := humanDurations("10s to 30m0s"); got != "10 to 1800 seconds" {
		t.Errorf("%q", got)
	}
	if got := humanDurations("0s to 30m0s"); got != "0 to 1800 seconds" {
		t.Errorf("%q", got)
	}
}
