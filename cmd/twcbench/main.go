// Command twcbench runs the benchmarks of docs/benchmarks.md that need real
// time, and writes the report. scripts/bench.sh runs it all; the day
// profiles run as a test (internal/bench TestDayProfiles), because a day
// passes in seconds only inside a testing/synctest bubble.
//
//	twcbench bus [-duration 5m] -out bus.json
//	twcbench footprint -bin twcmanager [-duration 10m] -out footprint.json
//	twcbench report -days days.json -bus bus.json -footprint footprint.json [-size LABEL=PATH …] -o docs/benchmarks.md
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twcmanager/twcmanager/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
}

const usage = "usage: twcbench bus|footprint|report [flags]; twcbench CMD -help for the flags"

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "bus":
		return busCmd(ctx, args[1:], stderr)
	case "footprint":
		return footprintCmd(ctx, args[1:], stderr)
	case "report":
		return reportCmd(args[1:], stderr)
	}
	return fmt.Errorf("twcbench: unknown command %q; %s", args[0], usage)
}

func busCmd(ctx context.Context, args []string, stderr io.Writer) error {
	cfg := bench.DefaultBusConfig()
	fs := flag.NewFlagSet("twcbench bus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to measure heartbeats once the chargers have linked")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "HTTP clients reading pages and the API")
	fs.DurationVar(&cfg.Pause, "pause", cfg.Pause, "pause between one client's requests")
	out := fs.String("out", "", "JSON file to write the result to (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("twcbench bus: -out is required")
	}
	fmt.Fprintf(stderr, "twcbench: bus timing, three chargers, %v under load\n", cfg.Duration)
	res, err := bench.RunBus(ctx, cfg)
	if err != nil {
		return err
	}
	return writeJSON(*out, res)
}

func footprintCmd(ctx context.Context, args []string, stderr io.Writer) error {
	cfg := bench.FootprintConfig{Duration: 10 * time.Minute, Chargers: 3, SampleEvery: 5 * time.Second, ReloadEvery: time.Minute}
	fs := flag.NewFlagSet("twcbench footprint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Binary, "bin", "", "twcmanager executable (required)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to run it with the dashboard open")
	fs.IntVar(&cfg.Chargers, "chargers", cfg.Chargers, "simulated chargers (-demo-chargers)")
	fs.DurationVar(&cfg.SampleEvery, "sample", cfg.SampleEvery, "how often to read memory and CPU time")
	fs.DurationVar(&cfg.ReloadEvery, "reload", cfg.ReloadEvery, "how often to fetch the dashboard page again")
	out := fs.String("out", "", "JSON file to write the result to (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Binary == "" || *out == "" {
		return errors.New("twcbench footprint: -bin and -out are required")
	}
	fmt.Fprintf(stderr, "twcbench: footprint of %s -demo -demo-chargers %d for %v\n", cfg.Binary, cfg.Chargers, cfg.Duration)
	res, err := bench.RunFootprint(ctx, cfg)
	if err != nil {
		return err
	}
	return writeJSON(*out, res)
}

// sizeFlags collects repeated -size LABEL=PATH flags.
type sizeFlags []string

func (s *sizeFlags) String() string     { return strings.Join(*s, ",") }
func (s *sizeFlags) Set(v string) error { *s = append(*s, v); return nil }

func reportCmd(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("twcbench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	days := fs.String("days", "", "the day profiles' results (TestDayProfiles -bench.days)")
	busFile := fs.String("bus", "", "twcbench bus's result")
	fpFile := fs.String("footprint", "", "twcbench footprint's result")
	out := fs.String("o", "docs/benchmarks.md", "the report to write")
	elapsed := fs.Duration("elapsed", 0, "how long scripts/bench.sh took, for the report")
	command := fs.String("command", "scripts/bench.sh", "the command line that made the report")
	imageNote := fs.String("image-note", "", "what to say when no image sizes are given")
	var sizes sizeFlags
	fs.Var(&sizes, "size", "LABEL=PATH of a build artefact to report the size of (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := bench.Report{Machine: bench.ThisMachine(), Elapsed: *elapsed, Command: *command, ImageNote: *imageNote}
	if err := readJSON(*days, &r.Days); err != nil {
		return err
	}
	if err := readJSON(*busFile, &r.Bus); err != nil {
		return err
	}
	if err := readJSON(*fpFile, &r.Footprint); err != nil {
		return err
	}
	var err error
	if r.Sizes, err = bench.StatSizes(sizes); err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("twcbench report: %w", err)
	}
	if err := bench.Render(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return fmt.Errorf("twcbench: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("twcbench: %w", err)
	}
	return nil
}

func readJSON(path string, v any) error {
	if path == "" {
		return errors.New("twcbench report: -days, -bus and -footprint are required")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("twcbench report: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("twcbench report: %s: %w", path, err)
	}
	return nil
}
