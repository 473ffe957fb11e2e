package sim

import (
	"testing"
	"time"
)

func TestHouseShape(t *testing.T) {
	h := NewHouse(ClearSummer, 1)
	day := time.Date(2026, 6, 21, 0, 0, 0, 0, time.UTC)
	night, _ := h.At(day.Add(2 * time.Hour))
	noon, _ := h.At(day.Add(13*time.Hour + 15*time.Minute))
	morning, _ := h.At(day.Add(8 * time.Hour))
	if night != 0 || noon < 8500 || noon > 9000 || morning <= 0 || morning >= noon {
		t.Fatalf("pv night %v morning %v noon %v", night, morning, noon)
	}
	var kwh, spikes float64
	for m := range 24 * 60 {
		pv, load := h.At(day.Add(time.Duration(m) * time.Minute))
		kwh += pv / 60 / 1000
		if load > 1500 {
			spikes++
		}
	}
	if kwh < 60 || kwh > 90 {
		t.Fatalf("clear day yields %.1f kWh", kwh)
	}
	if spikes < 6 || spikes > 6*3+1 {
		t.Fatalf("%v minutes of spikes", spikes)
	}
	// Same seed, same day.
	a, b := NewHouse(BrokenClouds, 7), NewHouse(BrokenClouds, 7)
	for m := 0; m < 24*60; m += 7 {
		at := day.Add(time.Duration(m) * time.Minute)
		pa, la := a.At(at)
		pb, lb := b.At(at)
		if pa != pb || la != lb {
			t.Fatal("house is not deterministic")
		}
	}
	// Clouds take energy away.
	clear, cloudy := 0.0, 0.0
	for m := range 24 * 60 {
		at := day.Add(time.Duration(m) * time.Minute)
		p1, _ := NewHouse(ClearSummer, 3).At(at)
		p2, _ := a.At(at)
		clear, cloudy = clear+p1, cloudy+p2
	}
	if cloudy >= clear*0.95 {
		t.Fatalf("broken clouds %v vs clear %v", cloudy, clear)
	}
}

// The evening profile's loads all come between 16:00 and 21:00 (plus their
// length), and moving them leaves the sun alone.
func TestEveningSpikes(t *testing.T) {
	h := NewHouse(EveningSpikes, 5)
	day := time.Date(2026, 6, 21, 0, 0, 0, 0, time.UTC)
	base := EveningSpikes.BaseLoadW * 1.3 // the most hourly drift adds
	var inside, outside int
	for m := range 24 * 60 {
		_, load := h.At(day.Add(time.Duration(m) * time.Minute))
		if load <= base {
			continue
		}
		at := time.Duration(m) * time.Minute
		if at >= EveningSpikes.SpikesFrom && at < EveningSpikes.SpikesUntil+EveningSpikes.SpikeOn {
			inside++
		} else {
			outside++
		}
	}
	if inside == 0 || outside != 0 {
		t.Fatalf("%d spike minutes in the evening, %d outside it", inside, outside)
	}
	clear := NewHouse(ClearSummer, 5)
	for m := 0; m < 24*60; m += 13 {
		at := day.Add(time.Duration(m) * time.Minute)
		p1, _ := h.At(at)
		p2, _ := clear.At(at)
		if p1 != p2 {
			t.Fatalf("at %v the evening profile's sun %v differs from the clear day's %v", at, p1, p2)
		}
	}
}
