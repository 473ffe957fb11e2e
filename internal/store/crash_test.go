package store_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/store"
)

// crashEnv names the data directory of TestCrashChild.
const crashEnv = "TWC_CRASH_CHILD"

// TestCrashChild is the process TestSurvivesSIGKILL kills: it writes
// sessions and samples until it is killed, and prints each session's ID
// once its start or end has been committed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("runs as the child of TestSurvivesSIGKILL")
	}
	st, err := store.Open(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "child: %v\n", err)
		os.Exit(3)
	}
	h := history.New(st)
	say := func(format string, a ...any) {
		// os.Stdout is not buffered: the line is in the pipe when Fprintf
		// returns.
		if _, err := fmt.Fprintf(os.Stdout, format, a...); err != nil {
			os.Exit(4)
		}
	}
	say("ready\n")
	// Sample minutes go on from the last run's: a minute already written is
	// skipped, so start past them.
	minute := time.Now().Truncate(time.Minute)
	if last, err := h.Samples(minute.Add(-history.KeepSamples), minute.Add(100*24*time.Hour)); err == nil && len(last) > 0 {
		minute = last[len(last)-1].At.Add(time.Minute)
	}
	for i := 0; ; i++ {
		s, err := h.StartSession(history.Session{Charger: 0x1839, Start: minute, VIN: "5YJ3E7EB2LF000001", MeterStartKWh: 1000 + float64(i)})
		if err != nil {
			fmt.Fprintf(os.Stderr, "child: %v\n", err)
			os.Exit(5)
		}
		say("started %d\n", s.ID)
		batch := make([]history.Sample, 10)
		for j := range batch {
			batch[j] = history.Sample{At: minute, Charger: 7360, Generation: 5000, Consumption: 9000, Grid: 4000,
				Has: history.SampleHas{Generation: true, Consumption: true, Grid: true}}
			minute = minute.Add(time.Minute)
		}
		if err := h.AddSamples(batch); err != nil {
			fmt.Fprintf(os.Stderr, "child: %v\n", err)
			os.Exit(6)
		}
		if i%3 == 2 {
			s.MeterEndKWh = s.MeterStartKWh + 7
			if _, err := h.EndSession(s, minute); err != nil {
				fmt.Fprintf(os.Stderr, "child: %v\n", err)
				os.Exit(7)
			}
			say("ended %d\n", s.ID)
		}
	}
}

// TestSurvivesSIGKILL kills a writing process at random moments and checks
// after each kill that the file opens and holds every session whose start
// (or end) had been committed.
func TestSurvivesSIGKILL(t *testing.T) {
	rounds := 50
	if testing.Short() {
		rounds = 10
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // one file for all rounds: it grows
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	var checked, checkedEnded, maxID uint64
	var killedBeforeReady int
	for round := range rounds {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		lines := make(chan []string, 1)
		go func() {
			var got []string
			r := bufio.NewReader(out)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					break // a line without its newline was cut by the kill: not printed
				}
				if line == "ready\n" {
					close(ready)
				}
				got = append(got, strings.TrimSuffix(line, "\n"))
			}
			lines <- got
		}()
		// Most rounds kill it while it writes; every fifth at any moment,
		// opening and migrating included.
		delay := time.Duration(20+rng.IntN(131)) * time.Millisecond
		if round%5 == 0 {
			delay = time.Duration(rng.IntN(150)) * time.Millisecond
		} else {
			select {
			case <-ready:
			case <-time.After(10 * time.Second):
				t.Errorf("round %d: the child did not start: %s", round, stderr.String())
			}
		}
		time.Sleep(delay)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		got := <-lines
		_ = cmd.Wait()
		if len(got) == 0 {
			killedBeforeReady++
		}
		if strings.Contains(stderr.String(), "child:") {
			t.Fatalf("round %d: the child failed: %s", round, stderr.String())
		}

		st, err := store.Open(dir)
		if err != nil {
			t.Fatalf("round %d: after SIGKILL at %v: %v", round, delay, err)
		}
		ss, err := history.New(st).Sessions(time.Time{}, time.Now().Add(1000*24*time.Hour))
		if err != nil {
			st.Close()
			t.Fatalf("round %d: %v", round, err)
		}
		byID := map[uint64]history.Session{}
		for _, s := range ss {
			byID[s.ID] = s
		}
		for _, l := range got {
			what, id, ok := strings.Cut(l, " ")
			n, err := strconv.ParseUint(id, 10, 64)
			if !ok || err != nil || what != "started" && what != "ended" {
				continue // test framework output
			}
			s, found := byID[n]
			switch {
			case !found:
				t.Errorf("round %d: session %d was committed, and is gone", round, n)
			case what == "ended" && s.Open():
				t.Errorf("round %d: session %d ended, and is open again", round, n)
			case what == "ended":
				checkedEnded++
			default:
				checked++
			}
			maxID = max(maxID, n)
		}
		st.Close()
	}
	fi, err := os.Stat(dir + "/" + store.FileName)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rounds: %d committed starts and %d committed ends found after SIGKILL (highest ID %d); %d kills came before the child was ready; file %d bytes",
		rounds, checked, checkedEnded, maxID, killedBeforeReady, fi.Size())
	if checked == 0 {
		t.Error("no session was checked: the child never got to write")
	}
}
