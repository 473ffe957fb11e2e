package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/units"
)

// sampleNow is before the sample's Charge Now end (2026-09-21 14:13:20.5 UTC).
var sampleNow = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// minimalConfig is a config.json with valid wiring and nothing else.
const minimalConfig = `{"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 32, "minAmpsPerTWC": 6}}`

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "twcmanager", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustImport(t *testing.T, now time.Time, cfg, set string) ImportResult {
	t.Helper()
	res, err := importAt(now, []byte(cfg), []byte(set))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if err := res.Settings.Validate(); err != nil {
		t.Fatalf("imported settings do not validate: %v", err)
	}
	return res
}

func hasNote(res ImportResult, substr string) bool {
	return slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, substr) })
}

func TestImportTWCManager(t *testing.T) {
	res, err := importAt(sampleNow, readSample(t, "config.json"), readSample(t, "settings.json"))
	if err != nil {
		t.Fatal(err)
	}

	want := Defaults()
	want.Wiring = Wiring{Shared: Circuit{Limit: 40}, Charger: Circuit{Limit: 32}, MinAmps: 6}
	want.Electrical = Electrical{Volts: 230, Phases: 3, Measure: true}
	want.Policy = Policy{
		Mode:      ModeNow,
		ChargeNow: ChargeNow{Amps: 24, Until: time.Unix(1790000000, 500_000_000).UTC(), Then: ModeSchedule},
		Schedule: Schedule{
			Days:        [7]bool{time.Sunday: true, time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
			StartMinute: 22*60 + 30, EndMinute: 6*60 + 15, Amps: 16, FinishBy: true, BatteryKWh: 82,
		},
		NonScheduled: NonScheduled{Action: ActionSolar, Amps: 10},
		Offsets: []Offset{
			{Name: "greenEnergyAmpsOffset", Value: 1.5, Unit: UnitAmps},
			{Name: "heat pump", Value: 1200, Unit: UnitWatts},
			{Name: "reserve", Value: -2, Unit: UnitAmps},
		},
		GridImportCap: 16 * 230 * 3,
		Surplus: Surplus{
			StartDelay: 90 * time.Second, StopDelay: 90 * time.Second, FlexAmps: 2,
			MeterIncludesCharger: true, Freshness: 2 * time.Minute,
		},
		StopMethod: StopCommand,
		Limits:     ChargeLimits{Now: 90, Schedule: 80},
		Interval:   time.Minute, // policy.engine.policyCheckInterval
	}
	got := res.Settings
	if !got.Policy.ChargeNow.Until.Equal(want.Policy.ChargeNow.Until) {
		t.Errorf("ChargeNow.Until = %v, want %v", got.Policy.ChargeNow.Until, want.Policy.ChargeNow.Until)
	}
	got.Policy.ChargeNow.Until, want.Policy.ChargeNow.Until = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("settings:\n got %+v\nwant %+v", got, want)
	}
	if err := res.Settings.Validate(); err != nil {
		t.Errorf("imported settings do not validate: %v", err)
	}

	wantUnmapped := []string{
		"config.cloudUpdateInterval",
		"config.displayMilliseconds",
		"config.logLevel",
		"config.settingsPath",
		"config.teslaApiClientID",
		"config.teslaApiClientSecret",
		"config.teslaApiRegion",
		"config.treatGenerationAsGridDelivery",
		"config.useFlexAmpsToStartCharge",
		"control.HTTP.enabled",
		"control.HTTP.listenPort",
		"control.MQTT.brokerIP",
		"control.MQTT.enabled",
		"control.MQTT.password",
		"control.MQTT.topicPrefix",
		"control.MQTT.username",
		"interface.RS485.baud",
		"interface.RS485.enabled",
		"interface.RS485.port",
		"interface.RS485.slaveTimeout",
		"logging.Console.enabled",
		"logging.MySQL.enabled",
		"logging.MySQL.host",
		"logging.MySQL.password",
		"logging.MySQL.username",
		"policy.extend.before",
		"policy.extend.emergency",
		"settings.VehicleGroups.Allow Charging.Description",
		"settings.VehicleGroups.Allow Charging.Members",
		"settings.carApiBearerToken",
		"settings.carApiRefreshToken",
		"settings.carApiTokenExpireTime",
		"settings.chargeLimits",
		"settings.chargeRateControl",
		"settings.homeLat",
		"settings.homeLon",
		"settings.hourResumeTrackGreenEnergy",
		"settings.kWhDelivered",
		"settings.sendServerTime",
		"settings.sunrise",
		"settings.sunset",
		"settings.webInterfaceTheme",
		"sources.Fronius.enabled",
		"sources.Fronius.serverIP",
		"sources.HASS.apiKey",
		"sources.HASS.enabled",
		"sources.HASS.serverIP",
	}
	if !slices.IsSorted(wantUnmapped) {
		t.Fatal("test bug: wantUnmapped is not sorted")
	}
	if !slices.Equal(res.Unmapped, wantUnmapped) {
		t.Errorf("unmapped:\n got %q\nwant %q", res.Unmapped, wantUnmapped)
	}

	for _, n := range []string{
		"config.wiringMaxAmpsAllTWCs 40 A entered as the shared circuit's continuous limit",
		"config.wiringMaxAmpsPerTWC 32 A entered as each charger's continuous limit",
		"config.maxAmpsAllowedFromGrid 16 A converted to a grid import cap of 11040 W (16 A × 230 V × 3 phases)",
		"config.startStopDelay 90 s used as both the start delay and the stop delay",
		"settings.scheduledAmpsStartHour 22.5 and scheduledAmpsEndHour 6.25 (hours) entered as 22:30 to 06:15",
		"settings.scheduledAmpsDaysBitmap 95 entered as Mon, Tue, Wed, Thu, Fri, Sun",
		"interface.RS485.port is not imported: the appliance finds the RS-485 adapter itself",
		"mode now: Charge Now at 24 A until 2026-09-21T14:13:20Z, then mode schedule",
	} {
		if !hasNote(res, n) {
			t.Errorf("no note containing %q in\n%s", n, strings.Join(res.Notes, "\n"))
		}
	}

	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{
		"FAKE-client-id-4f1d2c", "ta-secret.FAKE-9a8b7c6d5e", "mqtt#Pa55-FAKE", "db-pass-FAKE-31337",
		"hass-FAKE-api-key-1234", "FAKE-bearer-eyJhbGciOi", "FAKE-refresh-eyJhbGciOi",
		"FAKE", "ta-secret", "eyJhbGciOi",
	} {
		if strings.Contains(string(out), secret) {
			t.Errorf("secret %q appears in the import result", secret)
		}
	}
}

