package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/units"
)

// ImportResult is the outcome of importing a TWCManager configuration.
type ImportResult struct {
	// Settings are Defaults() with every mapped value applied; they pass
	// Validate, or ImportTWCManager returns an error.
	Settings Settings
	// Unmapped lists every key present in the input that was not mapped, as
	// dotted paths ("config.teslaApiClientID", "sources.Fronius.serverIP",
	// "settings.homeLat"), sorted. Only paths: never the values.
	Unmapped []string
	// Notes are sentences about the conversions made.
	Notes []string
}

// ImportTWCManager reads TWCManager's config.json and, optionally (nil or
// empty allowed), its settings.json.
//
// config.json may carry the '#' comments and trailing commas that
// TWCManager's YAML parser accepts. A Charge Now in settings.json is imported
// only while it has not ended.
//
// When the files cannot be read the result is empty. When they can but the
// values are wrong (a mistyped key, or settings that do not validate), the
// result still holds what was imported, for display, and the error says which
// keys are at fault; its Settings must not be put in force. Validation errors
// can be extracted with AsErrors.
func ImportTWCManager(configJSON, settingsJSON []byte) (ImportResult, error) {
	return importAt(time.Now(), configJSON, settingsJSON)
}

// importAt is ImportTWCManager at a given time.
func importAt(now time.Time, configJSON, settingsJSON []byte) (ImportResult, error) {
	cfg, err := decodeTWCManager("config.json", configJSON)
	if err != nil {
		return ImportResult{}, err
	}
	var set map[string]any
	haveSettings := len(bytes.TrimSpace(settingsJSON)) > 0
	if haveSettings {
		if set, err = decodeTWCManager("settings.json", settingsJSON); err != nil {
			return ImportResult{}, err
		}
	}

	im := &importer{now: now, s: Defaults(), origin: map[string][]string{}}
	im.config(cfg)
	if haveSettings {
		im.settings(set)
	} else {
		im.note("no settings.json: Charge Now, the schedule and the non-scheduled action keep their defaults")
	}
	im.offsets()
	im.chooseMode(haveSettings)
	im.fitDefaults()

	slices.Sort(im.unmapped)
	res := ImportResult{Settings: im.s, Unmapped: slices.Compact(im.unmapped), Notes: im.notes}
	if len(im.problems) > 0 {
		return res, errors.New("twcmanager import: " + strings.Join(im.problems, "; "))
	}
	if err := im.s.Validate(); err != nil {
		errs, _ := AsErrors(err)
		return res, &importError{errs: errs, keys: im.keysFor}
	}
	return res, nil
}

// importError is a validation failure of imported settings, naming the
// TWCManager keys behind each bad field.
type importError struct {
	errs Errors
	keys func(field string) []string
}

func (e *importError) Error() string {
	parts := make([]string, len(e.errs))
	for i, f := range e.errs {
		from := "a default, not imported"
		if k := e.keys(f.Field); len(k) > 0 {
			from = "from " + strings.Join(k, ", ")
		}
		parts[i] = fmt.Sprintf("%s (%s)", f.Error(), from)
	}
	return "twcmanager import: the imported settings are not valid: " + strings.Join(parts, "; ")
}

func (e *importError) Unwrap() error { return e.errs }

