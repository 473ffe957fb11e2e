package dashboard

import (
	"fmt"
	"math"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/ui/web"
)

// tile is one figure of the power flow.
type tile struct {
	Key   string // solar, house, grid, cars, battery: for tests and colours
	Label string
	Value string
	Note  string
	Class string
}

// flowView is the site's power now.
type flowView struct {
	Tiles   []tile
	Problem string
	Updated string
	Stale   bool
}

// idleWatts is below what a flow counts as zero: meters jitter.
const idleWatts = 50

func flow(e web.EnergyView, cars float64, s config.Settings, now time.Time) flowView {
	var v flowView
	house, houseNote := e.Consumption, "used in the house"
	if e.HasConsumption && s.Policy.Surplus.MeterIncludesCharger {
		house, houseNote = math.Max(0, e.Consumption-cars), "used in the house, without the cars"
	}
	add := func(key, label string, has bool, w float64, note string) {
		t := tile{Key: key, Label: label, Value: "—", Note: "not measured", Class: "muted"}
		if has {
			t.Value, t.Note, t.Class = kW(w), note, ""
		}
		v.Tiles = append(v.Tiles, t)
	}
	add("solar", "Solar panels", e.HasGeneration, e.Generation, "generated")
	add("house", "House", e.HasConsumption, house, houseNote)
	add("cars", "Cars", true, cars, "charging")
	if cars < idleWatts {
		v.Tiles[len(v.Tiles)-1].Note = "not charging"
	}
	grid, estimated := e.Grid, false
	hasGrid := e.HasGrid
	if !hasGrid && e.HasGeneration && e.HasConsumption {
		// Without a grid meter, the balance of what is made and used.
		grid, hasGrid, estimated = house+cars-e.Generation, true, true
		if e.HasBattery {
			grid -= e.Battery
		}
	}
	g := tile{Key: "grid", Label: "Grid", Value: "—", Note: "not measured", Class: "muted"}
	if hasGrid {
		g.Value = kW(math.Abs(grid))
		switch {
		case grid > idleWatts:
			g.Note, g.Class = "bought from the grid", "warn"
		case grid < -idleWatts:
			g.Note, g.Class = "sold to the grid", "ok"
		default:
			g.Note, g.Class = "nothing bought or sold", ""
		}
		if estimated {
			g.Note += " (worked out from solar and house)"
		}
	}
	v.Tiles = append(v.Tiles, g)
	if e.HasBattery {
		b := tile{Key: "battery", Label: "Home battery", Value: kW(math.Abs(e.Battery)), Note: "idle"}
		switch {
		case e.Battery > idleWatts:
			b.Note = "discharging"
		case e.Battery < -idleWatts:
			b.Note = "charging"
		}
		if e.BatterySoC > 0 {
			b.Note += fmt.Sprintf(", %.0f %% full", e.BatterySoC)
		}
		v.Tiles = append(v.Tiles, b)
	}
	v.Problem = sentence(e.Problem)
	if !e.At.IsZero() {
		v.Updated = "Readings from " + e.At.Local().Format("15:04:05") + "."
		if age := now.Sub(e.At); age > s.Policy.Surplus.Freshness && s.Policy.Surplus.Freshness > 0 {
			v.Stale = true
			v.Updated = fmt.Sprintf("The latest readings are %s old: the figures may be out of date.", duration(age))
		}
	}
	return v
}