// The exported function uses the real clock: a Charge Now ending in an hour is
// imported, one that ended an hour ago is not.
func TestImportTWCManagerUsesNow(t *testing.T) {
	for _, tc := range []struct {
		end  time.Time
		want Mode
	}{
		{time.Now().Add(time.Hour), ModeNow},
		{time.Now().Add(-time.Hour), ModeSolar},
	} {
		set := `{"chargeNowAmps": 16, "chargeNowTimeEnd": ` + num(float64(tc.end.Unix())) + `}`
		res, err := ImportTWCManager([]byte(minimalConfig), []byte(set))
		if err != nil {
			t.Fatal(err)
		}
		if res.Settings.Policy.Mode != tc.want {
			t.Errorf("end %v: mode %s, want %s", tc.end, res.Settings.Policy.Mode, tc.want)
		}
	}
}

func TestBitmapDays(t *testing.T) {
	const (
		sun = time.Sunday
		mon = time.Monday
		tue = time.Tuesday
		wed = time.Wednesday
		thu = time.Thursday
		fri = time.Friday
		sat = time.Saturday
	)
	for _, tc := range []struct {
		bitmap int
		days   []time.Weekday
		list   string
	}{
		{0, nil, "no day"},
		{1, []time.Weekday{mon}, "Mon"},
		{2, []time.Weekday{tue}, "Tue"},
		{4, []time.Weekday{wed}, "Wed"},
		{8, []time.Weekday{thu}, "Thu"},
		{16, []time.Weekday{fri}, "Fri"},
		{32, []time.Weekday{sat}, "Sat"},
		{64, []time.Weekday{sun}, "Sun"},
		{31, []time.Weekday{mon, tue, wed, thu, fri}, "Mon, Tue, Wed, Thu, Fri"},
		{96, []time.Weekday{sat, sun}, "Sat, Sun"},
		{65, []time.Weekday{mon, sun}, "Mon, Sun"},
		{127, []time.Weekday{sun, mon, tue, wed, thu, fri, sat}, "Mon, Tue, Wed, Thu, Fri, Sat, Sun"},
	} {
		var want [7]bool
		for _, d := range tc.days {
			want[d] = true
		}
		got := bitmapDays(tc.bitmap)
		if got != want {
			t.Errorf("bitmapDays(%d) = %v, want %v", tc.bitmap, got, want)
		}
		if l := dayList(got); l != tc.list {
			t.Errorf("dayList(bitmapDays(%d)) = %q, want %q", tc.bitmap, l, tc.list)
		}

		set := `{"scheduledAmpsDaysBitmap": ` + num(float64(tc.bitmap)) + `}`
		res := mustImport(t, sampleNow, minimalConfig, set)
		if res.Settings.Policy.Schedule.Days != want {
			t.Errorf("imported bitmap %d: days %v, want %v", tc.bitmap, res.Settings.Policy.Schedule.Days, want)
		}
	}

	for _, bad := range []string{"128", "-1", "3.5", `"weekdays"`} {
		_, err := importAt(sampleNow, []byte(minimalConfig), []byte(`{"scheduledAmpsDaysBitmap": `+bad+`}`))
		if err == nil || !strings.Contains(err.Error(), "settings.scheduledAmpsDaysBitmap") {
			t.Errorf("bitmap %s: error %v, want one naming settings.scheduledAmpsDaysBitmap", bad, err)
		}
	}
}