// decodeTWCManager parses one TWCManager file into its top-level object.
func decodeTWCManager(name string, data []byte) (map[string]any, error) {
	var v any
	if err := json.Unmarshal(stripYAMLisms(data), &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(data, se.Offset)
			return nil, fmt.Errorf("%s: invalid JSON at line %d, column %d (byte offset %d): %w", name, line, col, se.Offset, err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: the file holds %s, want an object", name, kind(v))
	}
	return m, nil
}

// stripYAMLisms blanks what PyYAML accepts in TWCManager's JSON but
// encoding/json does not: '#' comments outside strings, trailing commas before
// '}' or ']', and a byte-order mark. Blanked bytes become spaces, so offsets
// in the result are offsets in the input.
func stripYAMLisms(in []byte) []byte {
	out := bytes.Clone(in)
	if bytes.HasPrefix(out, []byte("\xEF\xBB\xBF")) {
		copy(out, "   ")
	}
	inString, escaped := false, false
	comma := -1 // a comma followed so far only by blanks
	for i := 0; i < len(out); i++ {
		c := out[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString, comma = true, -1
		case '#':
			for ; i < len(out) && out[i] != '\n' && out[i] != '\r'; i++ {
				out[i] = ' '
			}
			i-- // let the loop see the line end
		case ',':
			comma = i
		case '}', ']':
			if comma >= 0 {
				out[comma] = ' '
			}
			comma = -1
		case ' ', '\t', '\n', '\r':
		default:
			comma = -1
		}
	}
	return out
}

// position turns a json.SyntaxError offset (bytes read) into a 1-based line
// and column of the offending byte.
func position(data []byte, offset int64) (line, col int) {
	i := int(min(max(offset-1, 0), int64(len(data))))
	before := data[:i]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = i - bytes.LastIndexByte(before, '\n')
	return line, col
}

type importer struct {
	now      time.Time
	s        Settings
	notes    []string
	unmapped []string
	problems []string
	// origin maps a settings field path to the TWCManager keys it came from.
	origin map[string][]string

	legacy     *Offset  // config.greenEnergyAmpsOffset
	offs       []Offset // settings.consumptionOffset, by name
	offsetKeys []string // the key of each of offs

	// Facts for the mode decision.
	chargeNow bool
	schedule  bool // a complete, enabled schedule
	action    int  // settings.nonScheduledAction if known, else 0
	fixedAmps float64
}

// section is one JSON object being mapped; used records the keys consumed.
type section struct {
	file, path string
	m          map[string]any
	used       map[string]bool
}

func newSection(file, path string, m map[string]any) *section {
	return &section{file: file, path: path, m: m, used: map[string]bool{}}
}

func (s *section) key(k string) string {
	if s.path == "" {
		return k
	}
	return s.path + "." + k
}

// value returns k's value and marks k used; ok is false when k is absent or
// null (null keeps the default).
func (s *section) value(k string) (v any, ok bool) {
	v, present := s.m[k]
	if !present {
		return nil, false
	}
	s.used[k] = true
	return v, v != nil
}

// peek is value without marking k used, for keys that stay unmapped when
// their value is not understood. A null k keeps the default and is used.
func (s *section) peek(k string) (v any, ok bool) {
	v, present := s.m[k]
	if present && v == nil {
		s.used[k] = true
	}
	return v, v != nil
}

// sub returns k's object as a section, marked used, or nil when k is absent
// or not a non-empty object (it is then left for rest to list).
func (s *section) sub(k string) *section {
	m, ok := s.m[k].(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	s.used[k] = true
	return newSection(s.file, s.key(k), m)
}

func (im *importer) note(format string, args ...any) {
	im.notes = append(im.notes, fmt.Sprintf(format, args...))
}

func (im *importer) from(field string, keys ...string) { im.origin[field] = keys }

// problem records a mistyped key. It names what was found, never the value.
func (im *importer) problem(s *section, k, want string, got any) {
	im.problems = append(im.problems, fmt.Sprintf("%s: %s: want %s, got %s", s.file, s.key(k), want, kind(got)))
}

func (im *importer) num(s *section, k string) (float64, bool) {
	v, ok := s.value(k)
	if !ok {
		return 0, false
	}
	f, ok := toFloat(v)
	if !ok {
		im.problem(s, k, "a number", v)
	}
	return f, ok
}

func (im *importer) whole(s *section, k string) (int, bool) {
	v, ok := s.value(k)
	if !ok {
		return 0, false
	}
	f, ok := toFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		im.problem(s, k, "a whole number", v)
		return 0, false
	}
	return int(f), true
}

func (im *importer) flag(s *section, k string) (bool, bool) {
	v, ok := s.value(k)
	if !ok {
		return false, false
	}
	b, ok := toBool(v)
	if !ok {
		im.problem(s, k, "true or false", v)
	}
	return b, ok
}

// rest lists s's unused keys as unmapped.
func (im *importer) rest(s *section) {
	for k, v := range s.m {
		if !s.used[k] {
			im.leftover(s.key(k), v)
		}
	}
}

// leftover lists path, or the leaves under it when it is a non-empty object.
func (im *importer) leftover(path string, v any) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, sub := range m {
			im.leftover(path+"."+k, sub)
		}
		return
	}
	im.unmapped = append(im.unmapped, path)
}

