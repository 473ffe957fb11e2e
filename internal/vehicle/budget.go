package vehicle

import (
	"fmt"
	"maps"
	"sync"
	"time"
)

// Tesla's prices per call, in US dollars: $1 buys 1000 commands, 500 data
// requests or 50 wakes.
const (
	CommandPrice = 1.0 / 1000
	DataPrice    = 1.0 / 500
	WakePrice    = 1.0 / 50
)

// Usage is one calendar month's use of the car API, kept in a UsageStore so
// that a restart neither resets the budget nor forgets a car it stopped.
type Usage struct {
	Commands int `json:"commands"`
	Data     int `json:"data"`
	Wakes    int `json:"wakes"`
	// Stopped are the cars (by VIN) this appliance stopped and has not yet
	// started again, with when: a restart must still start them, since a
	// car stopped through its API stays stopped.
	Stopped map[string]time.Time `json:"stopped,omitempty"`
}

// Cost is what the month's calls cost at Tesla's prices, in US dollars.
func (u Usage) Cost() float64 {
	return float64(u.Commands)*CommandPrice + float64(u.Data)*DataPrice + float64(u.Wakes)*WakePrice
}

func (u Usage) clone() Usage {
	u.Stopped = maps.Clone(u.Stopped)
	return u
}

// UsageStore keeps the monthly usage across restarts. month is "2006-01"
// in local time.
type UsageStore interface {
	LoadUsage(month string) (Usage, error)
	SaveUsage(month string, u Usage) error
}

// MemoryUsage is a UsageStore in memory, for tests and for running without
// storage. The zero value is ready to use.
type MemoryUsage struct {
	mu     sync.Mutex // guards months
	months map[string]Usage
}

// LoadUsage implements UsageStore; a month never saved has no usage.
func (m *MemoryUsage) LoadUsage(month string) (Usage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.months[month].clone(), nil
}

// SaveUsage implements UsageStore.
func (m *MemoryUsage) SaveUsage(month string, u Usage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.months == nil {
		m.months = map[string]Usage{}
	}
	m.months[month] = u.clone()
	return nil
}

// callKind is what Tesla bills a call as.
type callKind int

const (
	dataCall callKind = iota
	wakeCall
	commandCall
)

func (k callKind) price() float64 {
	switch k {
	case wakeCall:
		return WakePrice
	case commandCall:
		return CommandPrice
	}
	return DataPrice
}

func (k callKind) String() string {
	switch k {
	case wakeCall:
		return "wake"
	case commandCall:
		return "command"
	}
	return "data request"
}

func (u *Usage) count(k callKind) {
	switch k {
	case wakeCall:
		u.Wakes++
	case commandCall:
		u.Commands++
	default:
		u.Data++
	}
}

// startReserve is kept back from the budget whenever a car is stopped, so
// that a car this appliance stopped can always be started again: one read
// that finds it asleep, a wake, a read once it is awake, and the command
// with a retry.
const startReserve = 2*DataPrice + WakePrice + 2*CommandPrice

// stopCost is what a stop takes: a read of the car, and the command.
const stopCost = DataPrice + CommandPrice

// affordable reports whether a call of kind k fits the budget (0: no cap).
// Only a start of a car the appliance stopped may use the reserve.
func affordable(u Usage, budget float64, k callKind, restart bool) bool {
	if budget <= 0 {
		return true
	}
	after := u.Cost() + k.price()
	if !restart {
		after += startReserve
	}
	return after <= budget+1e-9
}

// canStop reports whether the budget still allows stopping a car (and
// starting it again later).
func canStop(u Usage, budget float64) bool {
	return budget <= 0 || u.Cost()+stopCost+startReserve <= budget+1e-9
}

// monthOf names t's calendar month in t's own location, which for the
// appliance's clock is local time.
func monthOf(t time.Time) string { return t.Format("2006-01") }

// nextMonth is when the month after t's begins.
func nextMonth(t time.Time) time.Time {
	y, m, _ := t.Date()
	return time.Date(y, m+1, 1, 0, 0, 0, 0, t.Location())
}

func dollars(v float64) string { return fmt.Sprintf("$%.2f", v) }
