// Command twcsim runs simulated Tesla Wall Connector Gen 2 chargers in slave
// mode on a serial device, so that twcmanager can be tried without chargers:
// at the far end of a null-modem pair (-port) or of a pseudo-terminal (-pty),
// whose path it prints for twcmanager's -port, or on a unix socket (-socket)
// that an emulator's serial port listens on, such as QEMU's
// -chardev socket,server=on.
//
//	twcsim -pty -chargers 2 &
//	twcmanager -port /dev/pts/7
//
// With -master a simulated charger set as master runs the bus as well, for
// twcmanager in monitor mode. With -replay it simulates nothing and plays
// back a bus capture downloaded from twcmanager's diagnostics page, with the
// original timing or -speed times faster, then exits:
//
//	twcsim -pty -replay case.twccap -speed 10 -delay 5s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/twcmanager/twcmanager/internal/bus/capture"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Fixed IDs, so logs from one run compare with the next. 4580 is the unit in
// the spec's firmware fixture.
var chargerIDs = [3]twc.ID{0x1839, 0x2019, 0x4580}

// demoVIN has a valid check digit, so twcmanager accepts it.
const demoVIN = "5YJ3E7EB3KF000001"

const statusEvery = 10 * time.Second

// writeTimeout bounds a write to a pseudo-terminal or socket. Until
// twcmanager opens the far end nobody drains it; once its buffer fills a
// write would block the simulator, and with it shutdown. Bytes nobody reads
// are lost, as on a real bus.
const writeTimeout = 100 * time.Millisecond

// replayLinger keeps the port open after a replay, so the far end can read
// the last bytes.
const replayLinger = time.Second

// socketRetry is how often -socket tries again while the socket does not
// exist yet or nobody accepts on it (the emulator is still starting).
const socketRetry = 100 * time.Millisecond

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "twcsim:", err)
	}
	os.Exit(exitCode(err))
}

// usageError is a bad command line; like flag, main exits 2 for it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

type options struct {
	port       string
	pty        bool
	socket     string
	chargers   int
	profile    twcsim.Profile
	maxAmps    units.Amps
	car        bool
	threePhase bool
	faults     twcsim.Faults
	seed       uint64
	master     bool
	masterCfg  twcsim.MasterConfig

	replay       string
	replayCfg    twcsim.ReplayConfig
	replayDelay  time.Duration
	replayLoaded *capture.Capture
}

// simulationFlags make no sense with -replay, which plays the bus as it was.
var simulationFlags = []string{"chargers", "profile", "max-amps", "car", "three-phase", "corrupt", "drop",
	"echo", "junk", "seed", "master", "master-amps", "master-queries"}

// parseFlags returns flag.ErrHelp for -h, or a one-line usageError.
func parseFlags(args []string) (options, error) {
	o := options{chargers: 2, profile: twcsim.Profile453, maxAmps: 32, car: true, seed: 1}
	fs := newFlagSet(&o)
	fs.SetOutput(io.Discard) // errors are reported by main, on one line
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range simulationFlags {
		if set[name] && o.replay != "" {
			return o, usageError{fmt.Sprintf("-%s cannot be used with -replay: a replay plays the capture back as it was recorded", name)}
		}
	}
	for _, name := range []string{"speed", "delay", "received-only"} {
		if set[name] && o.replay == "" {
			return o, usageError{fmt.Sprintf("-%s needs -replay FILE", name)}
		}
	}
	for _, name := range []string{"master-amps", "master-queries"} {
		if set[name] && !o.master {
			return o, usageError{fmt.Sprintf("-%s needs -master", name)}
		}
	}
	n := 0
	for _, set := range []bool{o.port != "", o.pty, o.socket != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return o, usageError{"exactly one of -port PATH, -socket PATH or -pty is required"}
	}
	return o, nil
}