func TestHourMinutes(t *testing.T) {
	for _, tc := range []struct {
		hours float64
		want  int
	}{
		{0, 0},
		{6, 360},
		{6.25, 375},
		{7.75, 465},
		{22.5, 1350},
		{23.99, 1439},
		{1.0 / 60, 1},
		{24, 0},
		{25, 1500}, // left for Validate to reject
	} {
		if got := hourMinutes(tc.hours); got != tc.want {
			t.Errorf("hourMinutes(%v) = %d, want %d", tc.hours, got, tc.want)
		}
	}
}

func TestImportScheduleHours(t *testing.T) {
	base := Defaults().Policy.Schedule
	for _, tc := range []struct {
		name       string
		set        string
		start, end int
		mode       Mode
	}{
		{"overnight", `{"scheduledAmpsMax": 16, "scheduledAmpsStartHour": 22.5, "scheduledAmpsEndHour": 6.75, "scheduledAmpsDaysBitmap": 31}`, 1350, 405, ModeSchedule},
		{"string hours", `{"scheduledAmpsMax": "16", "scheduledAmpsStartHour": "1", "scheduledAmpsEndHour": "5.5", "scheduledAmpsDaysBitmap": "31"}`, 60, 330, ModeSchedule},
		{"disabled", `{"scheduledAmpsMax": 16, "scheduledAmpsStartHour": -1, "scheduledAmpsEndHour": -1, "scheduledAmpsDaysBitmap": 31}`, base.StartMinute, base.EndMinute, ModeSolar},
		{"empty window", `{"scheduledAmpsMax": 16, "scheduledAmpsStartHour": 3, "scheduledAmpsEndHour": 3, "scheduledAmpsDaysBitmap": 31}`, base.StartMinute, base.EndMinute, ModeSolar},
		{"no amps", `{"scheduledAmpsMax": 0, "scheduledAmpsStartHour": 1, "scheduledAmpsEndHour": 5, "scheduledAmpsDaysBitmap": 31}`, 60, 300, ModeSolar},
		{"no days", `{"scheduledAmpsMax": 16, "scheduledAmpsStartHour": 1, "scheduledAmpsEndHour": 5, "scheduledAmpsDaysBitmap": 0}`, 60, 300, ModeSolar},
		{"days default to every day", `{"scheduledAmpsMax": 16, "scheduledAmpsStartHour": 1, "scheduledAmpsEndHour": 5}`, 60, 300, ModeSchedule},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustImport(t, sampleNow, minimalConfig, tc.set)
			sc := res.Settings.Policy.Schedule
			if sc.StartMinute != tc.start || sc.EndMinute != tc.end {
				t.Errorf("window %d–%d, want %d–%d", sc.StartMinute, sc.EndMinute, tc.start, tc.end)
			}
			if res.Settings.Policy.Mode != tc.mode {
				t.Errorf("mode %s, want %s", res.Settings.Policy.Mode, tc.mode)
			}
		})
	}

	res := mustImport(t, sampleNow, minimalConfig, `{"scheduledAmpsMax": 16, "scheduledAmpsStartHour": 1, "scheduledAmpsEndHour": 5}`)
	if res.Settings.Policy.Schedule.Days != [7]bool{true, true, true, true, true, true, true} {
		t.Errorf("days %v, want every day", res.Settings.Policy.Schedule.Days)
	}

	_, err := importAt(sampleNow, []byte(minimalConfig), []byte(`{"scheduledAmpsStartHour": 25, "scheduledAmpsEndHour": 6}`))
	if err == nil || !strings.Contains(err.Error(), "policy.schedule.start_minute") || !strings.Contains(err.Error(), "settings.scheduledAmpsStartHour") {
		t.Errorf("start hour 25: error %v, want one naming policy.schedule.start_minute and settings.scheduledAmpsStartHour", err)
	}
}

