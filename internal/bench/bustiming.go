package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/appliance"
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/energy/sim"
	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/ui/web"
)

// BusConfig configures RunBus.
type BusConfig struct {
	// Duration is how long heartbeats are measured, after all three
	// chargers have linked.
	Duration time.Duration
	// Clients is how many HTTP clients request pages and API reads, each
	// waiting Pause between two requests.
	Clients int
	Pause   time.Duration
	// MeterEvery is how often the Fronius-shaped meter is polled.
	MeterEvery time.Duration
	// HistoryEvery is how often a batch of HistoryBatch minute samples is
	// written to the database, on top of the appliance's own recorder.
	HistoryEvery time.Duration
	HistoryBatch int
	// FramesEvery is how often the master's frame log is read; it holds
	// the last 200 frames, about 30 s of traffic with three chargers.
	FramesEvery time.Duration
}

// DefaultBusConfig is the load scripts/bench.sh applies.
func DefaultBusConfig() BusConfig {
	return BusConfig{Duration: 5 * time.Minute, Clients: 8, Pause: 20 * time.Millisecond, MeterEvery: time.Second,
		HistoryEvery: 5 * time.Second, HistoryBatch: 10, FramesEvery: 5 * time.Second}
}

// ChargerTiming is one charger's heartbeat intervals.
type ChargerTiming struct {
	ID string `json:"id"`
	// Intervals are between two heartbeats the master sent it, in ms, as
	// the master's frame log timestamps them.
	Intervals Dist `json:"intervals_ms"`
	// MasterMaxGap is the master's own record of the longest interval
	// since the charger linked; ChargerMaxGap the simulated charger's, as
	// received. Both cover the warm-up too.
	MasterMaxGapMS  float64 `json:"master_max_gap_ms"`
	ChargerMaxGapMS float64 `json:"charger_max_gap_ms"`
}

// BusResult is what RunBus measured.
type BusResult struct {
	Config   BusConfig       `json:"config"`
	Seconds  float64         `json:"seconds"`
	Chargers []ChargerTiming `json:"chargers"`
	// WireBytes is every frame's size on the wire (delimiters and escapes
	// included), both directions; Utilisation is that at 10 bits a byte
	// over 9600 baud, averaged over the run, and BusiestSecond the same
	// for the busiest whole second.
	WireBytes     int64   `json:"wire_bytes"`
	Frames        int     `json:"frames"`
	Utilisation   float64 `json:"utilisation"`
	BusiestSecond float64 `json:"busiest_second"`
	// FrameLogOverruns counts reads of the frame log that found frames
	// lost since the read before: the intervals then miss some heartbeats.
	FrameLogOverruns int     `json:"frame_log_overruns"`
	Requests         int64   `json:"requests"`
	RequestErrors    int64   `json:"request_errors"`
	FirstError       string  `json:"first_error,omitempty"`
	RequestMS        Dist    `json:"request_ms"`
	EventBytes       int64   `json:"event_bytes"`
	MeterPolls       int64   `json:"meter_polls"`
	HistoryWrites    int64   `json:"history_writes"`
	HistoryWriteMS   Dist    `json:"history_write_ms"`
	Queries          uint64  `json:"queries"`
	QueryTimeouts    uint64  `json:"query_timeouts"`
	Dropped          uint64  `json:"dropped"`
	CPUs             int     `json:"cpus"`
	RequestRate      float64 `json:"request_rate"`
}

