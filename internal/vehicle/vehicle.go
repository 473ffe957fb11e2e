// Package vehicle talks to the cars: a Gen 2 charger cannot stop a Tesla
// cleanly, so below the minimum current the appliance asks the car itself.
//
// API is one connection to the cars (the Tesla Fleet API directly, or a
// Fleet-API-compatible command proxy; package tesla implements both). Every
// call through it may be billed, so the Manager in this package makes all
// of them: it matches cars to chargers, caches charge state, counts and caps
// calls per month, wakes a car only when a start is due, debounces
// stop/start, and never blocks the policy, which only hands it wishes.
package vehicle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Car is one car on the account.
type Car struct {
	VIN  string
	Name string
	// Online is false while the car sleeps (waking it is billed).
	Online bool
}

// ChargeState is what a car says about its charging and where it is.
type ChargeState struct {
	At time.Time
	// SoC and Limit are the battery's charge and the car's own charge
	// limit, in percent.
	SoC, Limit float64
	// Charging is the car's charging_state: Charging, Stopped, Complete,
	// Disconnected, NoPower, Starting.
	Charging string
	// Amps is the current the car draws; RequestAmps what it is set to take.
	Amps, RequestAmps float64
	// ScheduledStart is set while the car waits for its own scheduled
	// charging or departure to begin.
	ScheduledStart time.Time
	// Lat and Lon are where the car is, when HasLocation.
	Lat, Lon    float64
	HasLocation bool
}

// Command is a charging command.
type Command struct {
	Kind CommandKind
	// Amps for SetAmps.
	Amps int
}

// CommandKind names a command.
type CommandKind string

// The commands the appliance sends.
const (
	ChargeStart CommandKind = "charge_start"
	ChargeStop  CommandKind = "charge_stop"
	SetAmps     CommandKind = "set_charging_amps"
)

// API is one connection to the cars. Each method is one billed call (or, for
// Command, one command however many round trips signing takes). Methods
// return the errors below where they apply, wrapped with context.
type API interface {
	// Cars lists the account's cars (a data request).
	Cars(ctx context.Context) ([]Car, error)
	// ChargeState reads one car (a data request); ErrAsleep when it sleeps.
	ChargeState(ctx context.Context, vin string) (ChargeState, error)
	// Wake wakes a car (a wake request).
	Wake(ctx context.Context, vin string) error
	// Command sends one signed command (a command).
	Command(ctx context.Context, vin string, c Command) error
}

// Errors an API returns, for the Manager to act on and the UI to explain.
var (
	// ErrAsleep: the car sleeps (Fleet API 408); wake it first.
	ErrAsleep = errors.New("the car is asleep")
	// ErrLogin: the login is gone (revoked, expired refresh token, wrong
	// client ID); the user must log in again.
	ErrLogin = errors.New("the Tesla login is no longer valid: log in again in Settings → Car")
	// ErrNotEnrolled: the car does not know the app's key; the user must
	// add it in the Tesla app through the enrolment link.
	ErrNotEnrolled = errors.New("the car does not know this appliance's key yet: open the enrolment link on your phone and approve the key in the Tesla app")
	// ErrUnknownVIN: no car with that VIN on the account.
	ErrUnknownVIN = errors.New("no car with this VIN is on the Tesla account")
	// ErrUnreachable: the Fleet API or the proxy cannot be reached.
	ErrUnreachable = errors.New("the car connection cannot be reached")
)

// RateLimited is a 429: wait at least RetryAfter before the next call.
type RateLimited struct{ RetryAfter time.Duration }

func (e *RateLimited) Error() string {
	return fmt.Sprintf("Tesla asks to wait %v before the next request (rate limit)", e.RetryAfter)
}