func TestImportNonScheduledAction(t *testing.T) {
	for _, tc := range []struct {
		name     string
		set      string
		action   NonScheduledAction
		amps     units.Amps
		mode     Mode
		unmapped bool
	}{
		{"fixed", `{"nonScheduledAction": 1, "nonScheduledAmpsMax": 10}`, ActionFixed, 10, ModeSchedule, false},
		{"fixed 0 A", `{"nonScheduledAction": 1, "nonScheduledAmpsMax": 0}`, ActionOff, 0, ModeSolar, false},
		{"fixed, no amps", `{"nonScheduledAction": 1}`, ActionOff, Defaults().Policy.NonScheduled.Amps, ModeSolar, false},
		{"off", `{"nonScheduledAction": 2, "nonScheduledAmpsMax": 10}`, ActionOff, 10, ModeOff, false},
		{"solar", `{"nonScheduledAction": 3, "nonScheduledAmpsMax": 8}`, ActionSolar, 8, ModeSolar, false},
		{"string", `{"nonScheduledAction": "3"}`, ActionSolar, Defaults().Policy.NonScheduled.Amps, ModeSolar, false},
		{"unknown", `{"nonScheduledAction": 7}`, Defaults().Policy.NonScheduled.Action, Defaults().Policy.NonScheduled.Amps, ModeSolar, true},
		{"absent", `{}`, Defaults().Policy.NonScheduled.Action, Defaults().Policy.NonScheduled.Amps, ModeSolar, false},
		{"with schedule", `{"nonScheduledAction": 2, "scheduledAmpsMax": 20, "scheduledAmpsStartHour": 0, "scheduledAmpsEndHour": 5, "scheduledAmpsDaysBitmap": 127}`, ActionOff, Defaults().Policy.NonScheduled.Amps, ModeSchedule, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustImport(t, sampleNow, minimalConfig, tc.set)
			p := res.Settings.Policy
			if p.NonScheduled.Action != tc.action || p.NonScheduled.Amps != tc.amps {
				t.Errorf("non-scheduled %+v, want {%s %v}", p.NonScheduled, tc.action, tc.amps)
			}
			if p.Mode != tc.mode {
				t.Errorf("mode %s, want %s", p.Mode, tc.mode)
			}
			if !hasNote(res, "mode "+string(tc.mode)+": ") {
				t.Errorf("no note explaining mode %s in %q", tc.mode, res.Notes)
			}
			if got := slices.Contains(res.Unmapped, "settings.nonScheduledAction"); got != tc.unmapped {
				t.Errorf("settings.nonScheduledAction unmapped = %v, want %v", got, tc.unmapped)
			}
		})
	}

	// Fixed charging without a schedule: the window charges the same current.
	res := mustImport(t, sampleNow, minimalConfig, `{"nonScheduledAction": 1, "nonScheduledAmpsMax": 10, "scheduledAmpsDaysBitmap": 0}`)
	if sc := res.Settings.Policy.Schedule; sc.Amps != 10 || !slices.Contains(sc.Days[:], true) {
		t.Errorf("schedule %+v, want 10 A on at least one day", sc)
	}
}

func TestImportChargeStopMode(t *testing.T) {
	for _, tc := range []struct {
		value    string
		want     StopMethod
		unmapped bool
	}{
		{"1", StopCarAPI, false},
		{"2", StopResponding, false},
		{"3", StopCommand, false},
		{`"2"`, StopResponding, false},
		{"0", Defaults().Policy.StopMethod, true},
		{"4", Defaults().Policy.StopMethod, true},
		{`"api"`, Defaults().Policy.StopMethod, true},
	} {
		res := mustImport(t, sampleNow, minimalConfig, `{"chargeStopMode": `+tc.value+`}`)
		if res.Settings.Policy.StopMethod != tc.want {
			t.Errorf("chargeStopMode %s: %s, want %s", tc.value, res.Settings.Policy.StopMethod, tc.want)
		}
		if got := slices.Contains(res.Unmapped, "settings.chargeStopMode"); got != tc.unmapped {
			t.Errorf("chargeStopMode %s: unmapped = %v, want %v", tc.value, got, tc.unmapped)
		}
		if tc.unmapped && !hasNote(res, "settings.chargeStopMode is not 1, 2 or 3") {
			t.Errorf("chargeStopMode %s: no note in %q", tc.value, res.Notes)
		}
	}
}

