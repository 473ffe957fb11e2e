package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/version"
)

// App is everything the web interface reads and changes. None of its
// methods may block for long: they run on request goroutines.
type App interface {
	// Live state.
	Snapshot() bus.Snapshot
	Decisions(n int) []policy.Decision
	Energy() EnergyView
	HistoryStatus() history.RecorderStatus
	// Problems are what the appliance itself wants the user to act on (the
	// clock, the disk), in sentences; the chargers' faults are in Snapshot.
	Problems() []string

	// Settings; SetSettings validates and saves, or changes nothing.
	Settings() config.Settings
	SetSettings(config.Settings) error

	// Secrets by name (the admin password hash is AdminHashSecret).
	Secret(name string) (secret.String, error)
	SetSecret(name string, v secret.String) error

	// History, nil when nothing is kept.
	History() *history.DB

	// Wizard and diagnostics.
	Adapters() ([]rs485.Adapter, error)
	UsePort(ctx context.Context, path string) error
	SourceKinds() []energy.Kind
	TestSource(ctx context.Context, kind string, params json.RawMessage) (energy.Reading, error)
	Frames(ctx context.Context) ([]bus.Frame, error)
	Query(ctx context.Context, id uint16, op uint16) error

	// Bus captures for support: StartCapture records the raw bus bytes for
	// d (at most bus.MaxCapture), StopCapture ends the recording early,
	// CaptureStatus says how it goes and CaptureFile is the last finished
	// capture, in the format of package capture (do not modify it).
	StartCapture(ctx context.Context, d time.Duration) error
	StopCapture(ctx context.Context) error
	CaptureStatus(ctx context.Context) (bus.CaptureStatus, error)
	CaptureFile(ctx context.Context) ([]byte, bus.CaptureStatus, error)

	// FactoryReset wipes settings, secrets and history.
	FactoryReset(ctx context.Context) error

	// Integrations: the API token (shown once, when made) and the MQTT
	// connection's state.
	NewAPIToken() (string, error)
	RevokeAPIToken() error
	HasAPIToken() bool
	MQTTStatus() MQTTView

	// The car connection: its state, the Tesla login (the user pastes back
	// the address the login ended at), a test that lists the cars, logout.
	Car() CarView
	CarLoginURL() (string, error)
	CarLoginFinish(ctx context.Context, pasted string) error
	CarTest(ctx context.Context) (string, error)
	CarLogout() error
}

// CarView is the car connection's state in words.
type CarView struct {
	Connection string
	LoggedIn   bool
	// PublicKeyPEM is the appliance's app key to host at PublicKeyURL;
	// EnrollURL opens the Tesla app to approve it.
	PublicKeyPEM, PublicKeyURL, EnrollURL string
	Cars                                  []CarLine
	// Usage is this month's billed calls and their cost, in a sentence.
	Usage string
	// Problem says what is wrong and what to do, when something is.
	Problem string
}

// CarLine is one car as the connection knows it.
type CarLine struct {
	VIN, Name, Charger, Where, State string
}

// MQTTView is the MQTT connection's state in words.
type MQTTView struct {
	Enabled, Connected bool
	Broker             string
	Since              time.Time
	// Problem says what is wrong and what to do, when something is.
	Problem string
}

// EnergyView is the site's power now, with what is missing and why.
type EnergyView struct {
	At                            time.Time
	Generation, Consumption, Grid float64
	Battery, BatterySoC           float64
	HasGeneration, HasConsumption bool
	HasGrid, HasBattery           bool
	Problem                       string
}

// Deps is what a part of the interface gets when it registers its routes.
type Deps struct {
	App      App
	Sessions *Sessions
	Log      *slog.Logger
}

// SourceSecretName is where a source's secret parameter is stored.
func SourceSecretName(source, field string) string { return "source/" + source + "/" + field }

// AdminHashSecret is the name of the admin password's bcrypt hash.
const AdminHashSecret = "admin/password"

// Version is shown in the footer.
var Version = version.String()