func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("twcsim", flag.ContinueOnError)
	fs.StringVar(&o.port, "port", "", "serial device `PATH` to answer on (9600 8N1)")
	fs.BoolVar(&o.pty, "pty", false, "create a pseudo-terminal and print the path for twcmanager's -port")
	fs.StringVar(&o.socket, "socket", "", "unix socket `PATH` to connect to, e.g. an emulator's serial port; waits until it exists")
	fs.Func("chargers", "`N` simulated chargers: 1, 2 or 3 (default 2)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > len(chargerIDs) {
			return errors.New("want 1, 2 or 3")
		}
		o.chargers = n
		return nil
	})
	fs.Func("profile", "firmware `profile`: v1, v2 or 4.5.3 (default 4.5.3)", func(s string) error {
		p, ok := twcsim.ProfileByName(s)
		if !ok {
			return errors.New("want v1, v2 or 4.5.3")
		}
		o.profile = p
		return nil
	})
	fs.Func("max-amps", "rated current `AMPS` advertised in link-ready: 32 (EU) or 80 (US) (default 32)", func(s string) error {
		switch s {
		case "32", "80":
			a, _ := strconv.Atoi(s)
			o.maxAmps = units.Amps(a)
			return nil
		}
		return errors.New("want 32 or 80")
	})
	fs.BoolVar(&o.car, "car", true, "plug a car into the first charger")
	fs.BoolVar(&o.threePhase, "three-phase", false, "3 × 230 V supply and a three-phase car, instead of 1 × 240 V")
	fs.Func("corrupt", "probability `RATE` (0 to 1) that a byte is corrupted on the wire", rate(&o.faults.CorruptRate))
	fs.Func("drop", "probability `RATE` (0 to 1) that a charger ignores a frame for it", rate(&o.faults.DropRate))
	fs.BoolVar(&o.faults.Echo, "echo", false, "echo the master's bytes, like an adapter without direction control")
	fs.BoolVar(&o.faults.TrailingJunk, "junk", false, "send the FE byte real chargers append to frames")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed `N` for announcement timing, new IDs and faults")
	fs.BoolVar(&o.master, "master", false, "also simulate a charger set as master that runs the bus, for twcmanager in monitor mode")
	fs.Func("master-amps", "current `AMPS` the -master shares evenly among its slaves: 6 to 80 (default 32)", func(s string) error {
		a, err := strconv.Atoi(s)
		if err != nil || a < 6 || a > 80 {
			return errors.New("want whole amps from 6 to 80")
		}
		o.masterCfg.Amps = units.Amps(a)
		return nil
	})
	fs.BoolVar(&o.masterCfg.Queries, "master-queries", false, "make the -master ask for meters and VINs, as TWCManager does as master")
	fs.StringVar(&o.replay, "replay", "", "play back the bus capture `FILE` (from twcmanager's diagnostics page) instead of simulating, then exit")
	fs.Func("speed", "replay `FACTOR` times faster than recorded, e.g. 10 (default 1)", func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f > 0 && f <= 1000) {
			return errors.New("want a number above 0 and at most 1000, e.g. 1 or 10")
		}
		o.replayCfg.Speed = f
		return nil
	})
	fs.Func("delay", "wait `DURATION` before replaying, e.g. 5s to start twcmanager on the -pty first (default 0s)", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return errors.New("want a duration of 0 or more, e.g. 5s")
		}
		o.replayDelay = d
		return nil
	})
	fs.BoolVar(&o.replayCfg.ReceivedOnly, "received-only", false, "replay only the bytes the recording appliance heard, not those it sent")
	return fs
}

func rate(dst *float64) func(string) error {
	return func(s string) error {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || !(r >= 0 && r <= 1) {
			return errors.New("want a probability from 0 to 1")
		}
		*dst = r
		return nil
	}
}