func TestImportChargeNow(t *testing.T) {
	now := sampleNow
	at := func(d time.Duration) string { return num(float64(now.Add(d).Unix())) }
	def := Defaults().Policy.ChargeNow
	for _, tc := range []struct {
		name string
		set  string
		want ChargeNow
		mode Mode
		note string
	}{
		{"active", `{"chargeNowAmps": 20, "chargeNowTimeEnd": ` + at(2*time.Hour) + `}`, ChargeNow{Amps: 20, Until: now.Add(2 * time.Hour), Then: ModeSolar}, ModeNow, "mode now: Charge Now at 20 A"},
		{"active, then off", `{"chargeNowAmps": 20, "chargeNowTimeEnd": ` + at(time.Minute) + `, "nonScheduledAction": 2}`, ChargeNow{Amps: 20, Until: now.Add(time.Minute), Then: ModeOff}, ModeNow, "then mode off"},
		{"expired", `{"chargeNowAmps": 20, "chargeNowTimeEnd": ` + at(-time.Minute) + `}`, def, ModeSolar, "Charge Now ended at"},
		{"ends now", `{"chargeNowAmps": 20, "chargeNowTimeEnd": ` + at(0) + `}`, def, ModeSolar, "Charge Now ended at"},
		{"no end", `{"chargeNowAmps": 20}`, def, ModeSolar, "Charge Now has no end time"},
		{"zero end", `{"chargeNowAmps": 20, "chargeNowTimeEnd": 0}`, def, ModeSolar, "Charge Now has no end time"},
		{"no amps", `{"chargeNowAmps": 0, "chargeNowTimeEnd": ` + at(time.Hour) + `}`, def, ModeSolar, "mode solar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustImport(t, now, minimalConfig, tc.set)
			got := res.Settings.Policy.ChargeNow
			if got.Amps != tc.want.Amps || got.Then != tc.want.Then || !got.Until.Equal(tc.want.Until) {
				t.Errorf("charge now %+v, want %+v", got, tc.want)
			}
			if res.Settings.Policy.Mode != tc.mode {
				t.Errorf("mode %s, want %s", res.Settings.Policy.Mode, tc.mode)
			}
			if !hasNote(res, tc.note) {
				t.Errorf("no note containing %q in %q", tc.note, res.Notes)
			}
			for _, k := range []string{"settings.chargeNowAmps", "settings.chargeNowTimeEnd"} {
				if slices.Contains(res.Unmapped, k) {
					t.Errorf("%s listed as unmapped", k)
				}
			}
		})
	}
}

func TestStripYAMLisms(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"full-line comment", "{\n# a comment\n\"a\": 1\n}", "{\n           \n\"a\": 1\n}"},
		{"trailing comment", `{"a": 1 # one`, `{"a": 1      `},
		{"hash in string", `{"a": "x#y"} # c`, `{"a": "x#y"}    `},
		{"escaped quote then hash", `{"a": "q\"#r"}#c`, `{"a": "q\"#r"}  `},
		{"escaped backslash ends string", `{"a": "q\\"}#c`, `{"a": "q\\"}  `},
		{"commented-out key", "{\n  #\"b\": 2,\n  \"a\": 1\n}", "{\n          \n  \"a\": 1\n}"},
		{"trailing comma in object", "{\"a\": 1,\n}", "{\"a\": 1 \n}"},
		{"trailing comma in list", `[1, 2, ]`, `[1, 2  ]`},
		{"trailing comma before comment", "{\"a\": 1, # c\n}", "{\"a\": 1     \n}"},
		{"comma inside string kept", `{"a": ",}"}`, `{"a": ",}"}`},
		{"byte-order mark", "\xEF\xBB\xBF{}", "   {}"},
		{"CRLF comment", "{\"a\": 1 #c\r\n}", "{\"a\": 1   \r\n}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(stripYAMLisms([]byte(tc.in)))
			if got != tc.want {
				t.Errorf("stripYAMLisms(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if len(got) != len(tc.in) {
				t.Errorf("length changed: %d → %d", len(tc.in), len(got))
			}
		})
	}

	// Through the importer: a '#' in a value survives, a commented-out key is gone.
	res := mustImport(t, sampleNow, `{
		# comment
		"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 16, # trailing
		           #"minAmpsPerTWC": 30,
		},
		"sources": {"X": {"a#b": "c#d",},},
	}`, "")
	if res.Settings.Wiring.MinAmps != Defaults().Wiring.MinAmps {
		t.Errorf("commented-out minAmpsPerTWC was imported: %v", res.Settings.Wiring.MinAmps)
	}
	if !slices.Equal(res.Unmapped, []string{"sources.X.a#b"}) {
		t.Errorf("unmapped %q, want [sources.X.a#b]", res.Unmapped)
	}
	if !slices.Contains(readSampleKeys(t), "mqtt#Pa55-FAKE") {
		t.Error("the sample's password with '#' did not survive comment stripping")
	}
}