// config maps config.json.
func (im *importer) config(m map[string]any) {
	top := newSection("config.json", "", m)
	c := newSection("config.json", "config", nil)
	if v, present := top.value("config"); present {
		if cm, ok := v.(map[string]any); ok {
			c.m = cm
		} else {
			im.problem(top, "config", "an object", v)
		}
	}
	im.wiring(c)
	im.electrical(c)
	im.surplus(c)
	im.limits(c)
	im.fakeMaster(c)
	im.rest(c)
	if iface := top.sub("interface"); iface != nil {
		if rs := iface.sub("RS485"); rs != nil {
			if _, ok := rs.m["port"]; ok {
				im.note("interface.RS485.port is not imported: the appliance finds the RS-485 adapter itself")
			}
			im.rest(rs)
		}
		im.rest(iface)
	}
	if pol := top.sub("policy"); pol != nil {
		if eng := pol.sub("engine"); eng != nil {
			im.interval(eng)
			im.rest(eng)
		}
		im.rest(pol)
	}
	im.rest(top)
}

// interval imports how often TWCManager evaluated its policy, within the
// range the appliance allows.
func (im *importer) interval(eng *section) {
	v, ok := im.num(eng, "policyCheckInterval")
	if !ok {
		return
	}
	d := seconds(v)
	if d < rangeInterval.lo || d > rangeInterval.hi {
		clamped := min(max(d, rangeInterval.lo), rangeInterval.hi)
		im.note("policy.engine.policyCheckInterval %s s changed to %v, the nearest allowed", num(v), clamped)
		d = clamped
	}
	im.s.Policy.Interval = d
	im.from("policy.interval", eng.key("policyCheckInterval"))
}

func (im *importer) wiring(c *section) {
	w := &im.s.Wiring
	all, hasAll := im.num(c, "wiringMaxAmpsAllTWCs")
	per, hasPer := im.num(c, "wiringMaxAmpsPerTWC")
	if hasAll {
		w.Shared = Circuit{Limit: units.Amps(all)}
		im.from("wiring.shared", c.key("wiringMaxAmpsAllTWCs"))
		im.note("config.wiringMaxAmpsAllTWCs %s A entered as the shared circuit's continuous limit (TWCManager's value is already the breaker rating × 0.8)", num(all))
	} else {
		im.note("config.wiringMaxAmpsAllTWCs is not set: the shared circuit keeps the default %s A breaker (%s A continuous); check it", num(float64(w.Shared.Breaker)), num(float64(w.Shared.Continuous())))
	}
	switch {
	case hasPer:
		w.Charger = Circuit{Limit: units.Amps(per)}
		im.from("wiring.charger", c.key("wiringMaxAmpsPerTWC"))
		im.note("config.wiringMaxAmpsPerTWC %s A entered as each charger's continuous limit", num(per))
	case hasAll:
		limit := min(all, rangeChargerLimit.hi)
		w.Charger = Circuit{Limit: units.Amps(limit)}
		im.from("wiring.charger", c.key("wiringMaxAmpsAllTWCs"))
		im.note("config.wiringMaxAmpsPerTWC is not set: each charger's continuous limit is taken from config.wiringMaxAmpsAllTWCs, %s A", num(limit))
	default:
		im.note("config.wiringMaxAmpsPerTWC is not set: each charger keeps the default %s A breaker (%s A continuous); check it", num(float64(w.Charger.Breaker)), num(float64(w.Charger.Continuous())))
	}

	if v, ok := im.num(c, "minAmpsPerTWC"); ok {
		im.from("wiring.min_amps", c.key("minAmpsPerTWC"))
		lo, hi := rangeMinAmps.lo, rangeMinAmps.hi
		if lim := float64(w.Charger.Continuous()); lim >= lo && lim < hi {
			hi = lim
		}
		switch {
		case v < lo:
			im.note("config.minAmpsPerTWC %s A raised to %s A, the least a charger accepts", num(v), num(lo))
			v = lo
		case v > hi && hi < rangeMinAmps.hi:
			im.note("config.minAmpsPerTWC %s A lowered to the charger limit, %s A", num(v), num(hi))
			v = hi
		case v > hi:
			im.note("config.minAmpsPerTWC %s A lowered to %s A, the most allowed", num(v), num(hi))
			v = hi
		}
		w.MinAmps = units.Amps(v)
	}
}

