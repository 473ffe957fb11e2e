package api

import (
	"context"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// Backend is the appliance as the APIs see it. No method may block for
// long: they run on request and message goroutines, never on the bus's.
type Backend interface {
	// Now is the appliance's clock.
	Now() time.Time
	Snapshot() bus.Snapshot
	// Decisions returns up to n of the policy's latest decisions, newest last.
	Decisions(n int) []policy.Decision
	// Settings are the settings in force, every secret masked.
	Settings() config.Settings
	// SetSettings validates s and puts it in force and on disk, or changes
	// nothing and returns config.Errors naming the fields.
	SetSettings(s config.Settings) error
	// Energy is the site now and each source's state.
	Energy() Energy
	// History is nil when nothing is kept.
	History() *history.DB
	Secret(name string) (secret.String, error)
	SetSecret(name string, v secret.String) error
	// DeviceID identifies this appliance for good (TWCManager's getUUID: a
	// MAC address as a number).
	DeviceID() uint64
	// StartCharging and StopCharging act on one charger at once; the policy
	// decides again at its next evaluation.
	StartCharging(ctx context.Context, id twc.ID) error
	StopCharging(ctx context.Context, id twc.ID, method bus.StopMethod) error
	// Query sends one read-only query (bus.SafeQueries); Frames are the
	// recent frames on the bus.
	Query(ctx context.Context, id twc.ID, op twc.Code) error
	Frames(ctx context.Context) ([]bus.Frame, error)
	// Cars is the car connection: cars, matches, this month's billed calls.
	Cars() vehicle.Status
}

// Energy is the site reading the policy uses and the state of each source.
type Energy struct {
	Reading policy.Reading
	Sources []SourceState
}

// SourceState is one configured energy source and its poller's state.
type SourceState struct {
	Name   string
	Kind   string
	Roles  []string
	Status energy.Status
}

// Age is how old the source's last good reading is at now; -1 when it has
// never read.
func (s SourceState) Age(now time.Time) time.Duration {
	if s.Status.Reading.At.IsZero() {
		return -1
	}
	return now.Sub(s.Status.Reading.At)
}