// readSampleKeys decodes the sample config.json and returns every string value
// under control.MQTT.
func readSampleKeys(t *testing.T) []string {
	m, err := decodeTWCManager("config.json", readSample(t, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range m["control"].(map[string]any)["MQTT"].(map[string]any) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestImportMalformed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg, set string
		want     []string
	}{
		{"config syntax", "{\n  \"config\": {\n    \"password\": \"hunter2-FAKE\" x\n  }\n}", "",
			[]string{"config.json: invalid JSON at line 3, column 32", "byte offset"}},
		{"config truncated", `{"config": {"a": 1}`, "", []string{"config.json: invalid JSON", "unexpected end of JSON input"}},
		{"config not an object", `[1, 2]`, "", []string{"config.json: the file holds a list, want an object"}},
		{"config empty", ``, "", []string{"config.json: invalid JSON"}},
		{"settings syntax", minimalConfig, "{\"carApiBearerToken\": \"hunter2-FAKE\",\n\"chargeNowAmps\": 1 2}", []string{"settings.json: invalid JSON at line 2, column 20"}},
		{"settings not an object", minimalConfig, `"hunter2-FAKE"`, []string{"settings.json: the file holds a string, want an object"}},
		{"config section not an object", `{"config": "hunter2-FAKE"}`, "", []string{"config.json: config: want an object, got a string"}},
		{"mistyped number", `{"config": {"wiringMaxAmpsAllTWCs": "hunter2-FAKE"}}`, "", []string{"config.json: config.wiringMaxAmpsAllTWCs: want a number, got a string"}},
		{"mistyped flag", `{"config": {"subtractChargerLoad": [1]}}`, "", []string{"config.json: config.subtractChargerLoad: want true or false, got a list"}},
		{"fractional phases", `{"config": {"numberOfPhases": 1.5}}`, "", []string{"config.json: config.numberOfPhases: want a whole number, got a number"}},
		{"mistyped offset", minimalConfig, `{"consumptionOffset": {"x": {"value": "hunter2-FAKE", "unit": "W"}}}`, []string{"settings.json: settings.consumptionOffset.x.value: want a number, got a string"}},
		{"offset without unit", minimalConfig, `{"consumptionOffset": {"x": {"value": 5}}}`, []string{"settings.consumptionOffset.x: want both value and unit"}},
		{"offset not an object", minimalConfig, `{"consumptionOffset": {"x": "hunter2-FAKE"}}`, []string{"settings.consumptionOffset.x: want an object of {value, unit}, got a string"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importAt(sampleNow, []byte(tc.cfg), []byte(tc.set))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows a value from the file", err)
			}
		})
	}

	_, err := importAt(sampleNow, []byte(`{"a": }`), nil)
	var se *json.SyntaxError
	if !errors.As(err, &se) || se.Offset != 7 {
		t.Errorf("error %v does not wrap a *json.SyntaxError at offset 7", err)
	}
}

func TestImportValidationError(t *testing.T) {
	for _, tc := range []struct {
		name, cfg, set string
		field, key     string
	}{
		{"charger over 80 A", `{"config": {"wiringMaxAmpsAllTWCs": 100, "wiringMaxAmpsPerTWC": 100}}`, "", "wiring.charger.limit_amps", "config.wiringMaxAmpsPerTWC"},
		{"shared too small", `{"config": {"wiringMaxAmpsAllTWCs": 4, "wiringMaxAmpsPerTWC": 16}}`, "", "wiring.shared.limit_amps", "config.wiringMaxAmpsAllTWCs"},
		{"two phases", `{"config": {"numberOfPhases": 2}}`, "", "electrical.phases", "config.numberOfPhases"},
		{"volts", `{"config": {"defaultVoltage": 400}}`, "", "electrical.volts", "config.defaultVoltage"},
		{"negative delay", `{"config": {"startStopDelay": -5}}`, "", "policy.surplus.start_delay", "config.startStopDelay"},
		{"charge limit", `{"config": {"chargeNowLimit": 30}}`, "", "policy.charge_limits.now", "config.chargeNowLimit"},
		{"grid cap", `{"config": {"maxAmpsAllowedFromGrid": -10}}`, "", "policy.grid_import_cap_w", "config.maxAmpsAllowedFromGrid"},
		{"offset unit", minimalConfig, `{"consumptionOffset": {"boiler": {"value": 2, "unit": "kW"}}}`, "policy.offsets[0].unit", "settings.consumptionOffset.boiler"},
		{"offset name", minimalConfig, `{"consumptionOffset": {"` + strings.Repeat("n", 40) + `": {"value": 2, "unit": "W"}}}`, "policy.offsets[0].name", "settings.consumptionOffset." + strings.Repeat("n", 40)},
		{"schedule amps below minimum", `{"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 32, "minAmpsPerTWC": 12}}`, `{"scheduledAmpsMax": 8}`, "policy.schedule.amps", "settings.scheduledAmpsMax"},
		{"charge now above 80 A", minimalConfig, `{"chargeNowAmps": 100, "chargeNowTimeEnd": 1900000000}`, "policy.charge_now.amps", "settings.chargeNowAmps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := importAt(sampleNow, []byte(tc.cfg), []byte(tc.set))
			if err == nil {
				t.Fatalf("no error; settings %+v", res.Settings)
			}
			errs, ok := AsErrors(err)
			if !ok {
				t.Fatalf("error %v does not wrap config.Errors", err)
			}
			if errs.Field(tc.field) == nil {
				t.Errorf("errors %v do not name %s", errs, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q does not name %s and %s", err, tc.field, tc.key)
			}
		})
	}
}

