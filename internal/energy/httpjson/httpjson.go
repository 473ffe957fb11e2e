// Package httpjson reads power values from any device or service that
// answers an HTTP GET with JSON (IotaWatt, OpenDTU, Tasmota, Node-RED,
// a home-made script): one JSON path per value.
package httpjson

import (
	"context"
	"fmt"
	"net/http"
	"regexp"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "httpjson"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "HTTP JSON (any device)",
		Roles: []energy.Role{energy.RolePV, energy.RoleConsumption, energy.RoleGrid, energy.RoleBattery},
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source. Each path is optional; at least one is
// needed.
type Params struct {
	// URL to GET. Put credentials in the header, not in the URL: the URL
	// shows in error messages.
	URL string `json:"url"`
	// Header and HeaderValue are sent with each request, e.g.
	// Authorization: Bearer xyz.
	Header          string        `json:"header,omitempty"`
	HeaderValue     secret.String `json:"header_value,omitempty"`
	PVPath          string        `json:"pv_path,omitempty"`
	ConsumptionPath string        `json:"consumption_path,omitempty"`
	GridPath        string        `json:"grid_path,omitempty"`
	BatteryPath     string        `json:"battery_path,omitempty"`
	BatterySoCPath  string        `json:"battery_soc_path,omitempty"` // percent
	// Unit of every power value: "W" (the default) or "kW".
	Unit                  string `json:"unit,omitempty"`
	GridExportPositive    bool   `json:"grid_export_positive,omitempty"`
	BatteryChargePositive bool   `json:"battery_charge_positive,omitempty"`
}

// headerName is an HTTP token (RFC 9110).
var headerName = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	c.URL("url", p.URL)
	switch {
	case p.Header != "" && !headerName.MatchString(p.Header):
		c.Fail("header", p.Header, "an HTTP header name such as Authorization or X-Api-Key")
	case p.Header != "" && !p.HeaderValue.IsSet():
		c.Fail("header_value", "empty", "the value to send in header "+p.Header)
	case p.Header == "" && p.HeaderValue.IsSet():
		c.Fail("header", "empty", "the name of the header that carries header_value")
	}
	set := 0
	for _, f := range [][2]string{{"pv_path", p.PVPath}, {"consumption_path", p.ConsumptionPath},
		{"grid_path", p.GridPath}, {"battery_path", p.BatteryPath}, {"battery_soc_path", p.BatterySoCPath}} {
		if f[1] != "" {
			set++
			c.Path(f[0], f[1])
		}
	}
	if set == 0 {
		c.Fail("pv_path", "empty", "at least one of pv_path, consumption_path, grid_path, battery_path, battery_soc_path")
	}
	if p.Unit != "" && p.Unit != "W" && p.Unit != "kW" {
		c.Fail("unit", p.Unit, `"W" or "kW"`)
	}
	return c.Err()
}

// value is one path and where its number goes.
type value struct {
	field string
	path  energy.Path
	scale float64 // to W, with the sign turned to Reading's; 1 for percent
	set   func(r *energy.Reading, v float64)
}

// Source reads one URL.
type Source struct {
	url         string
	header      string
	headerValue secret.String
	values      []value
}

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	w := 1.0
	if p.Unit == "kW" {
		w = 1000
	}
	// Reading: grid positive when importing, battery positive when
	// discharging.
	grid, battery := w, w
	if p.GridExportPositive {
		grid = -w
	}
	if p.BatteryChargePositive {
		battery = -w
	}
	s := &Source{url: p.URL, header: p.Header, headerValue: p.HeaderValue}
	for _, v := range []struct {
		field, path string
		scale       float64
		set         func(r *energy.Reading, v float64)
	}{
		{"pv_path", p.PVPath, w, func(r *energy.Reading, v float64) { r.Generation, r.Has.Generation = units.Watts(v), true }},
		{"consumption_path", p.ConsumptionPath, w, func(r *energy.Reading, v float64) { r.Consumption, r.Has.Consumption = units.Watts(v), true }},
		{"grid_path", p.GridPath, grid, func(r *energy.Reading, v float64) { r.Grid, r.Has.Grid = units.Watts(v), true }},
		{"battery_path", p.BatteryPath, battery, func(r *energy.Reading, v float64) { r.Battery, r.Has.Battery = units.Watts(v), true }},
		{"battery_soc_path", p.BatterySoCPath, 1, func(r *energy.Reading, v float64) { r.BatterySoC, r.Has.BatterySoC = v, true }},
	} {
		if v.path != "" {
			path, _ := energy.ParsePath(v.path) // checked by Validate
			s.values = append(s.values, value{v.field, path, v.scale, v.set})
		}
	}
	return s, nil
}

// Format prints the source without its header value: fmt cannot call the
// secret's own masking Format through an unexported field.
func (s *Source) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "%s source %s", Name, s.url) }

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	req, err := http.NewRequest(http.MethodGet, s.url, nil)
	if err != nil {
		return energy.Reading{}, fmt.Errorf("%s: %w", Name, err)
	}
	req.Header.Set("Accept", "application/json")
	if s.header != "" {
		req.Header.Set(s.header, s.headerValue.Reveal())
	}
	var doc any
	if err := energy.GetJSON(ctx, nil, req, &doc); err != nil {
		return energy.Reading{}, fmt.Errorf("%s: read: %w", Name, err)
	}
	var r energy.Reading
	for _, v := range s.values {
		n, err := v.path.Number(doc)
		if err != nil {
			return energy.Reading{}, fmt.Errorf("%s: read: value of %s missing or unusable: %w", Name, v.field, err)
		}
		v.set(&r, n*v.scale+0) // + 0: a turned 0 is 0, not -0
	}
	return r, nil
}