func (im *importer) electrical(c *section) {
	e := &im.s.Electrical
	if v, ok := im.num(c, "defaultVoltage"); ok {
		e.Volts = units.Volts(v)
		im.from("electrical.volts", c.key("defaultVoltage"))
	}
	if v, ok := im.whole(c, "numberOfPhases"); ok {
		e.Phases = v
		im.from("electrical.phases", c.key("numberOfPhases"))
	}
	if v, ok := im.num(c, "maxAmpsAllowedFromGrid"); ok {
		capW := v * float64(e.Volts) * float64(e.Phases)
		im.s.Policy.GridImportCap = units.Watts(capW)
		im.from("policy.grid_import_cap_w", c.key("maxAmpsAllowedFromGrid"), c.key("defaultVoltage"), c.key("numberOfPhases"))
		if v != 0 {
			phases := "phases"
			if e.Phases == 1 {
				phases = "phase"
			}
			im.note("config.maxAmpsAllowedFromGrid %s A converted to a grid import cap of %s W (%s A × %s V × %d %s); it applies in every mode, not only where a TWCManager policy ran checkMaxPowerFromGrid",
				num(v), num(capW), num(v), num(float64(e.Volts)), e.Phases, phases)
		}
	}
}

func (im *importer) surplus(c *section) {
	su := &im.s.Policy.Surplus
	if v, ok := im.num(c, "greenEnergyFlexAmps"); ok {
		su.FlexAmps = units.Amps(v)
		im.from("policy.surplus.flex_amps", c.key("greenEnergyFlexAmps"))
	}
	if v, ok := im.num(c, "startStopDelay"); ok {
		d := seconds(v)
		su.StartDelay, su.StopDelay = d, d
		im.from("policy.surplus.start_delay", c.key("startStopDelay"))
		im.from("policy.surplus.stop_delay", c.key("startStopDelay"))
		im.note("config.startStopDelay %s s used as both the start delay and the stop delay", num(v))
	}
	if v, ok := im.flag(c, "subtractChargerLoad"); ok {
		su.MeterIncludesCharger = v
		im.from("policy.surplus.meter_includes_charger", c.key("subtractChargerLoad"))
	}
	if v, ok := im.num(c, "greenEnergyAmpsOffset"); ok && v != 0 {
		im.legacy = &Offset{Name: "greenEnergyAmpsOffset", Value: v, Unit: UnitAmps}
		im.note("config.greenEnergyAmpsOffset %s A imported as a consumption offset named greenEnergyAmpsOffset", num(v))
	}
}

func (im *importer) limits(c *section) {
	l := &im.s.Policy.Limits
	for _, x := range []struct {
		key, field string
		to         *int
	}{
		{"chargeNowLimit", "now", &l.Now},
		{"scheduledLimit", "schedule", &l.Schedule},
		{"greenEnergyLimit", "solar", &l.Solar},
		{"nonScheduledLimit", "other", &l.Other},
	} {
		if v, ok := im.whole(c, x.key); ok {
			if v == -1 {
				v = 0 // the car's own limit
			}
			*x.to = v
			im.from("policy.charge_limits."+x.field, c.key(x.key))
		}
	}
}

func (im *importer) fakeMaster(c *section) {
	v, present := c.peek("fakeMaster")
	if !present {
		return
	}
	switch f, ok := toFloat(v); {
	case ok && f == 1:
		c.used["fakeMaster"] = true
	case ok && f == 0:
		im.note("config.fakeMaster 0 (pretend to be a slave) is not imported: the appliance is always the bus master")
	case ok && f == 2:
		im.note("config.fakeMaster 2 (listen only) is not imported: the appliance is always the bus master")
	default:
		im.note("config.fakeMaster is not 1 and is not imported: the appliance is always the bus master")
	}
}

// settings maps settings.json.
func (im *importer) settings(m map[string]any) {
	s := newSection("settings.json", "settings", m)
	im.chargeNowSettings(s)
	im.scheduleSettings(s)
	im.nonScheduled(s)
	im.stopMode(s)
	im.consumptionOffsets(s)
	im.rest(s)
}

