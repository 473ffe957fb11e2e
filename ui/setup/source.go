package setup

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/ui/web"
)

// Input types of a parameter field.
const (
	InputText     = "text"
	InputNumber   = "number"
	InputCheckbox = "checkbox"
	InputPassword = "password"
)

type paramType int

const (
	ptString paramType = iota
	ptSecret
	ptBool
	ptInt
	ptUint
	ptFloat
	ptDuration
)

// ParamField is one parameter of a source kind as a form field, found by
// reflection over the kind's Params struct and its JSON tags.
type ParamField struct {
	JSON     string // the parameter's JSON name
	Name     string // the form field: "params." + JSON
	Spec     Spec
	Input    string // InputText, InputNumber, InputCheckbox or InputPassword
	Step     string // for numbers: "1" or "any"
	Optional bool   // may be left out (omitempty, omitzero, a pointer)
	typ      paramType
}

var (
	secretType   = reflect.TypeFor[secret.String]()
	durationType = reflect.TypeFor[time.Duration]()
)

// ParamFields lists the parameters of kind k. Fields of a type a form
// cannot enter are left out (and keep their stored value).
func ParamFields(k energy.Kind) []ParamField {
	t := reflect.TypeOf(k.Params)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []ParamField
	for sf := range t.Fields() {
		if !sf.IsExported() || sf.Anonymous {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		ft := sf.Type
		pf := ParamField{JSON: name, Name: "params." + name,
			Optional: strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")}
		if ft.Kind() == reflect.Pointer {
			pf.Optional = true
			ft = ft.Elem()
		}
		switch {
		case ft == secretType:
			pf.typ, pf.Input = ptSecret, InputPassword
		case ft == durationType:
			pf.typ, pf.Input, pf.Step = ptDuration, InputNumber, "any"
		case ft.Kind() == reflect.String:
			pf.typ, pf.Input = ptString, InputText
		case ft.Kind() == reflect.Bool:
			pf.typ, pf.Input = ptBool, InputCheckbox
		case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Int64:
			pf.typ, pf.Input, pf.Step = ptInt, InputNumber, "1"
		case ft.Kind() >= reflect.Uint && ft.Kind() <= reflect.Uint64:
			pf.typ, pf.Input, pf.Step = ptUint, InputNumber, "1"
		case ft.Kind() == reflect.Float32 || ft.Kind() == reflect.Float64:
			pf.typ, pf.Input, pf.Step = ptFloat, InputNumber, "any"
		default:
			continue
		}
		pf.Spec = Spec{Label: Label(sf.Name), Help: paramHelp(k.Name, name)}
		switch pf.typ {
		case ptInt:
			pf.Spec.Allowed = "a whole number"
		case ptUint:
			pf.Spec.Allowed = "a whole number, 0 or more"
		case ptFloat:
			pf.Spec.Allowed = "a number"
		case ptDuration:
			pf.Spec.Unit, pf.Spec.Allowed = "s", "a number of seconds"
		}
		out = append(out, pf)
	}
	return out
}

// Label turns a Go field name into words: "BatterySoCEntity" → "Battery
// SoC entity", "APIKey" → "API key".
func Label(goName string) string {
	rs := []rune(goName)
	var words []string
	start := 0
	for i := 1; i < len(rs); i++ {
		lowerBefore := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
		upperRun := unicode.IsUpper(rs[i-1]) && i+1 < len(rs) && unicode.IsLower(rs[i+1])
		if unicode.IsUpper(rs[i]) && (lowerBefore || upperRun) {
			words = append(words, string(rs[start:i]))
			start = i
		}
	}
	words = append(words, string(rs[start:]))
	// "SoC" splits into "So" "C": join it back.
	for i := 0; i+1 < len(words); i++ {
		if words[i] == "So" && words[i+1] == "C" {
			words = slices.Replace(words, i, i+2, "SoC")
		}
	}
	for i, w := range words {
		if i > 0 && w != "SoC" && strings.ToUpper(w) != w {
			words[i] = strings.ToLower(w)
		}
		if w == "Url" || w == "url" {
			words[i] = "URL"
		}
	}
	return strings.Join(words, " ")
}

var paramHelps = map[string]string{
	"url":                     "The device's address as you would open it in a browser, e.g. http://192.168.1.20.",
	"enphase.url":             "e.g. https://192.168.1.30 (firmware 7 or later) or http://envoy.local (older firmware).",
	"powerwall.url":           "e.g. https://192.168.1.40.",
	"homeassistant.url":       "e.g. http://homeassistant.local:8123.",
	"openhab.url":             "e.g. http://openhab.local:8080.",
	"httpjson.url":            "The address to read, e.g. http://192.168.1.20/status. Put passwords in the header, not here.",
	"address":                 "host:port, e.g. 192.168.1.20:502; the usual port if left out.",
	"unit_id":                 "The Modbus unit id; 0 uses the usual one.",
	"inverter_unit_id":        "Only if the inverter answers on a unit id of its own; 0 otherwise.",
	"meter_unit_id":           "Only if the meter answers on a unit id of its own; 0 otherwise.",
	"meter":                   "Which SolarEdge meter measures the grid connection: 1, 2 or 3 (0 means 1).",
	"meter_export_positive":   "Tick if the meter counts export as positive (SolarEdge meters do).",
	"site_id":                 "The site's number in the SolarEdge monitoring portal.",
	"api_key":                 "Monitoring portal: Admin, Site Access, API Access.",
	"base_url":                "Leave empty for the SolarEdge cloud.",
	"enphase.token":           "The token from entrez.enphaseenergy.com; needed with https.",
	"homeassistant.token":     "A long-lived access token: your Home Assistant profile, Security.",
	"openhab.token":           "An API token, if openHAB refuses anonymous reads.",
	"email":                   "Any address works; the gateway only records it.",
	"powerwall.password":      "The gateway's customer password (newer gateways: the last 5 characters of the password on its label).",
	"mqtt.password":           "The broker's password, if it needs one.",
	"username":                "The broker's user name, if it needs one.",
	"broker":                  "mqtt://host:port, mqtts://host:port or host:port.",
	"client_id":               "Leave empty for a random one.",
	"generation":              "gen1 (EM, 3EM) or gen2 (Pro 3EM and later).",
	"role":                    "grid (it measures the grid connection) or pv (it measures the inverter's feed).",
	"channel":                 "Gen1 only: one clamp (0, 1 or 2) instead of the sum of all; leave empty for the sum.",
	"header":                  "A header sent with each request, e.g. Authorization.",
	"header_value":            "Its value, e.g. Bearer abc123.",
	"unit":                    "W (the default) or kW.",
	"grid_export_positive":    "Tick if the meter counts export to the grid as positive.",
	"battery_charge_positive": "Tick if the battery's power is positive while it charges.",
	"max_age":                 "Seconds a topic may stay silent before its value counts as missing (default 60).",
	"profile":                 "clear, clouds, overcast or winter.",
	"seed":                    "Any number: the same number gives the same clouds.",
	"day_start":               "The time of day the simulation starts at, e.g. 10:00; empty follows the clock.",
}

func paramHelp(kind, name string) string {
	if h, ok := paramHelps[kind+"."+name]; ok {
		return h
	}
	if h, ok := paramHelps[name]; ok {
		return h
	}
	switch {
	case strings.HasSuffix(name, "_entity"):
		return "An entity id, e.g. sensor.grid_power; empty if you have none."
	case strings.HasSuffix(name, "_item"):
		return "An item name; empty if you have none."
	case strings.HasSuffix(name, "_topic"):
		return "An MQTT topic, e.g. home/meter/power; empty if you have none."
	case strings.HasSuffix(name, "_path"):
		return "Where the value is in the answer, e.g. Body.Data.Site.P_PV or meters[0].power."
	}
	return ""
}

// SourceView is the form for one energy source.
type SourceView struct {
	Form   *Form
	Kind   energy.Kind
	Fields []ParamField
	// Stored marks the secret parameters a value is stored for.
	Stored map[string]bool
	// Orig is the name of the source being edited; empty for a new one.
	Orig    string
	Action  string
	Reading *ReadingView
	// Others counts the sources the wizard leaves alone.
	Others int
	// Wizard shows the wizard's buttons.
	Wizard bool
}

// NewSourceView prepares the form for a source of kind k: src is the source
// being edited (Orig set), or a new one (zero Name) with the roles no other
// source has.
func NewSourceView(k energy.Kind, src config.Source, all []config.Source) SourceView {
	v := SourceView{Form: NewForm(), Kind: k, Fields: ParamFields(k), Stored: map[string]bool{}, Orig: src.Name}
	f := v.Form
	v.define()
	f.Set("kind", k.Name)
	f.Set("orig", src.Name)
	if src.Name == "" {
		f.Set("name", k.Label)
		taken := map[string]bool{}
		for _, o := range all {
			for _, r := range o.Roles {
				taken[r] = true
			}
		}
		for _, r := range k.Roles {
			if !taken[string(r)] {
				f.Values.Add("roles", string(r))
			}
		}
		return v
	}
	f.Set("name", src.Name)
	f.Values["roles"] = slices.Clone(src.Roles)
	f.SetSeconds("interval", src.Interval, true)
	var params map[string]json.RawMessage
	_ = json.Unmarshal(src.Params, &params) // checked when saved; a broken one shows empty
	for _, pf := range v.Fields {
		raw, ok := params[pf.JSON]
		if !ok || string(raw) == "null" {
			continue
		}
		switch pf.typ {
		case ptSecret:
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" {
				v.Stored[pf.JSON] = true // never shown: the page gets the mask at most
			}
		case ptString:
			var s string
			_ = json.Unmarshal(raw, &s)
			f.Set(pf.Name, s)
		case ptBool:
			var b bool
			_ = json.Unmarshal(raw, &b)
			f.SetBool(pf.Name, b)
		case ptDuration:
			var n int64
			_ = json.Unmarshal(raw, &n)
			f.SetNum(pf.Name, time.Duration(n).Seconds(), false)
		default:
			f.Set(pf.Name, string(raw))
		}
	}
	return v
}

func (v *SourceView) define() {
	v.Form.Handles("name", "roles", "interval", "kind")
	for _, pf := range v.Fields {
		v.Form.Define(pf.Name, pf.Spec)
	}
}

// PostedSource reads a source form. k is the kind the form is for; stored
// are the secrets stored for the source named orig (its masked params).
func PostedSource(f *Form, k energy.Kind, orig *config.Source) SourceView {
	v := SourceView{Form: f, Kind: k, Fields: ParamFields(k), Stored: map[string]bool{}}
	v.define()
	if orig != nil {
		v.Orig = orig.Name
		if orig.Kind == k.Name {
			var params map[string]json.RawMessage
			_ = json.Unmarshal(orig.Params, &params)
			for _, pf := range v.Fields {
				var s string
				if pf.typ == ptSecret && json.Unmarshal(params[pf.JSON], &s) == nil && s != "" {
					v.Stored[pf.JSON] = true
				}
			}
		}
	}
	return v
}

// Source builds the configured source from the form. Unreadable fields are
// marked on the form.
func (v *SourceView) Source() config.Source {
	f := v.Form
	src := config.Source{Name: f.Get("name"), Kind: v.Kind.Name, Roles: []string{}}
	for _, r := range v.Kind.Roles {
		if f.Has("roles", string(r)) {
			src.Roles = append(src.Roles, string(r))
		}
	}
	src.Interval = f.Seconds("interval", true)
	params := map[string]any{}
	renamed := v.Orig != "" && src.Name != v.Orig
	for _, pf := range v.Fields {
		text := f.Get(pf.Name)
		switch pf.typ {
		case ptSecret:
			typed := f.Values.Get(pf.Name)
			switch {
			case typed != "":
				params[pf.JSON] = typed
			case v.Stored[pf.JSON] && renamed:
				f.Fail(pf.Name, fmt.Sprintf("%s: nothing entered. Allowed: the %s again, because the stored one belongs to the old name %q.",
					pf.Spec.Label, strings.ToLower(pf.Spec.Label), v.Orig))
			case v.Stored[pf.JSON]:
				params[pf.JSON] = secret.Mask // the appliance keeps the stored one
			}
		case ptString:
			if text != "" || !pf.Optional {
				params[pf.JSON] = text
			}
		case ptBool:
			params[pf.JSON] = f.Checked(pf.Name)
		default:
			if text == "" {
				continue
			}
			n, err := ParseNum(text)
			switch {
			case err != nil,
				(pf.typ == ptInt || pf.typ == ptUint) && n != math.Trunc(n),
				pf.typ == ptUint && n < 0:
				f.bad[pf.Name] = true
				continue
			}
			switch pf.typ {
			case ptInt:
				params[pf.JSON] = int64(n)
			case ptUint:
				params[pf.JSON] = uint64(n)
			case ptDuration:
				params[pf.JSON] = int64(n * float64(time.Second))
			default:
				params[pf.JSON] = n
			}
		}
	}
	src.Params, _ = json.Marshal(params)
	return src
}

// TestParams are the parameters to test with: a secret left empty is the
// stored one, fetched here and sent only to the test.
func (v *SourceView) TestParams(app web.App, src config.Source) json.RawMessage {
	var params map[string]any
	_ = json.Unmarshal(src.Params, &params)
	for _, pf := range v.Fields {
		if pf.typ == ptSecret && params[pf.JSON] == secret.Mask {
			if s, err := app.Secret(web.SourceSecretName(v.Orig, pf.JSON)); err == nil && s.IsSet() {
				params[pf.JSON] = s.Reveal()
			} else {
				v.Form.Fail(pf.Name, fmt.Sprintf("%s: the stored one cannot be used for a test. Allowed: type it again to test.", pf.Spec.Label))
				delete(params, pf.JSON)
			}
		}
	}
	raw, _ := json.Marshal(params)
	return raw
}

// Test reads the source once and shows the reading or what is wrong.
func (v *SourceView) Test(ctx context.Context, app web.App) {
	src := v.Source()
	v.Form.Finish()
	if v.Form.HasErrors() {
		return
	}
	params := v.TestParams(app, src)
	if v.Form.HasErrors() {
		return
	}
	r, err := app.TestSource(ctx, src.Kind, params)
	if err != nil {
		if _, ok := config.AsErrors(err); ok {
			v.Form.Apply(err, ParamRename(-1))
			return
		}
		v.Form.Problem = "The test did not get a reading: " + err.Error()
		return
	}
	v.Reading = NewReadingView(r)
	v.Form.Notice = "The test worked. Save to use this source."
}

// Save puts the source into the settings in place of the one named Orig, or
// adds it, and saves. It reports whether it saved.
func (v *SourceView) Save(app web.App) bool {
	src := v.Source()
	s := app.Settings()
	i := slices.IndexFunc(s.Sources, func(o config.Source) bool { return v.Orig != "" && o.Name == v.Orig })
	if i < 0 {
		i = len(s.Sources)
		s.Sources = append(s.Sources, src)
	} else {
		s.Sources[i] = src
	}
	return Save(app, v.Form, s, ParamRename(i))
}

// ParamRename maps the fields of source i, and the bare parameter names a
// source kind reports, to the source form's fields.
func ParamRename(i int) func(string) string {
	return func(field string) string {
		if m := sourceFieldRE.FindStringSubmatch(field); m != nil {
			if m[1] == strconv.Itoa(i) {
				return m[2]
			}
			return field
		}
		if !strings.ContainsAny(field, ".[") && field != "setup_done" {
			return "params." + field
		}
		return field
	}
}

// ReadingView is a source's reading as rows of words.
type ReadingView struct {
	Rows []ReadingRow
}

// ReadingRow is one value of a reading.
type ReadingRow struct{ Name, Value string }

// NewReadingView describes r.
func NewReadingView(r energy.Reading) *ReadingView {
	w := func(x float64) string { return fmt.Sprintf("%.0f W", x) }
	none := "not provided"
	v := &ReadingView{}
	add := func(name string, has bool, value string) {
		if !has {
			value = none
		}
		v.Rows = append(v.Rows, ReadingRow{name, value})
	}
	add("Solar (PV)", r.Has.Generation, w(float64(r.Generation)))
	add("House", r.Has.Consumption, w(float64(r.Consumption)))
	grid := w(float64(r.Grid)) + " from the grid"
	if r.Grid < 0 {
		grid = w(-float64(r.Grid)) + " to the grid"
	}
	add("Grid", r.Has.Grid, grid)
	bat := w(float64(r.Battery)) + " discharging"
	if r.Battery < 0 {
		bat = w(-float64(r.Battery)) + " charging"
	}
	add("Home battery", r.Has.Battery, bat)
	add("Home battery charge", r.Has.BatterySoC, fmt.Sprintf("%.0f %%", r.BatterySoC))
	return v
}

// RoleLabel names a role for people.
func RoleLabel(r energy.Role) string {
	switch r {
	case energy.RolePV:
		return "Solar generation (PV)"
	case energy.RoleConsumption:
		return "House consumption"
	case energy.RoleGrid:
		return "Grid import and export"
	case energy.RoleBattery:
		return "Home battery"
	}
	return string(r)
}

// KindByName finds a kind among kinds.
func KindByName(kinds []energy.Kind, name string) (energy.Kind, bool) {
	i := slices.IndexFunc(kinds, func(k energy.Kind) bool { return k.Name == name })
	if i < 0 {
		return energy.Kind{}, false
	}
	return kinds[i], true
}
