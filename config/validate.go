package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// FieldError says which setting is wrong, what it was, and what is allowed.
type FieldError struct {
	Field   string // dotted path, e.g. "wiring.shared.breaker_amps"
	Value   any
	Allowed string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %v is not allowed; allowed: %s", e.Field, e.Value, e.Allowed)
}

// Errors lists every field error of an invalid Settings.
type Errors []*FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Error()
	}
	return "config: " + strings.Join(parts, "; ")
}

// Field returns the error for field, if any; forms use it to mark inputs.
func (e Errors) Field(field string) *FieldError {
	for _, f := range e {
		if f.Field == field {
			return f
		}
	}
	return nil
}

// AsErrors extracts field errors from an error returned by Validate.
func AsErrors(err error) (Errors, bool) {
	var e Errors
	ok := errors.As(err, &e)
	return e, ok
}

type span struct{ lo, hi float64 }

func (s span) String() string { return fmt.Sprintf("%g to %g", s.lo, s.hi) }

func (s span) has(v float64) bool { return !math.IsNaN(v) && v >= s.lo && v <= s.hi }

type durSpan struct{ lo, hi time.Duration }

func (s durSpan) String() string { return fmt.Sprintf("%v to %v", s.lo, s.hi) }

type checker struct{ errs Errors }

func (c *checker) fail(field string, value any, allowed string) {
	c.errs = append(c.errs, &FieldError{Field: field, Value: value, Allowed: allowed})
}

func (c *checker) num(field string, v float64, s span) {
	if !s.has(v) {
		c.fail(field, v, s.String())
	}
}

// optional accepts 0 (meaning "not set") or a value in s.
func (c *checker) optional(field string, v float64, s span) {
	if v != 0 || math.IsNaN(v) {
		if !s.has(v) {
			c.fail(field, v, "0 (not set) or "+s.String())
		}
	}
}

func (c *checker) dur(field string, v time.Duration, s durSpan) {
	if v < s.lo || v > s.hi {
		c.fail(field, v, s.String())
	}
}

func (c *checker) circuit(field string, ci Circuit, limit span) {
	switch {
	case ci.Breaker != 0:
		c.num(field+".breaker_amps", float64(ci.Breaker), rangeBreaker)
	case ci.Limit != 0:
		c.num(field+".limit_amps", float64(ci.Limit), limit)
	default:
		c.fail(field, "neither a breaker rating nor a limit", "a breaker of "+rangeBreaker.String()+" A, or a limit of "+limit.String()+" A")
	}
}

