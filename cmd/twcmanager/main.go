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
	"syscall"
	"time"

	"github.com/twcmanager/twcmanager/appliance"
	"github.com/twcmanager/twcmanager/internal/bus"
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
	port := fs.String("port", "", "serial device of the USB–RS485 adapter (default: detect it)")
	amps := fs.Float64("amps", 0, "current offered to each charger until the charging policy takes over (0: do not charge; -demo: 16)")
	chargerLimit := fs.Float64("charger-limit", 32, "continuous current limit of each charger's circuit, in A")
	sharedLimit := fs.Float64("shared-limit", 32, "continuous current limit of the circuit all chargers share, in A")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	verbose := fs.Bool("v", false, "log every dropped frame and query (debug level)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("twcmanager: unexpected argument %q; see -help", fs.Arg(0))}
	}
	if *demo && *port != "" {
		return usageError{errors.New("twcmanager: -demo and -port exclude each other: the demo uses simulated chargers")}
	}
	for name, v := range map[string]float64{"charger-limit": *chargerLimit, "shared-limit": *sharedLimit} {
		if v < 6 || v > 80 {
			return usageError{fmt.Errorf("twcmanager: -%s %v is out of range: allowed 6 to 80 A", name, v)}
		}
	}
	if *amps < 0 || *amps > 80 {
		return usageError{fmt.Errorf("twcmanager: -amps %v is out of range: allowed 0 to 80 A", *amps)}
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
	a := units.Amps(*amps)
	if *demo && a == 0 {
		a = 16
	}
	app, err := appliance.New(appliance.Config{
		Demo: *demo, Port: *port, Amps: a,
		Limits:      bus.Limits{PerCharger: units.Amps(*chargerLimit), Shared: units.Amps(*sharedLimit)},
		StatusEvery: 30 * time.Second,
		Logger:      slog.New(handler),
	})
	if err != nil {
		return err
	}
	return app.Run(ctx)
}