func TestImportWiring(t *testing.T) {
	for _, tc := range []struct {
		name            string
		cfg             string
		shared, charger Circuit
		min             units.Amps
		note            string
	}{
		{"both", `{"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 16, "minAmpsPerTWC": 6}}`, Circuit{Limit: 32}, Circuit{Limit: 16}, 6, "config.wiringMaxAmpsPerTWC 16 A entered as each charger's continuous limit"},
		{"per-TWC missing", `{"config": {"wiringMaxAmpsAllTWCs": 24}}`, Circuit{Limit: 24}, Circuit{Limit: 24}, 6, "each charger's continuous limit is taken from config.wiringMaxAmpsAllTWCs, 24 A"},
		{"per-TWC missing, big shared", `{"config": {"wiringMaxAmpsAllTWCs": 160}}`, Circuit{Limit: 160}, Circuit{Limit: 80}, 6, "config.wiringMaxAmpsAllTWCs, 80 A"},
		{"none", `{"config": {}}`, Circuit{Breaker: 40}, Circuit{Breaker: 40}, 6, "config.wiringMaxAmpsAllTWCs is not set: the shared circuit keeps the default 40 A breaker (32 A continuous); check it"},
		{"no config section", `{}`, Circuit{Breaker: 40}, Circuit{Breaker: 40}, 6, "config.wiringMaxAmpsPerTWC is not set: each charger keeps the default 40 A breaker (32 A continuous); check it"},
		{"min below 5", `{"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 32, "minAmpsPerTWC": 3}}`, Circuit{Limit: 32}, Circuit{Limit: 32}, 5, "config.minAmpsPerTWC 3 A raised to 5 A"},
		{"min above charger", `{"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 16, "minAmpsPerTWC": 20}}`, Circuit{Limit: 32}, Circuit{Limit: 16}, 16, "config.minAmpsPerTWC 20 A lowered to the charger limit, 16 A"},
		{"min above 32", `{"config": {"wiringMaxAmpsAllTWCs": 80, "wiringMaxAmpsPerTWC": 80, "minAmpsPerTWC": 40}}`, Circuit{Limit: 80}, Circuit{Limit: 80}, 32, "config.minAmpsPerTWC 40 A lowered to 32 A"},
		{"null keeps defaults", `{"config": {"wiringMaxAmpsAllTWCs": null, "wiringMaxAmpsPerTWC": 16, "minAmpsPerTWC": null}}`, Circuit{Breaker: 40}, Circuit{Limit: 16}, 6, "16 A entered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustImport(t, sampleNow, tc.cfg, "")
			w := res.Settings.Wiring
			if w.Shared != tc.shared || w.Charger != tc.charger || w.MinAmps != tc.min {
				t.Errorf("wiring %+v, want shared %+v charger %+v min %v", w, tc.shared, tc.charger, tc.min)
			}
			if !hasNote(res, tc.note) {
				t.Errorf("no note containing %q in\n%s", tc.note, strings.Join(res.Notes, "\n"))
			}
			if len(res.Unmapped) != 0 {
				t.Errorf("unmapped %q, want none", res.Unmapped)
			}
		})
	}
}

// Defaults that were not imported are fitted to the imported wiring, so the
// shipped sample's minAmpsPerTWC 12 and a 16 A charger still validate.
func TestImportFitsDefaults(t *testing.T) {
	res := mustImport(t, sampleNow, `{"config": {"wiringMaxAmpsAllTWCs": 16, "wiringMaxAmpsPerTWC": 16, "minAmpsPerTWC": 12}}`, "")
	p := res.Settings.Policy
	if p.ChargeNow.Amps != 16 || p.Schedule.Amps != 16 || p.NonScheduled.Amps != 12 {
		t.Errorf("charge now %v, schedule %v, non-scheduled %v; want 16, 16, 12", p.ChargeNow.Amps, p.Schedule.Amps, p.NonScheduled.Amps)
	}
}