func (im *importer) chargeNowSettings(s *section) {
	amps, hasAmps := im.num(s, "chargeNowAmps")
	end, hasEnd := im.num(s, "chargeNowTimeEnd")
	if !hasAmps || amps <= 0 {
		return
	}
	if !hasEnd || end <= 0 {
		im.note("settings.chargeNowAmps %s A is not imported: Charge Now has no end time, so it was not active", num(amps))
		return
	}
	until := epoch(end)
	if !until.After(im.now) {
		im.note("settings.chargeNowAmps %s A is not imported: Charge Now ended at %s", num(amps), until.Format(time.RFC3339))
		return
	}
	im.s.Policy.ChargeNow.Amps = units.Amps(amps)
	im.s.Policy.ChargeNow.Until = until
	im.from("policy.charge_now", s.key("chargeNowAmps"), s.key("chargeNowTimeEnd"))
	im.chargeNow = true
}

func (im *importer) scheduleSettings(s *section) {
	sc := &im.s.Policy.Schedule
	amps, hasAmps := im.num(s, "scheduledAmpsMax")
	switch {
	case hasAmps && amps > 0:
		sc.Amps = units.Amps(amps)
		im.from("policy.schedule.amps", s.key("scheduledAmpsMax"))
	case hasAmps:
		im.note("settings.scheduledAmpsMax %s: no scheduled current was set; the schedule keeps the default %s A", num(amps), num(float64(sc.Amps)))
	}

	start, hasStart := im.num(s, "scheduledAmpsStartHour")
	end, hasEnd := im.num(s, "scheduledAmpsEndHour")
	hours := hasStart && hasEnd && start >= 0 && end >= 0
	if hours {
		sm, em := hourMinutes(start), hourMinutes(end)
		if sm == em {
			im.note("settings.scheduledAmpsStartHour and scheduledAmpsEndHour are both %s: the window is empty, so the schedule keeps its default times", num(start))
			hours = false
		} else {
			sc.StartMinute, sc.EndMinute = sm, em
			im.from("policy.schedule.start_minute", s.key("scheduledAmpsStartHour"))
			im.from("policy.schedule.end_minute", s.key("scheduledAmpsEndHour"))
			im.note("settings.scheduledAmpsStartHour %s and scheduledAmpsEndHour %s (hours) entered as %s to %s", num(start), num(end), clockTime(sm), clockTime(em))
		}
	} else if hasStart || hasEnd {
		im.note("the schedule's start or end hour is not set in settings.json: the schedule keeps its default times")
	}

	days := false
	if b, ok := im.whole(s, "scheduledAmpsDaysBitmap"); ok {
		if b < 0 || b > 0x7F {
			im.problems = append(im.problems, fmt.Sprintf("settings.json: %s: want 0 to 127 (Mon=1 … Sun=64), got %d", s.key("scheduledAmpsDaysBitmap"), b))
		} else {
			sc.Days = bitmapDays(b)
			days = b != 0
			im.from("policy.schedule.days", s.key("scheduledAmpsDaysBitmap"))
			im.note("settings.scheduledAmpsDaysBitmap %d entered as %s", b, dayList(sc.Days))
		}
	} else if _, present := s.m["scheduledAmpsDaysBitmap"]; !present && hasAmps && amps > 0 && hours {
		sc.Days = bitmapDays(0x7F)
		days = true
		im.note("settings.scheduledAmpsDaysBitmap is not set: the schedule runs every day, as in TWCManager")
	}
	im.schedule = hasAmps && amps > 0 && hours && days

	if v, ok := im.flag(s, "scheduledAmpsFlexStart"); ok {
		sc.FinishBy = v
		im.from("policy.schedule.finish_by", s.key("scheduledAmpsFlexStart"))
	}
	if v, ok := im.num(s, "scheduledAmpsBatterySize"); ok {
		sc.BatteryKWh = v
		im.from("policy.schedule.battery_kwh", s.key("scheduledAmpsBatterySize"))
	}
}

func (im *importer) nonScheduled(s *section) {
	ns := &im.s.Policy.NonScheduled
	amps, hasAmps := im.num(s, "nonScheduledAmpsMax")
	if hasAmps {
		ns.Amps = units.Amps(max(amps, 0))
		im.fixedAmps = max(amps, 0)
		im.from("policy.non_scheduled.amps", s.key("nonScheduledAmpsMax"))
	}
	v, present := s.peek("nonScheduledAction")
	if !present {
		return
	}
	f, ok := toFloat(v)
	switch {
	case ok && f == 1 && im.fixedAmps > 0:
		ns.Action = ActionFixed
	case ok && f == 1:
		ns.Action = ActionOff
		im.note("settings.nonScheduledAction 1 (fixed current) with settings.nonScheduledAmpsMax 0 A entered as \"do not charge\"")
	case ok && f == 2:
		ns.Action = ActionOff
	case ok && f == 3:
		ns.Action = ActionSolar
	default:
		im.note("settings.nonScheduledAction is not 1, 2 or 3 and is not imported: the non-scheduled action stays %s", ns.Action)
		return
	}
	s.used["nonScheduledAction"] = true
	im.action = int(f)
	im.from("policy.non_scheduled.action", s.key("nonScheduledAction"))
}