// RunBus runs the appliance in demo mode with three chargers, a car at each,
// in real time for cfg.Duration after they have linked, while the load of
// cfg runs: HTTP clients reading the dashboard, the API and the metrics, one
// client holding the dashboard's event stream, a Fronius-shaped meter polled
// over HTTP on top of the demo's simulated site, and history batches
// written to the real database in a temporary directory.
func RunBus(ctx context.Context, cfg BusConfig) (BusResult, error) {
	res := BusResult{Config: cfg, CPUs: runtime.NumCPU()}
	dir, err := os.MkdirTemp("", "twcbench-bus-")
	if err != nil {
		return res, fmt.Errorf("bench: bus run: %w", err)
	}
	defer os.RemoveAll(dir)

	var app atomic.Pointer[appliance.Appliance]
	var meterPolls atomic.Int64
	meter := httptest.NewServer(froniusHandler(&app, &meterPolls))
	defer meter.Close()

	settings := appliance.DemoSettings()
	settings.SetupDone, settings.Web.PublicDashboard = true, true
	settings.Sources = append(settings.Sources, config.Source{Name: "grid meter", Kind: "fronius", Roles: []string{"grid"},
		Interval: cfg.MeterEvery, Params: json.RawMessage(fmt.Sprintf(`{"url": %q}`, meter.URL))})
	a, err := appliance.New(appliance.Config{Demo: true, DemoCount: 3, DataDir: dir, Settings: settings,
		Listen: "127.0.0.1:0", CompatListen: "", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return res, fmt.Errorf("bench: bus run: %w", err)
	}
	if err := setAdmin(a); err != nil {
		return res, err
	}
	app.Store(a)
	// A car at every charger: load sharing, VIN queries, meter queries.
	for i, c := range a.Sim().Chargers()[1:] {
		c.PlugIn(twcsim.Car{VIN: fmt.Sprintf("5YJ3E7EB1LF00000%d", i+2), BatteryKWh: 75, SoC: 0.4, Limit: 0.9, MaxAmps: 32})
	}

	runCtx, stopApp := context.WithCancel(ctx)
	appDone := make(chan error, 1)
	go func() { appDone <- a.Run(runCtx) }()
	defer func() { stopApp(); <-appDone }()
	if err := waitLinked(ctx, a, 3, time.Minute); err != nil {
		return res, err
	}

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	load := &httpLoad{base: "http://" + a.ListenAddr()}
	for range cfg.Clients {
		wg.Go(func() { load.client(loadCtx, cfg.Pause) })
	}
	wg.Go(func() { load.events(loadCtx) })
	hist := &historyLoad{db: history.New(a.Store())}
	wg.Go(func() { hist.run(loadCtx, cfg.HistoryEvery, cfg.HistoryBatch) })

	col := newFrameCollector()
	start := time.Now()
	meterStart, counters0 := meterPolls.Load(), a.Master().Snapshot().Counters
	ticker := time.NewTicker(cfg.FramesEvery)
	deadline := time.After(cfg.Duration)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			stopLoad()
			wg.Wait()
			return res, ctx.Err()
		case <-ticker.C:
		case <-deadline:
			done = true
		}
		frames, err := a.Master().Frames(ctx)
		if err != nil {
			stopLoad()
			wg.Wait()
			return res, fmt.Errorf("bench: frame log: %w", err)
		}
		col.add(frames, start)
	}
	ticker.Stop()
	res.Seconds = time.Since(start).Seconds()
	stopLoad()
	wg.Wait()

	snap := a.Master().Snapshot()
	res.Queries = snap.Counters.QueriesSent - counters0.QueriesSent
	res.QueryTimeouts = snap.Counters.QueryTimeouts - counters0.QueryTimeouts
	res.Dropped = snap.Counters.Dropped - counters0.Dropped
	res.MeterPolls = meterPolls.Load() - meterStart
	res.Requests, res.RequestErrors, res.EventBytes = load.requests.Load(), load.errors.Load(), load.eventBytes.Load()
	res.FirstError = load.firstError()
	res.RequestMS = Summarize(load.latencies())
	res.RequestRate = float64(res.Requests) / res.Seconds
	res.HistoryWrites, res.HistoryWriteMS = hist.writes.Load(), Summarize(hist.latencies())
	res.FrameLogOverruns, res.Frames, res.WireBytes = col.overruns, col.frames, col.wire
	res.Utilisation = float64(col.wire) * 10 / 9600 / res.Seconds
	for _, b := range col.perSecond {
		res.BusiestSecond = max(res.BusiestSecond, float64(b)*10/9600)
	}
	seen := map[twc.ID]time.Duration{}
	for _, c := range a.Sim().Chargers() {
		st := c.Status()
		seen[st.ID] = st.MaxGap
	}
	for _, c := range snap.Chargers {
		res.Chargers = append(res.Chargers, ChargerTiming{ID: c.ID.String(), Intervals: Summarize(col.intervals[c.ID]),
			MasterMaxGapMS: ms(c.MaxHeartbeatGap), ChargerMaxGapMS: ms(seen[c.ID])})
	}
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// setAdmin gives the appliance an admin password, so that the public
// dashboard is served (before the first-boot wizard, only it is).
func setAdmin(a *appliance.Appliance) error {
	h, err := web.HashPassword("benchmark only, never used to log in")
	if err != nil {
		return fmt.Errorf("bench: admin password: %w", err)
	}
	if err := a.Web().SetSecret(web.AdminHashSecret, h); err != nil {
		return fmt.Errorf("bench: admin password: %w", err)
	}
	return nil
}

