//go:build linux

package history

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/store"
)

// smallDisk mounts a 512 KiB tmpfs: a real disk that really fills up.
func smallDisk(t *testing.T) string {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=512k"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot mount a small tmpfs to fill up (%v); CI runs as root and must be able to", err)
		}
		t.Skipf("needs root to mount a small tmpfs to fill up: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill takes every free byte of the disk at dir.
func fill(t *testing.T, dir string) string {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatal(err)
		}
	}
}

// A full disk is reported in words, the recorder keeps going, and history
// resumes once space is freed.
func TestFullDisk(t *testing.T) {
	dir := smallDisk(t)
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := New(st)
	filler := fill(t, dir)

	var batch []Sample
	for i := range 2000 {
		batch = append(batch, Sample{At: day.Add(time.Duration(i) * time.Minute), Charger: 1000})
	}
	if err := db.AddSamples(batch); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("AddSamples on a full disk: %v", err)
	}

	r := NewRecorder(RecorderConfig{DB: db, Tick: 20 * time.Millisecond, FlushEvery: 50 * time.Millisecond,
		Chargers: func() []ChargerView { return []ChargerView{{ID: 1, CarPresent: true, Actual: 16, Watts: 3680}} }})
	r.pending = batch // as if the disk filled while these waited
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	waitUntil(t, "the problem reported", func() bool { return strings.Contains(r.Status().Problem, "disk is full") })

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "recovery", func() bool { st := r.Status(); return st.Problem == "" && st.Pending < len(batch) })
	if ss, _ := db.Samples(time.Time{}, day.AddDate(1, 0, 0)); len(ss) == 0 {
		t.Fatal("no samples written after space was freed")
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