func (im *importer) stopMode(s *section) {
	v, present := s.peek("chargeStopMode")
	if !present {
		return
	}
	p := &im.s.Policy
	switch f, ok := toFloat(v); {
	case ok && f == 1:
		p.StopMethod = StopCarAPI
	case ok && f == 2:
		p.StopMethod = StopResponding
	case ok && f == 3:
		p.StopMethod = StopCommand
	default:
		im.note("settings.chargeStopMode is not 1, 2 or 3 and is not imported: the stop method stays %s", p.StopMethod)
		return
	}
	s.used["chargeStopMode"] = true
	im.from("policy.stop_method", s.key("chargeStopMode"))
}

func (im *importer) consumptionOffsets(s *section) {
	v, ok := s.value("consumptionOffset")
	if !ok {
		return
	}
	all, ok := v.(map[string]any)
	if !ok {
		im.problem(s, "consumptionOffset", "an object of {value, unit}", v)
		return
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		entry, ok := all[name].(map[string]any)
		if !ok {
			im.problems = append(im.problems, fmt.Sprintf("settings.json: %s: want an object of {value, unit}, got %s", s.key("consumptionOffset."+name), kind(all[name])))
			continue
		}
		e := newSection(s.file, s.key("consumptionOffset."+name), entry)
		value, hasValue := im.num(e, "value")
		unit, hasUnit := e.value("unit")
		u, isString := unit.(string)
		switch {
		case !hasValue || !hasUnit:
			im.problems = append(im.problems, fmt.Sprintf("settings.json: %s: want both value and unit", e.path))
		case !isString:
			im.problem(e, "unit", `"W" or "A"`, unit)
		case value == 0:
			im.note("consumption offset %q is 0 and is not imported", name)
		default:
			if up := strings.ToUpper(strings.TrimSpace(u)); up == "W" || up == "A" {
				u = up
			}
			im.offs = append(im.offs, Offset{Name: name, Value: value, Unit: OffsetUnit(u)})
			im.offsetKeys = append(im.offsetKeys, e.path)
		}
		im.rest(e)
	}
}

// offsets puts the legacy offset and the settings offsets in place.
func (im *importer) offsets() {
	var out []Offset
	if im.legacy != nil {
		o := *im.legacy
		for _, s := range im.offs {
			if s.Name == o.Name {
				o.Name += " (config)"
				im.note("config.greenEnergyAmpsOffset renamed %q: settings.json has an offset named greenEnergyAmpsOffset too", o.Name)
				break
			}
		}
		im.from(fmt.Sprintf("policy.offsets[%d]", len(out)), "config.greenEnergyAmpsOffset")
		out = append(out, o)
	}
	for i, o := range im.offs {
		im.from(fmt.Sprintf("policy.offsets[%d]", len(out)), im.offsetKeys[i])
		out = append(out, o)
	}
	if len(out) > 0 {
		im.s.Policy.Offsets = out
	}
}

