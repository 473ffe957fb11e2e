package vehicle

import "time"

// rollMonth loads the usage of now's month when the month changes (and at
// the start), carrying over the cars still stopped.
func (m *Manager) rollMonth(now time.Time) {
	month := monthOf(now)
	if month == m.month {
		return
	}
	stopped := m.usage.Stopped
	if m.month == "" {
		// At the start the cars stopped may be in last month's record.
		lastMonth := nextMonth(now).AddDate(0, -2, 0)
		if prev, err := m.cfg.Usage.LoadUsage(monthOf(lastMonth)); err == nil {
			stopped = prev.Stopped
		}
	}
	u, err := m.cfg.Usage.LoadUsage(month)
	if err != nil {
		m.log.Warn("vehicle: cannot load this month's car API usage; counting from zero", "month", month, "err", err)
		u = Usage{}
	}
	if len(stopped) > 0 {
		if u.Stopped == nil {
			u.Stopped = map[string]time.Time{}
		}
		for vin, at := range stopped {
			if _, ok := u.Stopped[vin]; !ok {
				u.Stopped[vin] = at
			}
		}
	}
	first := m.month == ""
	m.month, m.usage = month, u
	if !first || len(stopped) > 0 {
		m.save()
	}
}

// save stores the month's usage; a failure is logged once, and the count
// goes on in memory.
func (m *Manager) save() {
	if err := m.cfg.Usage.SaveUsage(m.month, m.usage.clone()); err != nil {
		if !m.saveErr {
			m.log.Warn("vehicle: cannot save the car API usage; a restart will forget this month's calls", "err", err)
		}
		m.saveErr = true
		return
	}
	m.saveErr = false
}
