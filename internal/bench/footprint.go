package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twcmanager/twcmanager/appliance"
)

// FootprintConfig configures RunFootprint.
type FootprintConfig struct {
	// Binary is the twcmanager executable to run.
	Binary string
	// Duration is how long it runs with the dashboard open.
	Duration time.Duration
	// Chargers is -demo-chargers.
	Chargers int
	// SampleEvery is how often memory and CPU time are read.
	SampleEvery time.Duration
	// ReloadEvery is how often the dashboard page itself is fetched again.
	ReloadEvery time.Duration
}

// FootprintResult is what RunFootprint measured.
type FootprintResult struct {
	Config  FootprintConfig `json:"config"`
	Seconds float64         `json:"seconds"`
	Samples int             `json:"samples"`
	// RSS is resident memory in KiB over the samples; PeakRSSKiB the
	// kernel's high-water mark (VmHWM) at the end.
	RSSKiB     Dist    `json:"rss_kib"`
	FirstRSS   float64 `json:"first_rss_kib"`
	LastRSS    float64 `json:"last_rss_kib"`
	PeakRSSKiB float64 `json:"peak_rss_kib"`
	// CPUSeconds is user plus system time from start to the end of the
	// run (start-up included); CPUPercent is that over the wall time
	// measured, as a share of one core.
	CPUSeconds  float64 `json:"cpu_seconds"`
	StartupCPU  float64 `json:"startup_cpu_seconds"`
	CPUPercent  float64 `json:"cpu_percent"`
	Threads     int     `json:"threads"`
	EventBytes  int64   `json:"event_bytes"`
	PageLoads   int     `json:"page_loads"`
	Chargers    int     `json:"chargers_linked"`
	MaxGapMS    float64 `json:"max_heartbeat_gap_ms"` // the master's, over all chargers
	Heartbeats  uint64  `json:"heartbeats"`
	ExitedClean bool    `json:"exited_clean"`
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture the kernel's ABI promises it for.
const clockTicks = 100

// RunFootprint runs cfg.Binary with -demo and cfg.Chargers chargers for
// cfg.Duration with the dashboard open (its event stream held, the page
// fetched every ReloadEvery) and samples the process's memory and CPU time.
func RunFootprint(ctx context.Context, cfg FootprintConfig) (FootprintResult, error) {
	res := FootprintResult{Config: cfg}
	dir, err := os.MkdirTemp("", "twcbench-footprint-")
	if err != nil {
		return res, fmt.Errorf("bench: footprint: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := seedDemoData(dir); err != nil {
		return res, err
	}
	addr, err := freeAddr()
	if err != nil {
		return res, err
	}
	logf, err := os.Create(filepath.Join(dir, "twcmanager.log"))
	if err != nil {
		return res, fmt.Errorf("bench: footprint: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(cfg.Binary, "-demo", "-demo-chargers", strconv.Itoa(cfg.Chargers), "-data", dir,
		"-listen", addr, "-compat-listen", "", "-log-format", "json")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("bench: footprint: start %s: %w", cfg.Binary, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	base := "http://" + addr
	if err := waitHTTP(ctx, base+"/api/v1/state", 20*time.Second, exited); err != nil {
		return res, fmt.Errorf("%w (log: %s)", err, tail(logf.Name()))
	}
	if cpu, err := cpuSeconds(pid); err == nil {
		res.StartupCPU = cpu
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	load := &httpLoad{base: base}
	go load.events(loadCtx)
	var pages atomic.Int64
	go func() {
		c := &http.Client{Timeout: 10 * time.Second}
		t := time.NewTicker(cfg.ReloadEvery)
		defer t.Stop()
		for {
			if resp, err := c.Get(base + "/"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				pages.Add(1)
			}
			select {
			case <-loadCtx.Done():
				return
			case <-t.C:
			}
		}
	}()

	start := time.Now()
	var rss []float64
	t := time.NewTicker(cfg.SampleEvery)
	defer t.Stop()
	deadline := time.After(cfg.Duration)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case err := <-exited:
			stopped = true
			return res, fmt.Errorf("bench: footprint: twcmanager exited early (%v); log: %s", err, tail(logf.Name()))
		case <-deadline:
			done = true
		case <-t.C:
		}
		st, err := procStatus(pid)
		if err != nil {
			return res, err
		}
		rss = append(rss, st["VmRSS"])
		res.PeakRSSKiB, res.Threads = st["VmHWM"], int(st["Threads"])
	}
	res.Seconds = time.Since(start).Seconds()
	if res.CPUSeconds, err = cpuSeconds(pid); err != nil {
		return res, err
	}
	res.CPUPercent = 100 * (res.CPUSeconds - res.StartupCPU) / res.Seconds
	res.Samples, res.RSSKiB = len(rss), Summarize(rss)
	if len(rss) > 0 {
		res.FirstRSS, res.LastRSS = rss[0], rss[len(rss)-1]
	}
	if err := readState(ctx, base, &res); err != nil {
		return res, err
	}
	stopLoad()
	res.EventBytes, res.PageLoads = load.eventBytes.Load(), int(pages.Load())

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		res.ExitedClean = err == nil
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	stopped = true
	return res, nil
}

// seedDemoData prepares a data directory as after the first-boot wizard:
// an admin password and the dashboard public on the local network, so that
// the page and its event stream are served without logging in.
func seedDemoData(dir string) error {
	s := appliance.DemoSettings()
	s.SetupDone, s.Web.PublicDashboard = true, true
	a, err := appliance.New(appliance.Config{Demo: true, DataDir: dir, Settings: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("bench: footprint data: %w", err)
	}
	defer a.Store().Close()
	return setAdmin(a)
}

// freeAddr returns a loopback address with a port nothing listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitHTTP waits until url answers 200, the process exits, or limit passes.
func waitHTTP(ctx context.Context, url string, limit time.Duration, exited <-chan error) error {
	deadline := time.Now().Add(limit)
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %s did not answer within %v", url, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return fmt.Errorf("bench: twcmanager exited at start: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readState takes the chargers' heartbeat figures from the native API.
func readState(ctx context.Context, base string, res *FootprintResult) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/state", nil)
	if err != nil {
		return fmt.Errorf("bench: state: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("bench: state: %w", err)
	}
	defer resp.Body.Close()
	var st struct {
		Chargers []struct {
			Heartbeats        uint64 `json:"heartbeats"`
			MaxHeartbeatGapMS int64  `json:"max_heartbeat_gap_ms"`
		} `json:"chargers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return fmt.Errorf("bench: state: %w", err)
	}
	res.Chargers = len(st.Chargers)
	for _, c := range st.Chargers {
		res.Heartbeats += c.Heartbeats
		res.MaxGapMS = max(res.MaxGapMS, float64(c.MaxHeartbeatGapMS))
	}
	return nil
}

// procStatus reads the numeric fields of /proc/<pid>/status, in the units
// the kernel gives (kB for memory).
func procStatus(pid int) (map[string]float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("bench: memory: %w", err)
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// cpuSeconds is the process's user plus system time from /proc/<pid>/stat.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("bench: CPU time: %w", err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU takes utime and stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name, field 2, may hold spaces and
// parentheses, so fields are counted from its closing parenthesis.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: CPU time: no command name in %q", stat)
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3
	if len(f) < 13 {
		return 0, fmt.Errorf("bench: CPU time: %d fields after the command name", len(f))
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bench: CPU time: fields 14 and 15 are %q and %q", f[11], f[12])
	}
	return (utime + stime) / clockTicks, nil
}

// tail returns the end of the file at path, for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