func TestImportFakeMaster(t *testing.T) {
	for _, tc := range []struct {
		value    string
		unmapped bool
		note     string
	}{
		{"1", false, ""},
		{"true", false, ""},
		{"0", true, "config.fakeMaster 0 (pretend to be a slave) is not imported"},
		{"2", true, "config.fakeMaster 2 (listen only) is not imported"},
		{`"x"`, true, "config.fakeMaster is not 1"},
	} {
		res := mustImport(t, sampleNow, `{"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 32, "fakeMaster": `+tc.value+`}}`, "")
		if got := slices.Contains(res.Unmapped, "config.fakeMaster"); got != tc.unmapped {
			t.Errorf("fakeMaster %s: unmapped = %v, want %v", tc.value, got, tc.unmapped)
		}
		if tc.note != "" && !hasNote(res, tc.note) {
			t.Errorf("fakeMaster %s: no note %q in %q", tc.value, tc.note, res.Notes)
		}
	}
}

func TestImportOffsets(t *testing.T) {
	res := mustImport(t, sampleNow,
		`{"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 32, "greenEnergyAmpsOffset": -2.5}}`,
		`{"consumptionOffset": {"greenEnergyAmpsOffset": {"value": 300, "unit": "w"}, "zero": {"value": 0, "unit": "W"}, "extra": {"value": 1, "unit": "A", "note": "x"}}}`)
	want := []Offset{
		{Name: "greenEnergyAmpsOffset (config)", Value: -2.5, Unit: UnitAmps},
		{Name: "extra", Value: 1, Unit: UnitAmps},
		{Name: "greenEnergyAmpsOffset", Value: 300, Unit: UnitWatts},
	}
	if !reflect.DeepEqual(res.Settings.Policy.Offsets, want) {
		t.Errorf("offsets %+v, want %+v", res.Settings.Policy.Offsets, want)
	}
	if !slices.Equal(res.Unmapped, []string{"settings.consumptionOffset.extra.note"}) {
		t.Errorf("unmapped %q", res.Unmapped)
	}
	if !hasNote(res, `consumption offset "zero" is 0 and is not imported`) {
		t.Errorf("no note about the zero offset in %q", res.Notes)
	}

	// A zero legacy offset adds nothing.
	res = mustImport(t, sampleNow, `{"config": {"greenEnergyAmpsOffset": 0}}`, "")
	if len(res.Settings.Policy.Offsets) != 0 {
		t.Errorf("offsets %+v, want none", res.Settings.Policy.Offsets)
	}
}

func TestImportEmptySettings(t *testing.T) {
	for _, set := range [][]byte{nil, {}, []byte(" \n\t")} {
		res, err := importAt(sampleNow, []byte(minimalConfig), set)
		if err != nil {
			t.Fatalf("settings %q: %v", set, err)
		}
		if res.Settings.Policy.Mode != ModeSolar {
			t.Errorf("settings %q: mode %s, want solar", set, res.Settings.Policy.Mode)
		}
		if !hasNote(res, "no settings.json") {
			t.Errorf("settings %q: no note in %q", set, res.Notes)
		}
	}
}

// A null value keeps the default and is not listed as unmapped.
func TestImportNull(t *testing.T) {
	res := mustImport(t, sampleNow,
		`{"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 32, "fakeMaster": null, "defaultVoltage": null}}`,
		`{"nonScheduledAction": null, "chargeStopMode": null, "scheduledAmpsMax": null, "consumptionOffset": null}`)
	if len(res.Unmapped) != 0 {
		t.Errorf("unmapped %q, want none", res.Unmapped)
	}
	d := Defaults()
	p := res.Settings.Policy
	if res.Settings.Electrical.Volts != d.Electrical.Volts || p.NonScheduled != d.Policy.NonScheduled || p.StopMethod != d.Policy.StopMethod || p.Offsets != nil {
		t.Errorf("null values changed the defaults: %+v", res.Settings)
	}
}

// TWCManager's policy interval is imported, and brought into the allowed
// range when it is outside it.
func TestImportPolicyInterval(t *testing.T) {
	for _, tc := range []struct {
		secs string
		want time.Duration
	}{{"45", 45 * time.Second}, {"1", 5 * time.Second}, {"3600", 10 * time.Minute}} {
		cfg := []byte(`{"config": {"wiringMaxAmpsAllTWCs": 32, "wiringMaxAmpsPerTWC": 32}, "policy": {"engine": {"policyCheckInterval": ` + tc.secs + `}}}`)
		res, err := ImportTWCManager(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Settings.Policy.Interval != tc.want {
			t.Errorf("%s s imported as %v, want %v", tc.secs, res.Settings.Policy.Interval, tc.want)
		}
	}
}