// run is main without the process: it serves until ctx ends, then returns nil.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		fs := newFlagSet(&options{})
		fs.SetOutput(stderr)
		fmt.Fprintln(stderr, "usage: twcsim (-port PATH | -socket PATH | -pty) [flags]")
		fmt.Fprintln(stderr, "       twcsim (-port PATH | -socket PATH | -pty) -replay FILE [-speed FACTOR] [-delay DURATION] [-received-only]")
		fs.PrintDefaults()
		return nil
	}
	if err != nil {
		return err
	}
	if o.replay != "" {
		// A bad file is refused before anything is opened.
		if o.replayLoaded, err = capture.ReadFile(o.replay); err != nil {
			return fmt.Errorf("-replay: %w", err)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	port, name, err := openPort(ctx, o, log)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting for the socket
		}
		return err
	}
	defer port.Close()
	if o.replayLoaded != nil {
		return replay(ctx, o, port, name, stdout, log)
	}

	cfg := twcsim.Config{Faults: o.faults, Seed: o.seed, Logger: log}
	if o.master {
		cfg.Master = &o.masterCfg
	}
	var ids []string
	for i, id := range chargerIDs[:o.chargers] {
		cfg.Chargers = append(cfg.Chargers, twcsim.ChargerConfig{
			ID: id, Sign: byte(0x39 + 0x11*i), MaxAmps: o.maxAmps, Profile: o.profile,
			KWh: float64(1200 + 800*i), ThreePhase: o.threePhase,
		})
		ids = append(ids, id.String())
	}
	sim := twcsim.New(port, cfg)
	if o.car {
		sim.Charger(0).PlugIn(demoCar(o))
	}
	if o.pty {
		// First line of stdout, for scripts: twcmanager -port "$(head -1)".
		if _, err := fmt.Fprintln(stdout, name); err != nil {
			return err
		}
	}
	log.Info("twcsim started", "port", name, "chargers", strings.Join(ids, ","),
		"profile", o.profile.Name, "max_amps", float64(o.maxAmps), "three_phase", o.threePhase,
		"car", o.car, "master", o.master, "corrupt", o.faults.CorruptRate, "drop", o.faults.DropRate,
		"echo", o.faults.Echo, "junk", o.faults.TrailingJunk, "seed", o.seed)

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { logStatus(ctx, log, sim) })
	err = sim.Run(ctx)
	cancel()
	wg.Wait()
	if err == nil {
		log.Info("twcsim stopped")
	}
	return err
}

// replay plays the capture back on port and returns when it is done.
func replay(ctx context.Context, o options, port io.Writer, name string, stdout io.Writer, log *slog.Logger) error {
	c := o.replayLoaded
	if o.pty {
		if _, err := fmt.Fprintln(stdout, name); err != nil {
			return err
		}
	}
	speed := o.replayCfg.Speed
	if speed == 0 {
		speed = 1
	}
	log.Info("twcsim replaying", "port", name, "file", o.replay, "recorded", c.Start.Format(time.RFC3339),
		"length", c.Length.String(), "records", len(c.Records), "bytes", c.Bytes(), "dropped_when_recorded", c.Dropped,
		"speed", speed, "received_only", o.replayCfg.ReceivedOnly, "delay", o.replayDelay.String())
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(o.replayDelay):
	}
	began := time.Now()
	if err := twcsim.Replay(ctx, port, c, o.replayCfg); err != nil {
		if ctx.Err() != nil {
			log.Info("twcsim stopped during the replay")
			return nil
		}
		return err
	}
	log.Info("replay finished", "took", time.Since(began).Round(time.Millisecond).String())
	// Closing a pseudo-terminal drops what the far end has not read yet:
	// give it the last bytes before the port goes.
	select {
	case <-ctx.Done():
	case <-time.After(replayLinger):
	}
	return nil
}

func demoCar(o options) twcsim.Car {
	car := twcsim.Car{VIN: demoVIN, BatteryKWh: 75, SoC: 0.4, Limit: 0.9, MaxAmps: 32, Phases: 1}
	if o.maxAmps > 32 {
		car.MaxAmps = 48 // a US car on an 80 A unit
	}
	if o.threePhase {
		car.Phases, car.MaxAmps = 3, 16
	}
	return car
}

