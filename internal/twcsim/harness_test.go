package twcsim

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// The tests play the master: they write master frames into the master end of
// a Link and decode what comes back, so they check bytes on the wire rather
// than the simulator's internals. Every test runs in a synctest bubble, where
// time only moves when all goroutines are blocked: an hour of bus traffic
// takes a fraction of a second and timings are exact.

const (
	masterID twc.ID = 0x7777
	idA      twc.ID = 0x1839
	idB      twc.ID = 0x2019
	testVIN         = "5YJ3E7EB3KF000001" // valid check digit
)

// frame is one valid frame the master received, with its arrival time.
type frame struct {
	at   time.Time
	body []byte
	msg  twc.Message
}

// bench is a running simulator with the test as its master.
type bench struct {
	t    *testing.T
	sim  *Sim
	port io.ReadWriteCloser

	mu        sync.Mutex // guards the fields below, filled by collect
	dec       twc.Decoder
	raw       [][]byte // chunks as read, for byte-level checks
	frames    []frame
	parseErrs int
}

func chargerCfg(id twc.ID, p Profile) ChargerConfig {
	return ChargerConfig{ID: id, Sign: byte(id), MaxAmps: 32, Profile: p}
}

// start runs a simulator for cfg until the test ends. Call it inside a bubble.
func start(t *testing.T, cfg Config) *bench {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 1 // fixed, so announcement phases are the same every run
	}
	link := NewLink()
	port, err := link.Open()
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	b := &bench{t: t, sim: New(link.SimPort(), cfg), port: port}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- b.sim.Run(ctx) }()
	read := make(chan struct{})
	go b.collect(read)
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
		port.Close()
		<-read
	})
	return b
}

func (b *bench) collect(done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 512)
	for {
		n, err := b.port.Read(buf)
		if n > 0 {
			now := time.Now()
			b.mu.Lock()
			b.raw = append(b.raw, bytes.Clone(buf[:n]))
			for _, c := range buf[:n] {
				body, _ := b.dec.Feed(now, c)
				if body == nil {
					continue
				}
				if m, err := twc.Parse(body); err != nil {
					b.parseErrs++
				} else {
					b.frames = append(b.frames, frame{at: now, body: bytes.Clone(body), msg: m})
				}
			}
			b.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// wait lets d of bus time pass and returns once the simulator and the
// collector have handled everything due by then.
func (b *bench) wait(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// take returns the frames received since the last take.
func (b *bench) take() []frame {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.frames
	b.frames = nil
	return f
}

// takeRaw returns the chunks read since the last takeRaw.
func (b *bench) takeRaw() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := bytes.Join(b.raw, nil)
	b.raw = nil
	return out
}

func (b *bench) stats() twc.Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dec.Stats
}

func (b *bench) send(ms ...twc.Message) {
	b.t.Helper()
	for _, m := range ms {
		w, err := twc.Encode(m)
		if err != nil {
			b.t.Fatalf("Encode %v: %v", m.Code(), err)
		}
		if _, err := b.port.Write(w); err != nil {
			b.t.Fatalf("Write: %v", err)
		}
	}
}

// ask sends m and returns what came back within a second.
func (b *bench) ask(m twc.Message) []frame {
	b.t.Helper()
	b.take()
	b.send(m)
	b.wait(time.Second)
	return b.take()
}

// drive sends m once a second for d, as a master does, and returns what
// came back.
func (b *bench) drive(m twc.MasterHeartbeat, d time.Duration) []frame {
	b.t.Helper()
	b.take()
	for end := time.Now().Add(d); time.Now().Before(end); {
		b.send(m)
		b.wait(time.Second)
	}
	return b.take()
}

func hb(slave twc.ID, cmd twc.Command, amps units.Amps) twc.MasterHeartbeat {
	return twc.MasterHeartbeat{Master: masterID, Slave: slave, Command: cmd, Amps: twc.FromAmps(amps), Protocol: twc.Protocol2}
}

func req(op twc.Code, slave twc.ID) twc.Request { return twc.NewRequest(op, masterID, slave) }

// only keeps the frames whose message is a T.
func only[T twc.Message](fs []frame) []T {
	var out []T
	for _, f := range fs {
		if m, ok := f.msg.(T); ok {
			out = append(out, m)
		}
	}
	return out
}

// replies returns the heartbeat replies from id.
func replies(fs []frame, id twc.ID) []twc.SlaveHeartbeat {
	var out []twc.SlaveHeartbeat
	for _, h := range only[twc.SlaveHeartbeat](fs) {
		if h.Slave == id {
			out = append(out, h)
		}
	}
	return out
}

func lastHB(t *testing.T, hbs []twc.SlaveHeartbeat) twc.SlaveHeartbeat {
	t.Helper()
	if len(hbs) == 0 {
		t.Fatal("no heartbeat replies")
	}
	return hbs[len(hbs)-1]
}

func near(got, want, tol float64) bool { return got >= want-tol && got <= want+tol }