// Validate checks every field. The error, if any, is of type Errors.
func (s Settings) Validate() error {
	var c checker
	w := s.Wiring
	c.circuit("wiring.shared", w.Shared, rangeSharedLimit)
	c.circuit("wiring.charger", w.Charger, rangeChargerLimit)
	c.chargerMax("wiring.charger", w.Charger)
	c.num("wiring.min_amps", float64(w.MinAmps), rangeMinAmps)
	if w.MinAmps > w.Charger.Continuous() && w.Charger.Continuous() > 0 {
		c.fail("wiring.min_amps", float64(w.MinAmps), fmt.Sprintf("at most the charger limit, %v A", float64(w.Charger.Continuous())))
	}
	for id, cw := range w.Chargers {
		f := fmt.Sprintf("wiring.chargers.%s", id)
		if cw.Circuit != (Circuit{}) {
			c.circuit(f+".circuit", cw.Circuit, rangeChargerLimit)
			c.chargerMax(f+".circuit", cw.Circuit)
		}
		c.optional(f+".min_amps", float64(cw.MinAmps), rangeMinAmps)
		if least, limit := w.ChargerMin(id), w.ChargerLimit(id); rangeMinAmps.has(float64(least)) && limit > 0 && least > limit {
			c.fail(f+".min_amps", float64(least), fmt.Sprintf("at most this charger's limit, %v A", float64(limit)))
		}
	}

	e := s.Electrical
	c.num("electrical.volts", float64(e.Volts), rangeVolts)
	if e.Phases != 1 && e.Phases != 3 {
		c.fail("electrical.phases", e.Phases, "1 or 3")
	}

	p := s.Policy
	if !slices.Contains(Modes, p.Mode) {
		c.fail("policy.mode", string(p.Mode), modeList())
	}
	c.amps("policy.charge_now.amps", float64(p.ChargeNow.Amps), float64(w.MinAmps))
	if p.ChargeNow.Then != "" && (p.ChargeNow.Then == ModeNow || !slices.Contains(Modes, p.ChargeNow.Then)) {
		c.fail("policy.charge_now.then", string(p.ChargeNow.Then), "off, minsolar, solar or schedule")
	}
	if p.Mode == ModeNow && p.ChargeNow.Amps == 0 {
		c.fail("policy.charge_now.amps", 0.0, fmt.Sprintf("%v to 80 in Now mode", float64(w.MinAmps)))
	}
	sc := p.Schedule
	for name, m := range map[string]int{"policy.schedule.start_minute": sc.StartMinute, "policy.schedule.end_minute": sc.EndMinute} {
		if m < 0 || m >= 24*60 {
			c.fail(name, m, "0 to 1439 (minutes after midnight)")
		}
	}
	if sc.StartMinute == sc.EndMinute {
		c.fail("policy.schedule.end_minute", sc.EndMinute, "a time different from the start")
	}
	c.amps("policy.schedule.amps", float64(sc.Amps), float64(w.MinAmps))
	c.num("policy.schedule.battery_kwh", sc.BatteryKWh, rangeBatteryKWh)
	if p.Mode == ModeSchedule && !slices.Contains(sc.Days[:], true) {
		c.fail("policy.schedule.days", "no day", "at least one weekday in Schedule mode")
	}
	switch p.NonScheduled.Action {
	case ActionOff, ActionSolar:
	case ActionFixed:
		c.amps("policy.non_scheduled.amps", float64(p.NonScheduled.Amps), float64(w.MinAmps))
	default:
		c.fail("policy.non_scheduled.action", string(p.NonScheduled.Action), "fixed, off or solar")
	}
	names := map[string]bool{}
	for i, o := range p.Offsets {
		f := fmt.Sprintf("policy.offsets[%d]", i)
		switch n := strings.TrimSpace(o.Name); {
		case n == "" || utf8.RuneCountInString(n) > MaxOffsetName:
			c.fail(f+".name", o.Name, fmt.Sprintf("1 to %d characters", MaxOffsetName))
		case names[n]:
			c.fail(f+".name", o.Name, "a name no other offset has")
		default:
			names[n] = true
		}
		switch o.Unit {
		case UnitWatts:
			c.nonZero(f+".value", o.Value, rangeOffsetW)
		case UnitAmps:
			c.nonZero(f+".value", o.Value, rangeOffsetA)
		default:
			c.fail(f+".unit", string(o.Unit), "W or A")
		}
	}
	c.num("policy.grid_import_cap_w", float64(p.GridImportCap), rangeImportCap)
	su := p.Surplus
	c.num("policy.surplus.start_threshold_w", float64(su.StartThreshold), rangeThreshold)
	c.num("policy.surplus.stop_threshold_w", float64(su.StopThreshold), rangeThreshold)
	c.dur("policy.surplus.start_delay", su.StartDelay, rangeDelay)
	c.dur("policy.surplus.stop_delay", su.StopDelay, rangeDelay)
	c.num("policy.surplus.flex_amps", float64(su.FlexAmps), rangeFlex)
	c.dur("policy.surplus.freshness", su.Freshness, rangeFreshness)
	c.num("policy.surplus.battery_min_soc", su.BatteryMinSoC, rangeSoC)
	switch p.StopMethod {
	case StopCarAPI, StopCommand, StopResponding, StopOfferZero:
	default:
		c.fail("policy.stop_method", string(p.StopMethod), "car-api, charger-command, stop-responding or none")
	}
	for name, v := range map[string]int{"now": p.Limits.Now, "schedule": p.Limits.Schedule, "solar": p.Limits.Solar, "other": p.Limits.Other} {
		if v != 0 && (v < 50 || v > 100) {
			c.fail("policy.charge_limits."+name, v, "0 (leave the car's limit) or 50 to 100 %")
		}
	}
	c.dur("policy.interval", p.Interval, rangeInterval)
	c.sources(s.Sources)
	if p := s.Bus.Port; p != "" && (!strings.HasPrefix(p, "/dev/") || strings.ContainsAny(p, " \t\n")) {
		c.fail("bus.port", p, "a device path such as /dev/ttyUSB0, or empty to detect the adapter")
	}
	for i, srv := range s.Clock.Servers {
		if strings.TrimSpace(srv) == "" || strings.ContainsAny(srv, " /\t") || len(srv) > 253 {
			c.fail(fmt.Sprintf("clock.servers[%d]", i), srv, "a host name or address, optionally with :port, e.g. pool.ntp.org or 192.168.1.1")
		}
	}
	c.mqtt(s.MQTT)
	c.home(s.Home)
	c.vehicle(s.Vehicle)
	if len(c.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(c.errs, func(a, b *FieldError) int { return strings.Compare(a.Field, b.Field) })
	return c.errs
}

// chargerMax rejects a breaker whose continuous current no Wall Connector
// takes; a limit entered directly is range-checked by circuit.
func (c *checker) chargerMax(field string, ci Circuit) {
	if ci.Breaker > 0 && float64(ci.Continuous()) > rangeChargerLimit.hi {
		c.fail(field, fmt.Sprintf("%v A continuous", float64(ci.Continuous())), "at most 80 A continuous: no Wall Connector takes more")
	}
}

// amps accepts 0 or min..80 A.
func (c *checker) amps(field string, v, min float64) {
	if v != 0 && !(span{min, rangeAmps.hi}).has(v) {
		c.fail(field, v, fmt.Sprintf("0 or %g to %g", min, rangeAmps.hi))
	}
}

func (c *checker) nonZero(field string, v float64, s span) {
	if v == 0 || !s.has(v) {
		c.fail(field, v, s.String()+", not 0")
	}
}

func modeList() string {
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// sources checks what every source shares: a unique name, a kind, known
// roles, each role given to one source only, and a sane interval.
func (c *checker) sources(srcs []Source) {
	names := map[string]bool{}
	roles := map[string]string{}
	for i, src := range srcs {
		f := fmt.Sprintf("sources[%d]", i)
		switch n := strings.TrimSpace(src.Name); {
		case n == "" || utf8.RuneCountInString(n) > 40:
			c.fail(f+".name", src.Name, "1 to 40 characters")
		case names[n]:
			c.fail(f+".name", src.Name, "a name no other source has")
		default:
			names[n] = true
		}
		if strings.TrimSpace(src.Kind) == "" {
			c.fail(f+".kind", src.Kind, "a source type such as fronius, sunspec or mqtt")
		}
		if len(src.Roles) == 0 {
			c.fail(f+".roles", "none", "at least one of "+strings.Join(SourceRoles, ", "))
		}
		for _, r := range src.Roles {
			switch other, dup := roles[r]; {
			case !slices.Contains(SourceRoles, r):
				c.fail(f+".roles", r, strings.Join(SourceRoles, ", "))
			case dup:
				c.fail(f+".roles", r, fmt.Sprintf("a role no other source has (%s already has %s)", other, r))
			default:
				roles[r] = src.Name
			}
		}
		if src.Interval != 0 {
			c.dur(f+".interval", src.Interval, rangeSourceInterval)
		}
	}
}

// topicPart rejects what MQTT forbids or makes ambiguous in a topic prefix.
func topicPart(p string) bool {
	return p != "" && !strings.ContainsAny(p, "#+\x00 ") && !strings.HasPrefix(p, "/") && !strings.HasSuffix(p, "/") && utf8.ValidString(p) && len(p) <= 100
}

func (c *checker) mqtt(m MQTT) {
	if m.Enabled && strings.TrimSpace(m.Broker) == "" {
		c.fail("mqtt.broker", m.Broker, "the broker's address, e.g. 192.168.1.10, broker.local:1883 or mqtts://broker.local:8883")
	}
	if m.Broker != "" {
		if _, err := BrokerURL(m); err != nil {
			c.fail("mqtt.broker", m.Broker, "host, host:port or a mqtt://, mqtts://, ws:// or wss:// URL")
		}
	}
	if m.Prefix != "" && !topicPart(m.Prefix) {
		c.fail("mqtt.prefix", m.Prefix, "topic levels without spaces, + or #, not starting or ending with /, e.g. TWC")
	}
	if m.DiscoveryPrefix != "" && !topicPart(m.DiscoveryPrefix) {
		c.fail("mqtt.discovery_prefix", m.DiscoveryPrefix, "topic levels without spaces, + or #, e.g. homeassistant")
	}
	if m.CACert != "" && !strings.Contains(m.CACert, "-----BEGIN CERTIFICATE-----") {
		c.fail("mqtt.ca_cert", "(not a certificate)", "a PEM certificate starting with -----BEGIN CERTIFICATE-----, or empty")
	}
}

func (c *checker) home(h Home) {
	if h.Lat < -90 || h.Lat > 90 || math.IsNaN(h.Lat) {
		c.fail("home.lat", h.Lat, "-90 to 90 degrees")
	}
	if h.Lon < -180 || h.Lon > 180 || math.IsNaN(h.Lon) {
		c.fail("home.lon", h.Lon, "-180 to 180 degrees")
	}
	c.optional("home.radius_m", h.RadiusM, rangeRadius)
}

func (c *checker) vehicle(v Vehicle) {
	switch v.Connection {
	case CarNone:
	case CarDirect:
		if strings.TrimSpace(v.ClientID) == "" {
			c.fail("vehicle.client_id", v.ClientID, "the Client ID of your Tesla developer app (developer.tesla.com → your app → Credentials)")
		}
		if v.Domain != "" && !validDomain(v.Domain) {
			c.fail("vehicle.domain", v.Domain, "a domain name such as example.com, where the public key is hosted")
		}
		if v.RedirectURI != "" && !strings.HasPrefix(v.RedirectURI, "https://") && !strings.HasPrefix(v.RedirectURI, "http://") {
			c.fail("vehicle.redirect_uri", v.RedirectURI, "the redirect URL registered with your app, starting with https://")
		}
	case CarProxy:
		if !strings.HasPrefix(v.ProxyURL, "https://") && !strings.HasPrefix(v.ProxyURL, "http://") || strings.ContainsAny(v.ProxyURL, " \t\n") {
			c.fail("vehicle.proxy_url", v.ProxyURL, "the proxy's address, e.g. https://192.168.1.20:4443")
		}
	default:
		c.fail("vehicle.connection", v.Connection, "empty (none), direct or proxy")
	}
	switch v.Region {
	case "", "na", "eu", "cn":
	default:
		c.fail("vehicle.region", v.Region, "na (North America, Asia-Pacific), eu (Europe, Middle East, Africa) or cn (China)")
	}
	if v.ProxyCACert != "" && !strings.Contains(v.ProxyCACert, "-----BEGIN CERTIFICATE-----") {
		c.fail("vehicle.proxy_ca_cert", "(not a certificate)", "a PEM certificate starting with -----BEGIN CERTIFICATE-----, or empty")
	}
	c.num("vehicle.monthly_budget_usd", v.MonthlyBudget, rangeBudget)
	c.dur("vehicle.min_cycle", v.MinCycle, rangeCycle)
	c.dur("vehicle.cache_for", v.CacheFor, rangeCache)
}

func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
