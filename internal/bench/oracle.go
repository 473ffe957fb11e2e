package bench

import (
	"math"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy/sim"
	"github.com/twcmanager/twcmanager/internal/units"
)

// OraclePolicy names the oracle's results.
const OraclePolicy Policy = "oracle"

// Oracle is perfect tracking of profile p: every second, the whole-amp
// offers (0, or from the minimum to the charger's limit, within the shared
// limit) whose draw is the most that fits in the surplus, with no delay, no
// ramp and no meter lag. The cars draw as twcsim's do, 0.8 A below the offer
// and never above their own maximum. It is the physical limit of the site,
// not a controller anyone could build: its changes and starts are counted
// too, but only to show what that limit would cost in relay cycles.
func Oracle(p Profile) Result {
	s := OurSettings()
	o := oracle{min: int(s.Wiring.MinAmps), limit: int(s.Wiring.Charger.Continuous()), shared: int(s.Wiring.Shared.Continuous())}
	for _, c := range p.Cars {
		o.carMax = append(o.carMax, c.MaxAmps)
	}
	res := Result{Profile: p.Name, Policy: OraclePolicy, Cars: make([]CarResult, len(p.Cars))}
	house := sim.NewHouse(p.Day, p.Seed)
	from, to := p.Window()
	day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := make([]int, len(p.Cars))
	for k := 1; k <= int((to-from)/time.Second); k++ {
		pv, load := house.At(day.Add(from + time.Duration(k)*time.Second))
		surplus := math.Max(pv-load, 0)
		offers := o.best(surplus, prev)
		var total float64
		atMin, anyDrawing := true, false
		for i, k := range offers {
			w := o.draw(i, k)
			total += w
			res.Cars[i].ChargedWh += w / 3600
			if k != prev[i] {
				res.Cars[i].Changes++
			}
			if k > 0 {
				anyDrawing = true
				atMin = atMin && k <= o.min
				if prev[i] == 0 {
					res.Cars[i].Starts++
				}
			}
		}
		res.add(surplus, total, atMin, anyDrawing)
		prev = offers
	}
	return res
}

type oracle struct {
	min, limit, shared int
	carMax             []units.Amps
}

// draw is the power car i takes when offered k whole amps.
func (o oracle) draw(i, k int) float64 {
	if k == 0 {
		return 0
	}
	return (math.Min(float64(k), float64(o.carMax[i])) - carOffset) * siteVolts
}

// best returns the offers with the largest total draw within surplusW; of
// equal ones, the closest to prev, so that the oracle does not shuffle
// current between two cars for nothing.
func (o oracle) best(surplusW float64, prev []int) []int {
	cur := make([]int, len(o.carMax))
	var bestOffers []int
	bestW, bestMove := -1.0, 0
	var walk func(i, room int, w float64, move int)
	walk = func(i, room int, w float64, move int) {
		if w > surplusW {
			return
		}
		if i == len(cur) {
			if w > bestW || (w == bestW && move < bestMove) {
				bestW, bestMove, bestOffers = w, move, append(bestOffers[:0], cur...)
			}
			return
		}
		// Offers above the car's own maximum add nothing but change.
		top := min(o.limit, room, int(math.Ceil(float64(o.carMax[i]))))
		for k := 0; k <= top; k++ {
			if k > 0 && k < o.min {
				continue
			}
			cur[i] = k
			walk(i+1, room-k, w+o.draw(i, k), move+abs(k-prev[i]))
		}
		cur[i] = 0
	}
	walk(0, o.shared, 0, 0)
	return bestOffers
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
