package policy

import (
	"cmp"
	"math"
	"slices"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// slot is one charger in an allocation.
type slot struct {
	id       twc.ID
	min, cap units.Amps // cap: wiring limit, rating, and what the car takes
	wpa      float64    // watts per amp: Σ volts of the phases the car uses
	// tier orders service: a higher tier is served in full before a lower
	// one sees anything. Within a tier the share is fair, and when it cannot
	// give everyone the minimum the lowest priority gives way first.
	tier, priority int
	got            units.Amps
}

// allocate shares an amps budget and a watts budget (either may be +Inf)
// among slots: tier by tier, water-filling within a tier so that a charger
// that takes less leaves the rest to the others. Every result is 0 or at
// least the slot's minimum, at most its cap, in whole amps; the amps sum to
// at most budgetA and the power to at most budgetW.
func allocate(slots []slot, budgetA units.Amps, budgetW float64) {
	tiers := map[int][]*slot{}
	var order []int
	for i := range slots {
		s := &slots[i]
		s.got = 0
		if s.cap < s.min || s.cap <= 0 {
			continue
		}
		if _, ok := tiers[s.tier]; !ok {
			order = append(order, s.tier)
		}
		tiers[s.tier] = append(tiers[s.tier], s)
	}
	slices.SortFunc(order, func(a, b int) int { return b - a })
	remA, remW := float64(budgetA), budgetW
	for _, t := range order {
		active := tiers[t]
		// Lowest priority last, so that it is the first to give way.
		slices.SortStableFunc(active, func(a, b *slot) int { return b.priority - a.priority })
		for len(active) > 0 {
			fill(active, units.Amps(remA), remW)
			if !slices.ContainsFunc(active, func(s *slot) bool { return s.got < s.min }) {
				break
			}
			active[len(active)-1].got = 0
			active = active[:len(active)-1]
		}
		for _, s := range active {
			remA -= float64(s.got)
			remW -= float64(s.got) * s.wpa
		}
	}
}

// fill water-fills whole amps under both budgets.
func fill(active []*slot, budgetA units.Amps, budgetW float64) {
	order := slices.Clone(active)
	// Fill the smallest caps first; the rest share what they leave.
	slices.SortStableFunc(order, func(a, b *slot) int { return cmp.Compare(a.cap, b.cap) })
	remA, remW := float64(budgetA), budgetW
	for i, s := range order {
		n := float64(len(order) - i)
		give := math.Floor(math.Min(math.Min(remA/n, remW/n/s.wpa), float64(s.cap)) + 1e-9)
		give = math.Max(give, 0)
		s.got = units.Amps(give)
		remA -= give
		remW -= give * s.wpa
	}
	// Whole amps leave crumbs; hand them out one amp at a time, by priority.
	for more := true; more; {
		more = false
		for _, s := range active {
			if s.got+1 <= s.cap && remA >= 1 && remW >= s.wpa {
				s.got++
				remA--
				remW -= s.wpa
				more = true
			}
		}
	}
}
