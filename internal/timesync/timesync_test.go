package timesync

import (
	"context"
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ntpServer is a tiny NTP responder: it answers every request with its own
// time shifted by skew, as a server whose clock is ahead of ours would.
func ntpServer(t *testing.T, skew time.Duration) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 48)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 {
				continue
			}
			now := time.Now().Add(skew)
			resp := make([]byte, 48)
			resp[0] = 0<<6 | 4<<3 | 4 // no leap warning, version 4, server mode
			resp[1] = 2               // stratum
			resp[2] = buf[2]
			resp[3] = 0xEC // precision
			copy(resp[12:16], "LOCL")
			putTime(resp[16:], now.Add(-time.Minute)) // reference time
			copy(resp[24:32], buf[40:48])             // originate = client's transmit
			putTime(resp[32:], now)                   // receive
			putTime(resp[40:], now)                   // transmit
			binary.BigEndian.PutUint32(resp[4:], 1<<10)
			binary.BigEndian.PutUint32(resp[8:], 1<<10)
			_, _ = pc.WriteTo(resp, addr)
		}
	}()
	return pc.LocalAddr().String()
}

func putTime(b []byte, t time.Time) {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	binary.BigEndian.PutUint32(b, uint32(secs))
	binary.BigEndian.PutUint32(b[4:], uint32(frac))
}

// deadUDP is an address where nothing answers.
func deadUDP(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func run(t *testing.T, s *Syncer) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}

func waitState(t *testing.T, s *Syncer, what string, ok func(State) bool) State {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st := s.State(); ok(st) {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s: %+v", what, s.State())
	return State{}
}

// Sync against a local server: the offset is reported, the system clock
// would be set by it, and the good time is saved for the next boot.
func TestSyncSetsClockAndReportsOffset(t *testing.T) {
	srv := ntpServer(t, 3*time.Second)
	var mu sync.Mutex
	var set []time.Time
	file := filepath.Join(t.TempDir(), "clock")
	s := New(Config{Servers: func() []string { return []string{srv} }, SetSystem: true, StateFile: file,
		set: func(t time.Time) error { mu.Lock(); set = append(set, t); mu.Unlock(); return nil }})
	stop := run(t, s)
	st := waitState(t, s, "sync", func(st State) bool { return st.Synced })
	stop()
	if (st.Offset-3*time.Second).Abs() > 300*time.Millisecond || st.Server != srv || st.Problem != "" || !s.Good() {
		t.Fatalf("state %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(set) != 1 || set[0].Sub(time.Now()) < 2*time.Second {
		t.Fatalf("system clock set to %v", set)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.HasPrefix(string(b), "20") {
		t.Fatalf("saved time %q, %v", b, err)
	}
}

// Unreachable servers are reported in words; the state can be read at any
// moment meanwhile; a later server in the list still works; and a host that
// does not manage its clock is trusted all along.
func TestUnreachableServersDoNotBlock(t *testing.T) {
	dead := deadUDP(t)
	s := New(Config{Servers: func() []string { return []string{dead} }, SetSystem: true, Timeout: 300 * time.Millisecond, Retry: 50 * time.Millisecond,
		set: func(time.Time) error { return nil }})
	stop := run(t, s)
	start := time.Now()
	for range 100 {
		_ = s.State() // never waits for the query in flight
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("reading the state took %v", d)
	}
	st := waitState(t, s, "problem", func(st State) bool { return st.Problem != "" })
	stop()
	if st.Synced || s.Good() || !strings.Contains(st.Problem, "no time server answered") || !strings.Contains(st.Problem, dead) {
		t.Fatalf("state %+v", st)
	}

	good := ntpServer(t, 0)
	s = New(Config{Servers: func() []string { return []string{dead, good} }, SetSystem: true, Timeout: 300 * time.Millisecond,
		set: func(time.Time) error { return nil }})
	stop = run(t, s)
	waitState(t, s, "sync with the second server", func(st State) bool { return st.Synced && st.Server == good })
	stop()

	desktop := New(Config{Servers: func() []string { return nil }})
	if !desktop.Good() {
		t.Fatal("a host that keeps its own clock is not trusted")
	}
}

// A boot behind the last saved time starts at the saved time, not in 1970.
func TestRestoreLastGoodTime(t *testing.T) {
	file := filepath.Join(t.TempDir(), "clock")
	future := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if err := os.WriteFile(file, []byte(future.Format(time.RFC3339)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var got time.Time
	s := New(Config{SetSystem: true, StateFile: file, set: func(t time.Time) error { got = t; return nil }})
	s.restore()
	if !got.Equal(future) || !s.State().Restored.Equal(future) || s.Good() {
		t.Fatalf("restored %v, state %+v", got, s.State())
	}
}
