package setup

import (
	"regexp"
	"strconv"
)

// Spec describes a field for people.
type Spec struct {
	Label string
	Unit  string // A, W, V, s, %, kWh
	Help  string
	// Allowed replaces the allowed values Validate gives, where those are
	// in the wrong terms (minutes after midnight for a time of day).
	Allowed string
	// Group is a field that is not one input (a circuit, a set of days):
	// its errors say what it is, not what was typed.
	Group bool
	// Short is the label shown beside the input when the context says the
	// rest (inside "Charger 1839"); messages use Label.
	Short string
}

// Shown is the label beside the input.
func (s Spec) Shown() string {
	if s.Short != "" {
		return s.Short
	}
	return s.Label
}

var specs = map[string]Spec{
	"wiring.shared":              {Label: "Shared circuit", Group: true},
	"wiring.shared.breaker_amps": {Label: "Breaker of the shared circuit", Unit: "A", Help: "The breaker that protects the supply all chargers share (often the garage's)."},
	"wiring.shared.limit_amps":   {Label: "Or: continuous limit of the shared circuit", Unit: "A", Help: "Only if there is no breaker rating to give: the current the circuit may carry for hours. Leave the breaker empty then."},
	"wiring.charger":             {Label: "Each charger's circuit", Group: true},
	"wiring.charger.breaker_amps": {Label: "Breaker of each charger", Unit: "A",
		Help: "The breaker in front of each Wall Connector."},
	"wiring.charger.limit_amps": {Label: "Or: continuous limit of each charger", Unit: "A", Help: "Only without a breaker rating; leave the breaker empty then."},
	"wiring.min_amps": {Label: "Minimum current", Unit: "A",
		Help: "Less than this is not worth offering: the car pauses instead. Wall Connectors accept 6 A (older ones 5 A)."},

	"electrical.volts":   {Label: "Voltage", Unit: "V", Help: "The voltage of one phase: 230 in most of Europe, 240 or 120 in North America."},
	"electrical.phases":  {Label: "Phases", Help: "1 for a single-phase supply, 3 for a three-phase supply."},
	"electrical.measure": {Label: "Use the chargers' own voltage and current readings when they report them"},

	"policy.mode":                 {Label: "Mode"},
	"policy.charge_now.amps":      {Label: "Current in Now mode", Unit: "A", Help: "0 offers each charger the most its circuit allows."},
	"policy.charge_now.until":     {Label: "Now mode ends at", Help: "Leave empty to charge until you change the mode.", Allowed: "a date and time such as 2025-06-01 18:00"},
	"policy.charge_now.then":      {Label: "Then switch to"},
	"policy.non_scheduled.action": {Label: "Outside the schedule"},
	"policy.non_scheduled.amps":   {Label: "Current outside the schedule", Unit: "A", Help: "Used when “charge at a fixed current” is chosen."},
	"policy.grid_import_cap_w": {Label: "Grid import cap", Unit: "W",
		Help: "The most the whole house may draw from the grid while charging; chargers get less when the house needs more. 0: no cap."},
	"policy.surplus.start_threshold_w": {Label: "Start threshold", Unit: "W",
		Help: "Export needed beyond the minimum current's power before charging starts. 0 starts as soon as the minimum is covered."},
	"policy.surplus.stop_threshold_w": {Label: "Stop threshold", Unit: "W",
		Help: "Grid import tolerated before charging stops. 0: stop as soon as the sun no longer covers the minimum."},
	"policy.surplus.start_delay": {Label: "Start delay", Unit: "s", Help: "The surplus must last this long before a car starts: a passing gap in the clouds does not start it."},
	"policy.surplus.stop_delay":  {Label: "Stop delay", Unit: "s", Help: "The surplus must be gone this long before a car stops: a passing cloud does not stop it."},
	"policy.surplus.flex_amps": {Label: "Flex current", Unit: "A",
		Help: "Keep charging this many amps below the minimum (the rest from the grid) before the stop delay starts."},
	"policy.surplus.meter_includes_charger": {Label: "The house consumption reading already includes the chargers",
		Help: "Tick this when the meter sits between the grid and everything, chargers included."},
	"policy.surplus.freshness": {Label: "Oldest usable reading", Unit: "s", Help: "A reading older than this counts as missing, and solar charging pauses."},
	"policy.surplus.battery_min_soc": {Label: "Home battery first, up to", Unit: "%",
		Help: "Below this charge level the home battery gets the surplus, not the car. 0: the car may always have it."},
	"policy.stop_method":            {Label: "How to stop a charging car"},
	"policy.charge_limits.now":      {Label: "Car charge limit in Now mode", Unit: "%"},
	"policy.charge_limits.schedule": {Label: "Car charge limit in Schedule mode", Unit: "%"},
	"policy.charge_limits.solar":    {Label: "Car charge limit in Solar modes", Unit: "%"},
	"policy.charge_limits.other":    {Label: "Car charge limit otherwise", Unit: "%"},
	"policy.interval":               {Label: "Decide every", Unit: "s", Help: "How often the current for each car is worked out again."},

	"policy.schedule.days":         {Label: "Days", Group: true},
	"policy.schedule.start_minute": {Label: "Start", Allowed: "a time of day such as 22:30"},
	"policy.schedule.end_minute":   {Label: "End", Help: "An end before the start runs over midnight.", Allowed: "a time of day such as 06:00"},
	"policy.schedule.amps":         {Label: "Current in the schedule", Unit: "A", Help: "0 offers each charger the most its circuit allows."},
	"policy.schedule.finish_by":    {Label: "Finish by the end time instead of starting at the start time"},
	"policy.schedule.battery_kwh":  {Label: "Car battery size", Unit: "kWh", Help: "Used to work out when to start."},

	"bus.port":             {Label: "Adapter"},
	"bus.monitor":          {Label: "What twcmanager does on the bus"},
	"web.public_dashboard": {Label: "Show the dashboard without login on my home network"},
	"setup_done":           {Label: "Setup finished"},

	"api.compat_open_writes": {Label: "Let TWCManager clients on my network control charging without a token",
		Help: "openWB, the Home Assistant TWCManager integration and scripts written for TWCManager cannot send a token. Tick this if one of them starts, stops or sets the charging current. Anyone on your home network can then change charging through port 8080, as with TWCManager itself. Reading is always open; nothing secret is ever shown."},
	"vehicle.connection":     {Label: "Connection to the car"},
	"vehicle.client_id":      {Label: "Client ID", Help: "From developer.tesla.com → your application → Credentials & APIs."},
	"vehicle.client_secret":  {Label: "Client secret", Help: "Optional: the login works without it (PKCE). Leave as it is to keep the stored one."},
	"vehicle.region":         {Label: "Region"},
	"vehicle.domain":         {Label: "Your app's domain", Help: "The domain you gave Tesla as the app's origin; the public key is hosted there."},
	"vehicle.redirect_uri":   {Label: "Redirect URL", Help: "Exactly as registered with your app, e.g. https://example.com/callback. It need not work: you copy the address the browser ends at."},
	"vehicle.proxy_url":      {Label: "Proxy address", Help: "Where the command proxy listens, e.g. https://192.168.1.20:4443 for tesla-http-proxy."},
	"vehicle.proxy_token":    {Label: "Proxy token", Help: "Only for a hosted proxy that asks for one. Leave as it is to keep the stored one."},
	"vehicle.proxy_ca_cert":  {Label: "Proxy's certificate", Help: "For a proxy with a self-made certificate (tesla-http-proxy makes one): paste the PEM text."},
	"vehicle.proxy_insecure": {Label: "Do not check the proxy's certificate", Help: "Only on a network you trust."},
	"vehicle.monthly_budget_usd": {Label: "Monthly budget", Unit: "$",
		Help: "Tesla bills every call: $1 buys 1000 commands, 500 status reads or 50 wake-ups, and gives $10 of credit a month. twcmanager stops asking the car when this month's calls reach the budget, and stops cars at the charger instead. 0: no cap."},
	"vehicle.min_cycle": {Label: "Least time between a stop and a start", Unit: "s",
		Help: "A passing cloud does not stop and restart the car: at most one stop and one start in this time."},
	"vehicle.cache_for":        {Label: "Reuse the car's status for", Unit: "s", Help: "Each status read is billed; it is read only when a decision needs it."},
	"vehicle.respect_schedule": {Label: "Respect the car's own scheduled charging", Help: "A car waiting for its scheduled charging or departure is not started, except in Now mode."},
	"paste":                    {Label: "The address your browser ended at", Help: "After logging in, Tesla sends the browser to your redirect URL. Copy the whole address from the address bar and paste it here."},
	"mqtt.enabled":             {Label: "Connect to an MQTT broker"},
	"mqtt.broker":              {Label: "Broker", Help: "Its address: 192.168.1.10, broker.local:1883, or mqtts://broker.local:8883 for TLS."},
	"mqtt.username":            {Label: "User name", Help: "Leave empty if the broker lets anyone in."},
	"mqtt.password":            {Label: "Password", Help: "Leave as it is to keep the stored password; empty the field to remove it."},
	"mqtt.tls":                 {Label: "Use TLS (encrypted connection)"},
	"mqtt.ca_cert":             {Label: "Broker's CA certificate", Help: "Only for a broker with its own certificate authority: paste the PEM text. Empty uses the usual public authorities."},
	"mqtt.insecure":            {Label: "Do not check the broker's certificate", Help: "Only for testing: anyone on the network could pose as the broker."},
	"mqtt.prefix":              {Label: "Topic prefix", Help: "TWCManager's default is TWC: topics are TWC/<charger>/ampsInUse and so on."},
	"mqtt.discovery":           {Label: "Announce the chargers to Home Assistant (MQTT discovery)"},
	"mqtt.discovery_prefix":    {Label: "Discovery prefix", Help: "Home Assistant's default is homeassistant."},

	// A source's own fields, on the source form.
	"name":     {Label: "Name", Help: "A name you recognise, e.g. “Roof inverter”."},
	"kind":     {Label: "Type"},
	"roles":    {Label: "What it measures", Group: true},
	"interval": {Label: "Read every", Unit: "s", Help: "Leave empty for the type's usual interval."},

	// The password forms.
	"password":   {Label: "Password"},
	"repeat":     {Label: "Repeat the password"},
	"current":    {Label: "Current password"},
	"new":        {Label: "New password"},
	"new_repeat": {Label: "Repeat the new password"},
	"port":       {Label: "Adapter"},
}