// openPort opens the serial device, connects to the socket, or creates a
// pseudo-terminal and returns its master side with the slave's path.
func openPort(ctx context.Context, o options, log *slog.Logger) (io.ReadWriteCloser, string, error) {
	switch {
	case o.socket != "":
		c, err := dialSocket(ctx, o.socket, log)
		return c, o.socket, err
	case !o.pty:
		p, err := rs485.Open(o.port)
		return p, o.port, err
	}
	master, slave, err := pty.Open()
	if err != nil {
		return nil, "", fmt.Errorf("create pseudo-terminal: %w", err)
	}
	// Put the line in raw mode now, as the master's rs485.Open will: a new
	// pty echoes and translates CR/LF, which would mangle frames sent before
	// twcmanager opens it. Terminal settings belong to the device, so they
	// outlive this descriptor because we keep slave open.
	cfg, err := rs485.Open(slave.Name())
	if err == nil {
		err = cfg.Close() // also releases its exclusive lock for twcmanager
	}
	if err != nil {
		master.Close()
		slave.Close()
		return nil, "", fmt.Errorf("configure %s: %w", slave.Name(), err)
	}
	mp, err := pollable(master)
	master.Close()
	if err != nil {
		slave.Close()
		return nil, "", fmt.Errorf("pseudo-terminal: %w", err)
	}
	return &ptyPort{File: mp, slave: slave}, slave.Name(), nil
}

// pollable returns a copy of f driven by the runtime poller, so that Close
// interrupts a pending Read and write deadlines work. pty.Open hands out a
// blocking descriptor (it calls Fd), which has neither.
func pollable(f *os.File) (*os.File, error) {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// ptyPort is the master side of a pseudo-terminal. It holds the slave open
// so that reads do not fail with EIO each time twcmanager closes its end.
type ptyPort struct {
	*os.File
	slave *os.File
}

func (p *ptyPort) Write(b []byte) (int, error) {
	return lossyWrite(p.File, b)
}

func (p *ptyPort) Close() error {
	return errors.Join(p.File.Close(), p.slave.Close())
}

// dialSocket connects to the unix socket at path. Until it exists, or while
// nobody accepts on it, it tries again every socketRetry until ctx ends: an
// emulator creates its serial port's socket only once it has started.
func dialSocket(ctx context.Context, path string, log *slog.Logger) (io.ReadWriteCloser, error) {
	var d net.Dialer
	waiting := false
	for {
		c, err := d.DialContext(ctx, "unix", path)
		if err == nil {
			if waiting {
				log.Info("socket connected", "path", path)
			}
			return socketPort{c}, nil
		}
		// A unix dial times out only on ctx's deadline, and may do so a
		// moment before ctx itself reports it: treat it as ctx ending.
		var ne net.Error
		if ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("connect to %s: not a socket", path)
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("connect to %s: %w", path, err)
		}
		if !waiting {
			log.Info("waiting for socket", "path", path)
			waiting = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(socketRetry):
		}
	}
}

// socketPort is a connection to an emulator's serial port.
type socketPort struct{ net.Conn }

func (p socketPort) Write(b []byte) (int, error) {
	return lossyWrite(p.Conn, b)
}

// lossyWrite writes b within writeTimeout; bytes that nobody drains in time
// are dropped, as on a real bus, rather than blocking the simulator.
func lossyWrite(w interface {
	io.Writer
	SetWriteDeadline(time.Time) error
}, b []byte) (int, error) {
	_ = w.SetWriteDeadline(time.Now().Add(writeTimeout))
	n, err := w.Write(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return len(b), nil // nobody is listening: the bytes are lost
	}
	return n, err
}

// logStatus logs one line per charger every statusEvery until ctx ends.
func logStatus(ctx context.Context, log *slog.Logger, sim *twcsim.Sim) {
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, c := range sim.Chargers() {
			st := c.Status()
			log.Info("charger", "id", st.ID.String(), "linked", st.Linked, "state", st.State.String(),
				"offered", st.Offered.String(), "actual", st.Actual.String(), "kwh", fmt.Sprintf("%.3f", st.KWh))
		}
	}
}
