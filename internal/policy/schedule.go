package policy

import (
	"time"

	"github.com/twcmanager/twcmanager/config"
)

// inWindow reports whether now falls inside the weekly schedule, taking a
// window that runs over midnight as belonging to the day it started. start
// overrides the configured start minute (finish-by charging starts later).
func inWindow(s config.Schedule, now time.Time, start int) bool {
	m := now.Hour()*60 + now.Minute()
	day := now.Weekday()
	if start < s.EndMinute {
		return s.Days[day] && m >= start && m < s.EndMinute
	}
	prev := (day + 6) % 7
	return (s.Days[day] && m >= start) || (s.Days[prev] && m < s.EndMinute)
}

// finishByStart is the start minute that lets a car finish by the window's
// end: energy needed ÷ charging power, plus a quarter of an hour to spare.
// It returns the configured start when the car's state of charge is unknown.
func finishByStart(s config.Schedule, soc, limit, watts float64) (int, bool) {
	if !s.FinishBy || soc < 0 || soc > 1 || s.BatteryKWh <= 0 || watts <= 0 {
		return s.StartMinute, false
	}
	if limit <= 0 || limit > 1 {
		limit = 1
	}
	need := max(limit-soc, 0) * s.BatteryKWh * 1000
	minutes := int(need/watts*60) + 15
	length := (s.EndMinute - s.StartMinute + 24*60) % (24 * 60)
	if minutes >= length {
		return s.StartMinute, true
	}
	return (s.EndMinute - minutes + 24*60) % (24 * 60), true
}
