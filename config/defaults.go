package config

import (
	"time"
)

// Defaults returns a complete, valid set of settings: a 40 A circuit shared
// by chargers on 40 A breakers (32 A continuous each), single phase at 230 V,
// charging from the sun.
func Defaults() Settings {
	return Settings{
		Wiring: Wiring{
			Shared:  Circuit{Breaker: 40},
			Charger: Circuit{Breaker: 40},
			MinAmps: 6,
		},
		Electrical: Electrical{Volts: 230, Phases: 1, Measure: true},
		Clock:      Clock{Servers: []string{"pool.ntp.org"}},
		MQTT:       MQTT{Prefix: "TWC", Discovery: true, DiscoveryPrefix: "homeassistant"},
		Home:       Home{RadiusM: 200},
		Vehicle:    Vehicle{Region: "na", MonthlyBudget: 10, MinCycle: 15 * time.Minute, CacheFor: 5 * time.Minute, RespectSchedule: true},
		Policy: Policy{
			Mode:      ModeSolar,
			ChargeNow: ChargeNow{Amps: 32},
			Schedule: Schedule{
				Days:        [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
				StartMinute: 0, EndMinute: 6 * 60, Amps: 16, BatteryKWh: 75,
			},
			NonScheduled: NonScheduled{Action: ActionSolar, Amps: 6},
			Surplus: Surplus{
				StartDelay: time.Minute,
				StopDelay:  3 * time.Minute,
				Freshness:  2 * time.Minute,
			},
			StopMethod: StopOfferZero,
			Interval:   30 * time.Second,
		},
	}
}

// Allowed ranges, shared by validation and the forms that explain them.
var (
	rangeBreaker        = span{6, 200}
	rangeSharedLimit    = span{6, 200}
	rangeChargerLimit   = span{6, 80}
	rangeMinAmps        = span{5, 32}
	rangeAmps           = span{0, 80}
	rangeVolts          = span{100, 280}
	rangeOffsetW        = span{-100_000, 100_000}
	rangeOffsetA        = span{-400, 400}
	rangeImportCap      = span{0, 100_000}
	rangeThreshold      = span{-50_000, 50_000}
	rangeFlex           = span{0, 32}
	rangeSoC            = span{0, 100}
	rangeBatteryKWh     = span{0, 300}
	rangeDelay          = durSpan{0, 30 * time.Minute}
	rangeFreshness      = durSpan{10 * time.Second, 30 * time.Minute}
	rangeInterval       = durSpan{5 * time.Second, 10 * time.Minute}
	rangeSourceInterval = durSpan{time.Second, time.Hour}
	rangeRadius         = span{10, 50_000}
	rangeBudget         = span{0, 1000}
	rangeCycle          = durSpan{time.Minute, 24 * time.Hour}
	rangeCache          = durSpan{30 * time.Second, 24 * time.Hour}
)

// MaxOffsetName is the longest offset name accepted.
const MaxOffsetName = 31
