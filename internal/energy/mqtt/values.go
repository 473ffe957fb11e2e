package mqtt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/units"
)

// value is one quantity read from one topic: its settings, fixed at New,
// and the latest message, guarded by Source.mu.
type value struct {
	name  string // settings prefix, e.g. "grid"
	topic string // subscription filter; may hold wildcards
	path  energy.Path
	scale float64 // to watts with the appliance's signs; 1 for the charge
	soc   bool
	set   func(*energy.Reading, float64)

	num float64   // latest decoded value, when err is nil
	err error     // why the latest payload is unusable
	at  time.Time // when the latest message arrived; zero before the first
}

func newValues(p Params) ([]*value, error) {
	kw := 1.0
	if p.Unit == "kW" {
		kw = 1000
	}
	grid := kw
	if p.GridExportPositive {
		grid = -kw
	}
	scale := map[string]float64{"pv": kw, "consumption": kw, "grid": grid, "battery": kw, "battery_soc": 1}
	set := map[string]func(*energy.Reading, float64){
		"pv":          func(r *energy.Reading, x float64) { r.Generation, r.Has.Generation = units.Watts(x), true },
		"consumption": func(r *energy.Reading, x float64) { r.Consumption, r.Has.Consumption = units.Watts(x), true },
		"grid":        func(r *energy.Reading, x float64) { r.Grid, r.Has.Grid = units.Watts(x), true },
		"battery":     func(r *energy.Reading, x float64) { r.Battery, r.Has.Battery = units.Watts(x), true },
		"battery_soc": func(r *energy.Reading, x float64) { r.BatterySoC, r.Has.BatterySoC = x, true },
	}
	var vs []*value
	for _, t := range p.topics() {
		if t.topic == "" {
			continue
		}
		v := &value{name: t.name, topic: t.topic, scale: scale[t.name], soc: t.name == "battery_soc", set: set[t.name]}
		if t.path != "" {
			var err error
			if v.path, err = energy.ParsePath(t.path); err != nil {
				return nil, err // Validate has already refused it
			}
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// decode turns a payload into the value in watts (or percent). Errors
// quote at most the start of the payload: a device may publish kilobytes.
func (v *value) decode(payload []byte) (float64, error) {
	text := bytes.TrimSpace(payload)
	if len(text) == 0 {
		return 0, fmt.Errorf("empty message")
	}
	var x float64
	if v.path == nil {
		f, err := strconv.ParseFloat(string(text), 64)
		switch {
		case err != nil && (text[0] == '{' || text[0] == '['):
			return 0, fmt.Errorf("payload %s is JSON, not a number; set %s_path to the field that holds the value", excerpt(text), v.name)
		case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
			return 0, fmt.Errorf("payload %s is not a number", excerpt(text))
		}
		x = f
	} else {
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil || dec.More() {
			return 0, fmt.Errorf("payload %s is not JSON", excerpt(text))
		}
		f, err := v.path.Number(doc)
		if err != nil {
			return 0, fmt.Errorf("in payload %s: %v", excerpt(text), err)
		}
		x = f
	}
	if v.soc && (x < 0 || x > 100) {
		return 0, fmt.Errorf("battery charge %g is not a percentage (0 to 100)", x)
	}
	return x * v.scale, nil
}

// maxExcerpt bounds how much of a payload an error quotes.
const maxExcerpt = 64

func excerpt(b []byte) string {
	if len(b) <= maxExcerpt {
		return strconv.Quote(string(b))
	}
	cut := maxExcerpt
	for cut > 0 && !utf8.RuneStart(b[cut]) { // never split a character
		cut--
	}
	return strconv.Quote(string(b[:cut])) + "…"
}

// match reports whether topic matches the subscription filter, by MQTT's
// rules: + is one level, # the rest, and wildcards at the first level never
// match $SYS-style topics.
func match(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		switch {
		case f == "#":
			return true
		case i >= len(ts):
			return false
		case f != "+" && f != ts[i]:
			return false
		}
	}
	return len(fs) == len(ts)
}
