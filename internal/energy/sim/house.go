// Package sim is a simulated site for the demo, tests and benchmarks: a PV
// array whose output follows the sun and passing clouds, and a house whose
// load has a base, slow drift and kettle-sized spikes. Everything is a pure
// function of time and a seed, so a run can be repeated exactly.
package sim

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Day describes the weather and household of one simulated day.
type Day struct {
	PeakW   float64       // PV output at solar noon under a clear sky
	Sunrise time.Duration // after local midnight
	Sunset  time.Duration
	// Clouds per hour of daylight, and how much of the sun one takes away
	// at most (0..1).
	CloudsPerHour float64
	CloudDepth    float64
	BaseLoadW     float64
	// Spikes per day: kettles, ovens, a washing machine heating.
	Spikes  int
	SpikeW  float64
	SpikeOn time.Duration
	// SpikesFrom and SpikesUntil bound the time of day spikes start in;
	// both zero means 06:00 to 22:00.
	SpikesFrom, SpikesUntil time.Duration
}

// ClearSummer, BrokenClouds, Overcast, Winter and EveningSpikes are the
// standard profiles. EveningSpikes is a clear summer day whose cooking and
// appliance loads all come between 16:00 and 21:00, while the sun sets: the
// hardest time to follow the surplus without importing.
var (
	ClearSummer   = Day{PeakW: 9000, Sunrise: 5*time.Hour + 30*time.Minute, Sunset: 21 * time.Hour, BaseLoadW: 350, Spikes: 6, SpikeW: 2200, SpikeOn: 3 * time.Minute}
	BrokenClouds  = Day{PeakW: 9000, Sunrise: 5*time.Hour + 30*time.Minute, Sunset: 21 * time.Hour, CloudsPerHour: 6, CloudDepth: 0.7, BaseLoadW: 350, Spikes: 6, SpikeW: 2200, SpikeOn: 3 * time.Minute}
	Overcast      = Day{PeakW: 9000, Sunrise: 6 * time.Hour, Sunset: 20 * time.Hour, CloudsPerHour: 30, CloudDepth: 0.8, BaseLoadW: 350, Spikes: 6, SpikeW: 2200, SpikeOn: 3 * time.Minute}
	Winter        = Day{PeakW: 5000, Sunrise: 8*time.Hour + 30*time.Minute, Sunset: 16*time.Hour + 30*time.Minute, CloudsPerHour: 2, CloudDepth: 0.5, BaseLoadW: 450, Spikes: 8, SpikeW: 2200, SpikeOn: 3 * time.Minute}
	EveningSpikes = Day{PeakW: 9000, Sunrise: 5*time.Hour + 30*time.Minute, Sunset: 21 * time.Hour, BaseLoadW: 350, Spikes: 14, SpikeW: 2500, SpikeOn: 6 * time.Minute,
		SpikesFrom: 16 * time.Hour, SpikesUntil: 21 * time.Hour}
)

type event struct {
	start, ramp, hold time.Duration
	depth             float64
}

// House is one simulated day at a site, repeated every day.
type House struct {
	day    Day
	clouds []event
	spikes []event
	drift  [24]float64
}

// NewHouse lays out the day's clouds and spikes from seed.
func NewHouse(d Day, seed uint64) *House {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	h := &House{day: d}
	hours := (d.Sunset - d.Sunrise).Hours()
	for range int(d.CloudsPerHour * hours) {
		h.clouds = append(h.clouds, event{
			start: d.Sunrise + time.Duration(rng.Float64()*float64(d.Sunset-d.Sunrise)),
			ramp:  time.Duration(20+rng.IntN(60)) * time.Second,
			hold:  time.Duration(30+rng.IntN(540)) * time.Second,
			depth: d.CloudDepth * (0.4 + 0.6*rng.Float64()),
		})
	}
	from, span := 6*time.Hour, 16*time.Hour
	if d.SpikesUntil > d.SpikesFrom {
		from, span = d.SpikesFrom, d.SpikesUntil-d.SpikesFrom
	}
	for range d.Spikes {
		h.spikes = append(h.spikes, event{
			start: from + time.Duration(rng.IntN(int(span/time.Minute)))*time.Minute,
			hold:  d.SpikeOn,
			depth: d.SpikeW * (0.6 + 0.4*rng.Float64()),
		})
	}
	sort.Slice(h.clouds, func(i, j int) bool { return h.clouds[i].start < h.clouds[j].start })
	for i := range h.drift {
		h.drift[i] = 0.7 + 0.6*rng.Float64()
	}
	return h
}

// At returns PV generation and house load (without any car) at t.
func (h *House) At(t time.Time) (pvW, loadW float64) {
	y, m, dd := t.Date()
	tod := t.Sub(time.Date(y, m, dd, 0, 0, 0, 0, t.Location()))
	return h.pv(tod), h.load(tod)
}

func (h *House) pv(tod time.Duration) float64 {
	d := h.day
	if tod <= d.Sunrise || tod >= d.Sunset {
		return 0
	}
	x := float64(tod-d.Sunrise) / float64(d.Sunset-d.Sunrise)
	sun := d.PeakW * math.Pow(math.Sin(math.Pi*x), 1.3)
	shade := 0.0
	for _, c := range h.clouds {
		shade = math.Max(shade, c.cover(tod))
	}
	return sun * (1 - shade)
}

// cover is how much of the sun a cloud takes at tod: it ramps in, holds,
// and ramps out.
func (e event) cover(tod time.Duration) float64 {
	dt := tod - e.start
	switch {
	case dt < 0 || dt > 2*e.ramp+e.hold:
		return 0
	case dt < e.ramp:
		return e.depth * float64(dt) / float64(e.ramp)
	case dt < e.ramp+e.hold:
		return e.depth
	}
	return e.depth * float64(2*e.ramp+e.hold-dt) / float64(e.ramp)
}

func (h *House) load(tod time.Duration) float64 {
	hour := int(tod.Hours()) % 24
	w := h.day.BaseLoadW * h.drift[hour]
	for _, s := range h.spikes {
		if tod >= s.start && tod < s.start+s.hold {
			w += s.depth
		}
	}
	return w
}
