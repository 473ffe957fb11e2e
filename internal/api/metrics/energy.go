package metrics

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twcmanager/twcmanager/internal/api"
)

// energyMetrics are the site reading the policy uses and the state of each
// energy source.
type energyMetrics struct {
	generation, consumption, grid, battery, soc, age *prometheus.Desc
	srcInfo, srcUp, srcAge, srcFailures              *prometheus.Desc
}

func newEnergyMetrics(d *descs) energyMetrics {
	const l = "source"
	return energyMetrics{
		generation:  d.add("site_generation_watts", "Solar generation; absent when no source gives it."),
		consumption: d.add("site_consumption_watts", "House consumption; absent when no source gives it."),
		grid:        d.add("site_grid_watts", "Power at the grid meter, positive when importing; absent when no source gives it."),
		battery:     d.add("site_battery_watts", "Home battery power, positive when discharging; absent when no source gives it."),
		soc:         d.add("site_battery_charge_ratio", "Home battery state of charge, 0 to 1; absent when no source gives it."),
		age:         d.add("site_reading_age_seconds", "Age of the site reading the policy uses."),
		srcInfo:     d.add("energy_source_info", "Always 1; labels describe the configured energy source.", l, "kind", "roles"),
		srcUp:       d.add("energy_source_up", "1 when the source's last read succeeded, 0 when it failed or has not read yet.", l),
		srcAge:      d.add("energy_source_reading_age_seconds", "Age of the source's last good reading; absent before the first.", l),
		srcFailures: d.add("energy_source_consecutive_failures", "Reads of the source that have failed in a row.", l),
	}
}

func (m energyMetrics) collect(ch chan<- prometheus.Metric, e api.Energy, now time.Time) {
	r := e.Reading
	if r.Has.Generation {
		gauge(ch, m.generation, float64(r.Generation))
	}
	if r.Has.Consumption {
		gauge(ch, m.consumption, float64(r.Consumption))
	}
	if r.Has.Grid {
		gauge(ch, m.grid, float64(r.Grid))
	}
	if r.Has.Battery {
		gauge(ch, m.battery, float64(r.Battery))
	}
	if r.Has.BatterySoC {
		gauge(ch, m.soc, r.BatterySoC/100)
	}
	if !r.At.IsZero() {
		gauge(ch, m.age, now.Sub(r.At).Seconds())
	}
	for _, s := range e.Sources {
		gauge(ch, m.srcInfo, 1, s.Name, s.Kind, strings.Join(s.Roles, ","))
		st := s.Status
		gauge(ch, m.srcUp, b2f(st.Err == nil && !st.Reading.At.IsZero()), s.Name)
		if age := s.Age(now); age >= 0 {
			gauge(ch, m.srcAge, age.Seconds(), s.Name)
		}
		gauge(ch, m.srcFailures, float64(st.Failures), s.Name)
	}
}