// chooseMode follows TWCManager's default policy: Charge Now, then the
// schedule, then green energy or the non-scheduled action.
func (im *importer) chooseMode(haveSettings bool) {
	p := &im.s.Policy
	var mode Mode
	var why string
	switch {
	case im.schedule:
		mode = ModeSchedule
		why = fmt.Sprintf("settings.json sets a schedule (%s A on %s, %s to %s); outside it the non-scheduled action (%s) applies",
			num(float64(p.Schedule.Amps)), dayList(p.Schedule.Days), clockTime(p.Schedule.StartMinute), clockTime(p.Schedule.EndMinute), p.NonScheduled.Action)
		if p.NonScheduled.Action == ActionFixed {
			why += " all day, where TWCManager tracked green energy by day"
		}
	case im.action == 3:
		mode = ModeSolar
		why = "settings.nonScheduledAction 3 tracks green energy all day"
	case im.action == 1 && im.fixedAmps > 0:
		mode = ModeSchedule
		sc := &p.Schedule
		sc.Amps = units.Amps(im.fixedAmps)
		im.from("policy.schedule.amps", "settings.nonScheduledAmpsMax")
		if !slices.Contains(sc.Days[:], true) {
			sc.Days = bitmapDays(0x7F)
		}
		why = fmt.Sprintf("settings.nonScheduledAction 1 charges at a fixed %s A and no schedule is set, so the schedule and the time outside it both charge at %s A (TWCManager tracked green energy by day instead)",
			num(im.fixedAmps), num(im.fixedAmps))
	case im.action == 2:
		mode = ModeOff
		why = "settings.nonScheduledAction 2 (do not charge) and no schedule is set: TWCManager charged only on Charge Now"
	case haveSettings:
		mode = ModeSolar
		why = "no schedule or non-scheduled charging is set, and TWCManager's default policy tracks green energy by day"
	default:
		mode = ModeSolar
		why = "TWCManager's default policy tracks green energy by day"
	}
	if im.chargeNow {
		p.Mode, p.ChargeNow.Then = ModeNow, mode
		im.from("policy.mode", "settings.chargeNowAmps", "settings.chargeNowTimeEnd")
		im.note("mode now: Charge Now at %s A until %s, then mode %s: %s",
			num(float64(p.ChargeNow.Amps)), p.ChargeNow.Until.Format(time.RFC3339), mode, why)
		return
	}
	p.Mode = mode
	im.note("mode %s: %s", mode, why)
}

// fitDefaults brings the currents that were not imported into the range the
// imported wiring allows.
func (im *importer) fitDefaults() {
	w := im.s.Wiring
	lo, hi := w.MinAmps, w.Charger.Continuous()
	if lo > hi {
		return // invalid wiring; Validate reports it
	}
	p := &im.s.Policy
	for field, a := range map[string]*units.Amps{
		"policy.charge_now":         &p.ChargeNow.Amps,
		"policy.schedule.amps":      &p.Schedule.Amps,
		"policy.non_scheduled.amps": &p.NonScheduled.Amps,
	} {
		if _, imported := im.origin[field]; !imported && *a != 0 {
			*a = min(max(*a, lo), hi)
		}
	}
}

// keysFor lists the TWCManager keys behind a settings field.
func (im *importer) keysFor(field string) []string {
	var keys []string
	for f, ks := range im.origin {
		if f == field || within(field, f) || within(f, field) {
			keys = append(keys, ks...)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// within reports whether path lies under parent.
func within(path, parent string) bool {
	rest, ok := strings.CutPrefix(path, parent)
	return ok && rest != "" && (rest[0] == '.' || rest[0] == '[')
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

func toBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case float64:
		return v != 0, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		return b, err == nil
	}
	return false, false
}

// kind names a JSON value's type without showing the value.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "true/false"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// seconds converts TWCManager seconds to a duration, saturating.
func seconds(s float64) time.Duration {
	ns := s * float64(time.Second)
	switch {
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(ns)
}

// epoch converts Unix seconds (possibly fractional) to a UTC time.
func epoch(s float64) time.Time {
	s = min(s, 1<<40)
	whole := math.Floor(s)
	return time.Unix(int64(whole), int64((s-whole)*1e9)).UTC()
}

// hourMinutes converts TWCManager's float hours (22.5) to minutes after
// midnight (1350); 24:00 is midnight.
func hourMinutes(h float64) int {
	m := math.Round(min(h, 1e6) * 60)
	if m == 24*60 {
		return 0
	}
	return int(m)
}

func clockTime(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// bitmapDays converts TWCManager's day bitmap (Mon=1, Tue=2 … Sun=64) to
// days indexed by time.Weekday.
func bitmapDays(b int) [7]bool {
	var d [7]bool
	for i := range 7 {
		d[(i+1)%7] = b&(1<<i) != 0 // bit 0 is Monday, time.Monday is 1
	}
	return d
}

func dayList(d [7]bool) string {
	var names []string
	for _, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		if d[wd] {
			names = append(names, wd.String()[:3])
		}
	}
	if len(names) == 0 {
		return "no day"
	}
	return strings.Join(names, ", ")
}
