// Command twcmanager is the load-sharing bus master for Tesla Wall Connector
// Gen 2 chargers. Run it with -demo to try it against simulated chargers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/twcmanager/twcmanager/appliance"
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/units"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(exitCode(err))
	}
}

type usageError struct{ error }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("twcmanager", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run against two simulated chargers with a car plugged into one")
	demoChargers := fs.Int("demo-chargers", 2, "how many simulated chargers -demo runs, 1 to 3")
	port := fs.String("port", "", "serial device of the USB–RS485 adapter (default: detect it)")
	mode := fs.String("mode", "", "charging mode: off, now, minsolar, solar or schedule (default solar; with -amps, now)")
	amps := fs.Float64("amps", 0, "current for Now mode, shared by the chargers")
	chargerLimit := fs.Float64("charger-limit", 32, "continuous current limit of each charger's circuit, in A (80 % of its breaker)")
	sharedLimit := fs.Float64("shared-limit", 32, "continuous current limit of the circuit all chargers share, in A")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	verbose := fs.Bool("v", false, "log every dropped frame and query (debug level)")
	listen := fs.String("listen", "localhost:8000", "address of the web interface (the appliance uses :80); empty for none")
	compatListen := fs.String("compat-listen", "localhost:8080", "address of the TWCManager-compatible API (the appliance uses :8080, which TWCManager's clients expect); empty for none (it is also under /api/ on -listen)")
	mdns := fs.String("mdns", mdnsDefault, "announce the web interface as NAME.local on the local network; empty for none")
	manageClock := fs.Bool("manage-clock", onAppliance, "set the system clock from NTP (the SD-card image does; elsewhere the host keeps its clock)")
	dataDir := fs.String("data", "", "directory of the database (default ./data; ./data/demo with -demo)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("twcmanager: unexpected argument %q; see -help", fs.Arg(0))}
	}
	if *demo && *port != "" {
		return usageError{errors.New("twcmanager: -demo and -port exclude each other: the demo uses simulated chargers")}
	}
	if *demoChargers < 1 || *demoChargers > 3 {
		return usageError{fmt.Errorf("twcmanager: -demo-chargers %d is not allowed; allowed: 1 to 3", *demoChargers)}
	}
	dir := *dataDir
	if dir == "" {
		dir = "data"
		if *demo {
			dir = filepath.Join("data", "demo") // the demo's history stays apart
		}
	}
	settings := config.Defaults()
	if *demo {
		settings = appliance.DemoSettings()
	}
	// Flags the user gave change the stored settings; the others leave them.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	override := func(s *config.Settings) {
		if set["charger-limit"] {
			s.Wiring.Charger = config.Circuit{Limit: units.Amps(*chargerLimit)}
		}
		if set["shared-limit"] {
			s.Wiring.Shared = config.Circuit{Limit: units.Amps(*sharedLimit)}
		}
		if set["amps"] {
			s.Policy.Mode = config.ModeNow
			s.Policy.ChargeNow.Amps = units.Amps(*amps)
		}
		if set["mode"] {
			s.Policy.Mode = config.Mode(*mode)
		}
	}
	check := settings
	override(&check)
	if err := check.Validate(); err != nil {
		return usageError{fmt.Errorf("twcmanager: %w", flagNames(err))}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler
	switch *logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, opts)
	case "json":
		handler = slog.NewJSONHandler(stderr, opts)
	default:
		return usageError{fmt.Errorf("twcmanager: -log-format %q: allowed text or json", *logFormat)}
	}
	app, err := appliance.New(appliance.Config{
		Demo: *demo, DemoCount: *demoChargers, Port: *port, Settings: settings, Override: override, DataDir: dir, Listen: *listen, CompatListen: *compatListen, ManageClock: *manageClock, MDNSName: *mdns, Console: consolePath,
		StatusEvery: 30 * time.Second,
		Logger:      slog.New(handler),
	})
	if err != nil {
		return err
	}
	return app.Run(ctx)
}

// flagNames says which flag set the settings a validation error names.
func flagNames(err error) error {
	fields, ok := config.AsErrors(err)
	if !ok {
		return err
	}
	flags := map[string]string{
		"wiring.charger.limit_amps": "-charger-limit", "wiring.charger": "-charger-limit",
		"wiring.shared.limit_amps": "-shared-limit", "wiring.shared": "-shared-limit",
		"policy.charge_now.amps": "-amps", "policy.mode": "-mode",
	}
	var parts []string
	for _, f := range fields {
		name := f.Field
		if fl, ok := flags[f.Field]; ok {
			name = fl
		}
		parts = append(parts, fmt.Sprintf("%s %v is not allowed; allowed: %s", name, f.Value, f.Allowed))
	}
	return errors.New(strings.Join(parts, "; "))
}
