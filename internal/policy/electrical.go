package policy

import (
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/units"
)

// wattsPerAmp is the power one amp of offer means at c: the sum of the
// voltages of the phases the car draws on. A single-phase car on a
// three-phase charger counts once, not three times.
func wattsPerAmp(c Charger, e config.Electrical) float64 {
	volts, phases := float64(e.Volts), e.Phases
	if !e.Measure {
		return volts * float64(phases)
	}
	var vSum float64
	var vN int
	for _, v := range c.Volts {
		if v >= 100 {
			vSum += float64(v)
			vN++
		}
	}
	if vN > 0 {
		volts = vSum / float64(vN)
		phases = min(phases, vN)
	}
	var peak units.Amps
	for _, a := range c.PhaseAmps {
		peak = max(peak, a)
	}
	if c.Actual >= 1 && peak > 0 {
		// Count the phases that carry the car's current.
		sum := 0.0
		for i, a := range c.PhaseAmps {
			if a >= peak/2 {
				v := float64(c.Volts[i])
				if v < 100 {
					v = volts
				}
				sum += v
			}
		}
		return sum
	}
	return volts * float64(phases)
}

// Power is what charger c draws now: its heartbeat current (fresh every
// second) times the volts of the phases it draws on. The meter's own phase
// currents are read only once a minute, so they give the shape, not the size.
func Power(c Charger, e config.Electrical) float64 {
	return float64(c.Actual) * wattsPerAmp(c, e)
}

// offsetWatts is the sum of the consumption offsets.
func offsetWatts(offs []config.Offset, e config.Electrical) float64 {
	var w float64
	for _, o := range offs {
		if o.Unit == config.UnitAmps {
			w += o.Value * float64(e.Volts)
		} else {
			w += o.Value
		}
	}
	return w
}
