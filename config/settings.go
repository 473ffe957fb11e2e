package config

import (
	"encoding/json"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Settings is everything the user configures.
type Settings struct {
	Wiring     Wiring     `json:"wiring"`
	Electrical Electrical `json:"electrical"`
	Policy     Policy     `json:"policy"`
	// Sources are the energy sources and the roles each fills.
	Sources []Source `json:"sources,omitempty"`
	Bus     Bus      `json:"bus"`
	Web     Web      `json:"web"`
	Clock   Clock    `json:"clock"`
	API     API      `json:"api"`
	MQTT    MQTT     `json:"mqtt"`
	Home    Home     `json:"home"`
	Vehicle Vehicle  `json:"vehicle"`
	// SetupDone is set when the first-boot wizard is finished.
	SetupDone bool `json:"setup_done"`
}

// Bus holds the RS-485 adapter choice.
type Bus struct {
	// Port is the adapter's device path; empty means detect it.
	Port string `json:"port,omitempty"`
	// Monitor is listen-only: a charger stays set as master and twcmanager
	// never transmits. It shows what it hears and records history, but
	// cannot control charging.
	Monitor bool `json:"monitor,omitempty"`
}

// Clock holds the time servers the appliance sets its clock from.
type Clock struct {
	// Servers are tried in order; host or host:port. The local router is
	// tried too when it answers.
	Servers []string `json:"servers"`
}

// Web holds the web interface's options.
type Web struct {
	// PublicDashboard lets anyone on the local network read the dashboard
	// without logging in; changing anything still needs the login.
	PublicDashboard bool `json:"public_dashboard"`
}

// API holds who may change things through the REST APIs.
type API struct {
	// CompatOpenWrites lets TWCManager clients on the local network (openWB,
	// the Home Assistant integration, scripts) control charging through the
	// TWCManager-compatible API without a token: they cannot send one.
	CompatOpenWrites bool `json:"compat_open_writes"`
}

// MQTT is the connection to an MQTT broker for status, control and Home
// Assistant discovery. The password is a secret kept apart (MQTTPasswordSecret).
type MQTT struct {
	Enabled bool `json:"enabled"`
	// Broker is host, host:port, or a URL: mqtt://host:1883, mqtts://host:8883
	// (TLS), ws:// or wss://.
	Broker   string `json:"broker,omitempty"`
	Username string `json:"username,omitempty"`
	// TLS connects with TLS even when Broker names no scheme.
	TLS bool `json:"tls,omitempty"`
	// CACert is a PEM certificate the broker's is checked against, for a
	// broker with its own certificate authority; empty uses the system's.
	CACert string `json:"ca_cert,omitempty"`
	// Insecure skips checking the broker's certificate.
	Insecure bool `json:"insecure,omitempty"`
	// Prefix starts every topic; TWCManager's default is TWC.
	Prefix string `json:"prefix,omitempty"`
	// Discovery publishes Home Assistant MQTT discovery messages under
	// DiscoveryPrefix (default homeassistant).
	Discovery       bool   `json:"discovery"`
	DiscoveryPrefix string `json:"discovery_prefix,omitempty"`
}

// MQTTPasswordSecret is the name of the MQTT password in the secrets.
const MQTTPasswordSecret = "mqtt/password"

// Home is where the cars live, for telling whether a car is at home.
type Home struct {
	// Lat and Lon in degrees; both 0 means not set.
	Lat float64 `json:"lat,omitempty"`
	Lon float64 `json:"lon,omitempty"`
	// RadiusM is how far from home, in metres, a car still counts as home.
	RadiusM float64 `json:"radius_m,omitempty"`
}

// Set reports whether a home location has been entered.
func (h Home) Set() bool { return h.Lat != 0 || h.Lon != 0 }

// Connections to the cars.
const (
	CarNone   = ""       // no car connection: cars are stopped at the charger
	CarDirect = "direct" // the user's own Tesla developer app, commands signed here
	CarProxy  = "proxy"  // a Fleet-API-compatible command proxy signs
)

// Vehicle is the connection to the cars and how sparingly it is used. Its
// secrets (client secret, tokens, app key, proxy token) are kept apart under
// the names in the vehicle/tesla package.
type Vehicle struct {
	Connection string `json:"connection,omitempty"`
	// Direct: the developer app's client ID, its region (na, eu or cn) and
	// the domain its public key is hosted at.
	ClientID string `json:"client_id,omitempty"`
	Region   string `json:"region,omitempty"`
	Domain   string `json:"domain,omitempty"`
	// RedirectURI is registered with the app; the user pastes back the
	// address the browser ends at.
	RedirectURI string `json:"redirect_uri,omitempty"`
	// Proxy: its base URL; CACert checks its certificate, Insecure does not.
	ProxyURL      string `json:"proxy_url,omitempty"`
	ProxyCACert   string `json:"proxy_ca_cert,omitempty"`
	ProxyInsecure bool   `json:"proxy_insecure,omitempty"`
	// MonthlyBudget caps what the calls may cost per calendar month, in US
	// dollars at Tesla's prices; 0 means no cap. The default is Tesla's
	// monthly credit, so a user pays nothing.
	MonthlyBudget float64 `json:"monthly_budget_usd"`
	// MinCycle is the least time between a stop and the next start (and a
	// start and the next stop) of one car.
	MinCycle time.Duration `json:"min_cycle"`
	// CacheFor is how long a car's charge state is used before it is read
	// again.
	CacheFor time.Duration `json:"cache_for"`
	// RespectSchedule skips starting a car that waits for its own
	// scheduled charging or departure.
	RespectSchedule bool `json:"respect_schedule"`
}

// Source is one configured energy source. Its kind and parameters are
// checked by the energy package when the source is built; here only what
// every source shares.
type Source struct {
	Name  string   `json:"name"`
	Kind  string   `json:"kind"`
	Roles []string `json:"roles"`
	// Params are the kind's own settings, as JSON.
	Params json.RawMessage `json:"params,omitempty"`
	// Interval overrides the kind's polling interval; 0 keeps it.
	Interval time.Duration `json:"interval,omitempty"`
}

// SourceRoles are the roles a source can fill.
var SourceRoles = []string{"pv", "consumption", "grid", "battery"}

// ContinuousFactor is the 80 % rule: a circuit may carry 80 % of its breaker
// rating continuously, and charging is a continuous load.
const ContinuousFactor = 0.8

// Circuit is one circuit's rating. Either the breaker is given and the
// continuous limit follows by the 80 % rule, or the limit is entered directly
// (Breaker 0).
type Circuit struct {
	Breaker units.Amps `json:"breaker_amps,omitempty"`
	Limit   units.Amps `json:"limit_amps,omitempty"`
}

// Continuous is the current the circuit may carry for hours.
func (c Circuit) Continuous() units.Amps {
	if c.Breaker > 0 {
		return units.Amps(float64(c.Breaker) * ContinuousFactor).Whole()
	}
	return c.Limit
}

// Wiring is the electrical installation the chargers hang on.
type Wiring struct {
	// Shared is the circuit all chargers share (the supply to the garage).
	Shared Circuit `json:"shared"`
	// Charger is each charger's own circuit, unless Chargers overrides it.
	Charger  Circuit                  `json:"charger"`
	Chargers map[twc.ID]ChargerWiring `json:"chargers,omitempty"`
	// MinAmps is the least current worth offering; below it a charger is
	// stopped. Chargers themselves accept 5 A (protocol 1) or 6 A.
	MinAmps units.Amps `json:"min_amps"`
}

// ChargerWiring overrides the wiring of one charger.
type ChargerWiring struct {
	Circuit Circuit    `json:"circuit"`
	MinAmps units.Amps `json:"min_amps,omitempty"`
}

// ChargerLimit is the continuous limit of charger id's circuit.
func (w Wiring) ChargerLimit(id twc.ID) units.Amps {
	if c, ok := w.Chargers[id]; ok && c.Circuit.Continuous() > 0 {
		return c.Circuit.Continuous()
	}
	return w.Charger.Continuous()
}

// ChargerMin is the least current offered to charger id.
func (w Wiring) ChargerMin(id twc.ID) units.Amps {
	if c, ok := w.Chargers[id]; ok && c.MinAmps > 0 {
		return c.MinAmps
	}
	return w.MinAmps
}

// Electrical holds the supply facts used when chargers do not report them.
type Electrical struct {
	// Volts is the phase voltage used when no charger reports one.
	Volts units.Volts `json:"volts"`
	// Phases (1 or 3) is used when no charger reports per-phase currents.
	Phases int `json:"phases"`
	// Measure prefers the chargers' meter replies over Volts and Phases.
	Measure bool `json:"measure"`
}

// Mode is the charging mode the user picks.
type Mode string

// The modes, in the words the UI uses.
const (
	ModeOff      Mode = "off"      // nothing charges
	ModeNow      Mode = "now"      // charge at a set current, optionally until a time
	ModeMinSolar Mode = "minsolar" // at least the minimum, more from surplus; never pauses
	ModeSolar    Mode = "solar"    // only from surplus; pauses when it is gone
	ModeSchedule Mode = "schedule" // the schedule, and the non-scheduled action outside it
)

// Modes lists every mode.
var Modes = []Mode{ModeOff, ModeNow, ModeMinSolar, ModeSolar, ModeSchedule}

// Policy is how the appliance decides what to offer.
type Policy struct {
	Mode         Mode         `json:"mode"`
	ChargeNow    ChargeNow    `json:"charge_now"`
	Schedule     Schedule     `json:"schedule"`
	NonScheduled NonScheduled `json:"non_scheduled"`
	Offsets      []Offset     `json:"offsets,omitempty"`
	// GridImportCap limits the power the whole house draws from the grid
	// while charging; 0 means no cap.
	GridImportCap units.Watts `json:"grid_import_cap_w,omitempty"`
	Surplus       Surplus     `json:"surplus"`
	// StopMethod is how a charging car is stopped when its target is 0.
	StopMethod StopMethod `json:"stop_method"`
	// Limits are the car state-of-charge limits per mode, in percent; 0 means
	// leave the car's own limit alone.
	Limits ChargeLimits `json:"charge_limits"`
	// Interval is how often the policy is evaluated.
	Interval time.Duration `json:"interval"`
}

// ChargeNow is the "Now" mode's current and end.
type ChargeNow struct {
	Amps units.Amps `json:"amps"`
	// Until ends Now mode; zero means until the user changes mode.
	Until time.Time `json:"until,omitzero"`
	// Then is the mode to return to when Until passes.
	Then Mode `json:"then,omitempty"`
}

// Schedule is a weekly charging window.
type Schedule struct {
	// Days are the weekdays it applies to, indexed by time.Weekday (Sunday 0).
	Days [7]bool `json:"days"`
	// StartMinute and EndMinute are minutes after local midnight; a window
	// with End before Start runs over midnight.
	StartMinute int        `json:"start_minute"`
	EndMinute   int        `json:"end_minute"`
	Amps        units.Amps `json:"amps"`
	// FinishBy starts late enough to finish at EndMinute when the car reports
	// its state of charge: start = end − energy needed ÷ power.
	FinishBy   bool    `json:"finish_by"`
	BatteryKWh float64 `json:"battery_kwh,omitempty"`
}

// AfterNow is the mode Charge Now returns to when it ends: Then, or Solar
// when Then is not set.
func (p Policy) AfterNow() Mode {
	if p.ChargeNow.Then == "" || p.ChargeNow.Then == ModeNow {
		return ModeSolar
	}
	return p.ChargeNow.Then
}

// ActiveMode is the mode in force at now: a Charge Now whose end has passed
// counts as the mode it returns to.
func (p Policy) ActiveMode(now time.Time) Mode {
	if p.Mode == ModeNow && !p.ChargeNow.Until.IsZero() && !now.Before(p.ChargeNow.Until) {
		return p.AfterNow()
	}
	return p.Mode
}

// NonScheduledAction is what Schedule mode does outside the window.
type NonScheduledAction string

// The non-scheduled actions.
const (
	ActionFixed NonScheduledAction = "fixed" // charge at NonScheduled.Amps
	ActionOff   NonScheduledAction = "off"   // do not charge
	ActionSolar NonScheduledAction = "solar" // follow the sun all day
)

// NonScheduled is Schedule mode outside its window.
type NonScheduled struct {
	Action NonScheduledAction `json:"action"`
	Amps   units.Amps         `json:"amps,omitempty"`
}

// OffsetUnit is W or A.
type OffsetUnit string

// Offset units.
const (
	UnitWatts OffsetUnit = "W"
	UnitAmps  OffsetUnit = "A"
)

// Offset is a named amount added to the house consumption (a negative one
// adds to generation): a heat pump the meter does not see, a reserve.
type Offset struct {
	Name  string     `json:"name"`
	Value float64    `json:"value"`
	Unit  OffsetUnit `json:"unit"`
}

// Surplus holds the solar start/stop behaviour.
type Surplus struct {
	// StartThreshold is extra export, beyond the minimum current's power,
	// needed before starting; StopThreshold is the import tolerated before
	// stopping. Both in W, both default 0.
	StartThreshold units.Watts   `json:"start_threshold_w"`
	StopThreshold  units.Watts   `json:"stop_threshold_w"`
	StartDelay     time.Duration `json:"start_delay"`
	StopDelay      time.Duration `json:"stop_delay"`
	// FlexAmps keeps a car charging this many amps below its minimum before
	// the stop delay starts (TWCManager's greenEnergyFlexAmps).
	FlexAmps units.Amps `json:"flex_amps"`
	// MeterIncludesCharger is set when the consumption reading already
	// contains the chargers' own power.
	MeterIncludesCharger bool `json:"meter_includes_charger"`
	// Freshness is how old a reading may be before it counts as missing.
	Freshness time.Duration `json:"freshness"`
	// BatteryMinSoC is the home battery charge (percent) below which the
	// battery, not the car, gets the surplus.
	BatteryMinSoC float64 `json:"battery_min_soc"`
}

// StopMethod is how a car is stopped when its target is 0.
type StopMethod string

// Stop methods, matching the bus master's mechanisms plus the car's API.
const (
	StopCarAPI     StopMethod = "car-api"         // ask the car (vehicle issue), with a charger fallback
	StopCommand    StopMethod = "charger-command" // FC B2, firmware 4.5.3 or later
	StopResponding StopMethod = "stop-responding" // withhold heartbeats for a minute
	StopOfferZero  StopMethod = "none"            // offer 0 A and let the charger do what it does
)

// ChargeLimits are per-mode state-of-charge limits in percent (0: untouched).
type ChargeLimits struct {
	Now      int `json:"now,omitempty"`
	Schedule int `json:"schedule,omitempty"`
	Solar    int `json:"solar,omitempty"`
	Other    int `json:"other,omitempty"`
}

// Names of the car connection's secrets in the store.
const (
	TeslaClientSecret = "tesla/client-secret"
	TeslaProxyToken   = "tesla/proxy-token"
	TeslaTokens       = "tesla/tokens"  // access and refresh token, with expiry, as JSON
	TeslaAppKey       = "tesla/app-key" // the app's private key, PEM
)