// waitLinked waits until the master has n chargers.
func waitLinked(ctx context.Context, a *appliance.Appliance, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for len(a.Master().Snapshot().Chargers) < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: only %d of %d chargers linked within %v", len(a.Master().Snapshot().Chargers), n, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// froniusHandler answers GetPowerFlowRealtimeData from the demo's own
// simulated day (the broken-clouds profile at 10:00 onwards) and the
// chargers' power, as an inverter with a grid meter would.
func froniusHandler(app *atomic.Pointer[appliance.Appliance], polls *atomic.Int64) http.Handler {
	house := sim.NewHouse(sim.BrokenClouds, 1)
	origin := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls.Add(1)
		pv, load := house.At(time.Date(2026, 6, 21, 10, 0, 0, 0, time.UTC).Add(time.Since(origin)))
		if a := app.Load(); a != nil {
			for _, c := range a.Sim().Chargers() {
				load += float64(c.Status().Power)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"Body":{"Data":{"Site":{"P_Grid":%.1f,"P_Load":%.1f,"P_PV":%.1f,"P_Akku":null},"Inverters":{}}},"Head":{"Status":{"Code":0,"Reason":""}}}`,
			load-pv, -load, pv)
	})
}

// httpLoad is the web traffic of RunBus.
type httpLoad struct {
	base                         string
	requests, errors, eventBytes atomic.Int64
	mu                           sync.Mutex
	ms                           []float64
	first                        error // the first failed request
}

func (l *httpLoad) failed(err error) {
	l.errors.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.first == nil {
		l.first = err
	}
}

func (l *httpLoad) firstError() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.first == nil {
		return ""
	}
	return l.first.Error()
}

// paths are what the clients fetch in turn: the dashboard page, the
// native API's state and history, TWCManager's API and the metrics.
var paths = []string{"/", "/api/v1/state", "/api/v1/chargers", "/api/v1/history", "/api/getStatus", "/metrics"}

func (l *httpLoad) client(ctx context.Context, pause time.Duration) {
	c := &http.Client{Timeout: 10 * time.Second}
	for i := 0; ctx.Err() == nil; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.base+paths[i%len(paths)], nil)
		if err != nil {
			l.errors.Add(1)
			return
		}
		t0 := time.Now()
		resp, err := c.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s", req.URL.Path, resp.Status)
			}
		}
		if ctx.Err() != nil {
			return
		}
		l.requests.Add(1)
		if err != nil {
			l.failed(err)
		}
		l.mu.Lock()
		l.ms = append(l.ms, ms(time.Since(t0)))
		l.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// events holds the dashboard's event stream open, as an open browser tab
// does, and reopens it if it ends.
func (l *httpLoad) events(ctx context.Context) {
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.base+"/events", nil)
		if err != nil {
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				l.failed(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			l.eventBytes.Add(int64(len(sc.Bytes()) + 1))
		}
		resp.Body.Close()
	}
}

func (l *httpLoad) latencies() []float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]float64(nil), l.ms...)
}

// historyLoad writes batches of minute samples, as the recorder's flush
// does, into the appliance's database.
type historyLoad struct {
	db     *history.DB
	writes atomic.Int64
	mu     sync.Mutex
	ms     []float64
}

func (h *historyLoad) run(ctx context.Context, every time.Duration, batch int) {
	// Minutes of a day long past, so that the recorder's own samples are
	// neither overwritten nor pruned.
	at := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b := make([]history.Sample, batch)
		for i := range b {
			b[i] = history.Sample{At: at, Charger: 7200, Solar: 7000, Generation: 8000, Consumption: 7600, Grid: -400,
				Has: history.SampleHas{Generation: true, Consumption: true, Grid: true}}
			at = at.Add(time.Minute)
		}
		t0 := time.Now()
		if err := h.db.AddSamples(b); err != nil && !errors.Is(err, context.Canceled) {
			continue
		}
		h.writes.Add(1)
		h.mu.Lock()
		h.ms = append(h.ms, ms(time.Since(t0)))
		h.mu.Unlock()
	}
}

func (h *historyLoad) latencies() []float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]float64(nil), h.ms...)
}

// frameCollector gathers the frames of the master's log across reads.
type frameCollector struct {
	last      time.Time // newest frame taken
	lastHB    map[twc.ID]time.Time
	intervals map[twc.ID][]float64
	perSecond map[int64]int64
	frames    int
	wire      int64
	overruns  int
}

func newFrameCollector() *frameCollector {
	return &frameCollector{lastHB: map[twc.ID]time.Time{}, intervals: map[twc.ID][]float64{}, perSecond: map[int64]int64{}}
}

// add takes the frames of one read that are newer than the last read's and
// at or after start. The master logs all frames of one received chunk in
// one step, so no read splits frames with the same time.
func (c *frameCollector) add(frames []bus.Frame, start time.Time) {
	if len(frames) == 0 {
		return
	}
	if !c.last.IsZero() && frames[0].At.After(c.last) && len(frames) >= 200 {
		c.overruns++ // the ring wrapped past the last frame we took
	}
	for _, f := range frames {
		if !f.At.After(c.last) || f.At.Before(start) {
			continue
		}
		n := wireSize(f)
		c.frames++
		c.wire += int64(n)
		c.perSecond[f.At.Unix()] += int64(n)
		if f.Dir != bus.Tx {
			continue
		}
		m, err := f.Message()
		if err != nil {
			continue
		}
		if hb, ok := m.(twc.MasterHeartbeat); ok {
			if prev, ok := c.lastHB[hb.Slave]; ok {
				c.intervals[hb.Slave] = append(c.intervals[hb.Slave], ms(f.At.Sub(prev)))
			}
			c.lastHB[hb.Slave] = f.At
		}
	}
	c.last = frames[len(frames)-1].At
}

// wireSize is a frame's length on the wire: delimiters, escaped payload and
// checksum. Frames dropped as garbage were logged without their bytes; they
// count as the smallest frame.
func wireSize(f bus.Frame) int {
	if len(f.Body) < 2 {
		return 15
	}
	b, err := twc.AppendFramed(nil, f.Body[:len(f.Body)-1])
	if err != nil {
		return len(f.Body) + 2
	}
	return len(b)
}