var (
	chargerFieldRE = regexp.MustCompile(`^wiring\.chargers\.([0-9A-Fa-f]+)\.(circuit|circuit\.breaker_amps|circuit\.limit_amps|min_amps)$`)
	offsetFieldRE  = regexp.MustCompile(`^policy\.offsets\[(\d+)\]\.(name|value|unit)$`)
	sourceFieldRE  = regexp.MustCompile(`^sources\[(\d+)\]\.(name|kind|roles|interval)$`)
)

// SpecOf returns what people see of a settings field.
func SpecOf(name string) Spec {
	if s, ok := specs[name]; ok {
		return s
	}
	if m := chargerFieldRE.FindStringSubmatch(name); m != nil {
		c := "Charger " + m[1]
		switch m[2] {
		case "circuit":
			return Spec{Label: c + ": circuit", Group: true}
		case "circuit.breaker_amps":
			return Spec{Label: c + ": breaker", Short: "Breaker", Unit: "A"}
		case "circuit.limit_amps":
			return Spec{Label: c + ": or continuous limit", Short: "Or: continuous limit", Unit: "A"}
		default:
			return Spec{Label: c + ": minimum current", Short: "Minimum current", Unit: "A"}
		}
	}
	if m := offsetFieldRE.FindStringSubmatch(name); m != nil {
		i, _ := strconv.Atoi(m[1])
		o := "Offset " + strconv.Itoa(i+1)
		switch m[2] {
		case "name":
			return Spec{Label: o + ": name", Short: "Name"}
		case "value":
			return Spec{Label: o + ": amount", Short: "Amount"}
		default:
			return Spec{Label: o + ": unit", Short: "Unit"}
		}
	}
	if m := sourceFieldRE.FindStringSubmatch(name); m != nil {
		i, _ := strconv.Atoi(m[1])
		s := SpecOf(m[2])
		s.Label = "Energy source " + strconv.Itoa(i+1) + ": " + s.Label
		return s
	}
	return Spec{Label: name}
}
