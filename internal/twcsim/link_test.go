package twcsim

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/synctest"
)

// The master's reconnect logic depends on an unplugged adapter failing every
// operation with ErrUnplugged until it is plugged in and opened again.
func TestLinkUnplugAndPlug(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := NewLink()
		sim := link.SimPort()
		defer sim.Close()
		port, err := link.Open()
		if err != nil {
			t.Fatalf("Open: %v", err)
		}

		// A read already waiting must be woken by the unplug, not hang.
		readErr := make(chan error, 1)
		go func() {
			_, err := port.Read(make([]byte, 8))
			readErr <- err
		}()
		synctest.Wait()
		link.Unplug()
		if err := <-readErr; !errors.Is(err, ErrUnplugged) {
			t.Errorf("pending Read after Unplug: %v, want ErrUnplugged", err)
		}
		if _, err := port.Read(make([]byte, 8)); !errors.Is(err, ErrUnplugged) {
			t.Errorf("Read after Unplug: %v, want ErrUnplugged", err)
		}
		if _, err := port.Write([]byte{1}); !errors.Is(err, ErrUnplugged) {
			t.Errorf("Write after Unplug: %v, want ErrUnplugged", err)
		}
		if p, err := link.Open(); !errors.Is(err, ErrUnplugged) || p != nil {
			t.Errorf("Open while unplugged: %v, %v; want nil, ErrUnplugged", p, err)
		}
		// Bytes the simulator sends into an unplugged adapter are lost, not queued.
		if _, err := sim.Write([]byte("lost")); err != nil {
			t.Errorf("simulator Write while unplugged: %v", err)
		}

		link.Plug()
		port2, err := link.Open()
		if err != nil {
			t.Fatalf("Open after Plug: %v", err)
		}
		defer port2.Close()
		if _, err := port.Write([]byte{1}); !errors.Is(err, ErrUnplugged) {
			t.Errorf("old port Write after re-plug: %v, want ErrUnplugged", err)
		}
		roundTrip(t, port2, sim)
	})
}

// A second Open replaces the first, as reopening a serial device would: the
// old handle fails, the new one works.
func TestLinkReopenReplacesPort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := NewLink()
		sim := link.SimPort()
		defer sim.Close()
		old, _ := link.Open()
		port, err := link.Open()
		if err != nil {
			t.Fatalf("second Open: %v", err)
		}
		if _, err := old.Read(make([]byte, 1)); !errors.Is(err, ErrUnplugged) {
			t.Errorf("Read on replaced port: %v, want ErrUnplugged", err)
		}
		roundTrip(t, port, sim)
	})
}

// Closing the simulator's end ends its reads, which is how Sim.Run stops
// its reader goroutine.
func TestLinkSimCloseEndsReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := NewLink()
		sim := link.SimPort()
		done := make(chan error, 1)
		go func() {
			_, err := sim.Read(make([]byte, 8))
			done <- err
		}()
		synctest.Wait()
		sim.Close()
		if err := <-done; err != io.EOF {
			t.Errorf("simulator Read after Close: %v, want io.EOF", err)
		}
	})
}

// roundTrip checks bytes cross the link both ways and can be read in pieces.
func roundTrip(t *testing.T, master, sim io.ReadWriter) {
	t.Helper()
	if _, err := master.Write([]byte("to sim")); err != nil {
		t.Fatalf("master Write: %v", err)
	}
	got := make([]byte, 6)
	if _, err := io.ReadFull(sim, got); err != nil || !bytes.Equal(got, []byte("to sim")) {
		t.Errorf("simulator read %q, %v", got, err)
	}
	if _, err := sim.Write([]byte("to master")); err != nil {
		t.Fatalf("simulator Write: %v", err)
	}
	for _, want := range []string{"to ", "master"} {
		buf := make([]byte, len(want))
		if _, err := io.ReadFull(master, buf); err != nil || string(buf) != want {
			t.Errorf("master read %q, %v; want %q", buf, err, want)
		}
	}
}
