//go:build linux

package rs485

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// newPTY returns the master side and the slave path of a fresh
// pseudo-terminal. The slave stays open for the test so the master does not
// see a hangup between the slave being closed here and opened by Open.
func newPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() {
		slave.Close()
		master.Close()
	})
	return master, slave.Name()
}

func openPTY(t *testing.T) (*os.File, io.ReadWriteCloser) {
	t.Helper()
	master, path := newPTY(t)
	port, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { port.Close() })
	return master, port
}

// readFull fails the test instead of hanging when data never arrives.
func readFull(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("read: %v", res.err)
		}
		return res.b
	case <-time.After(2 * time.Second):
		t.Fatalf("read of %d bytes timed out", n)
		return nil
	}
}

func TestOpenPTYBothDirections(t *testing.T) {
	master, port := openPTY(t)

	// Bytes a line discipline would mangle (CR, LF, ^C, ^S, 0xC0 framing)
	// prove the port is in raw mode.
	in := []byte{0xC0, 0xFD, 0xE2, 0x0D, 0x0A, 0x03, 0x13, 0x00, 0xFE, 0xC0}
	if _, err := master.Write(in); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, port, len(in)); !bytes.Equal(got, in) {
		t.Errorf("port read %x, want %x", got, in)
	}

	out := []byte{0xC0, 0xFB, 0xE0, 0x77, 0x77, 0x0A, 0x0D, 0x04, 0xC0}
	if _, err := port.Write(out); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, master, len(out)); !bytes.Equal(got, out) {
		t.Errorf("master read %x, want %x", got, out)
	}
}

// The bus master relies on Close to stop its reader goroutine.
func TestCloseUnblocksRead(t *testing.T) {
	_, port := openPTY(t)

	done := make(chan error, 1)
	go func() {
		_, err := port.Read(make([]byte, 16))
		done <- err
	}()
	// Give the reader time to block in select; an early Close would still
	// have to fail the Read, so this only makes the test meaningful.
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Read returned before Close: %v", err)
	default:
	}

	if err := port.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Read after Close returned nil error")
		}
		t.Logf("Read after Close: %v", err)
	case <-time.After(time.Second):
		t.Fatal("Read still blocked 1s after Close")
	}
	if _, err := port.Read(make([]byte, 1)); err == nil {
		t.Error("Read on a closed port returned nil error")
	}
}

// Closing the master is the nearest a test can get to pulling the adapter
// out: the tty stays but the other end is gone.
func TestReadFailsOnHangup(t *testing.T) {
	master, port := openPTY(t)

	done := make(chan error, 1)
	go func() {
		_, err := port.Read(make([]byte, 16))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	master.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Read after hangup returned nil error")
		}
		t.Logf("Read after hangup: %v", err)
	case <-time.After(time.Second):
		t.Fatal("Read still blocked 1s after hangup")
	}
}

func TestOpenMissingPath(t *testing.T) {
	const path = "/dev/does-not-exist"
	_, err := Open(path)
	if err == nil {
		t.Fatalf("Open(%q) succeeded", path)
	}
	msg := err.Error()
	t.Log(msg)
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans several lines: %q", msg)
	}
	if !strings.HasPrefix(msg, "rs485: ") {
		t.Errorf("error %q lacks rs485: prefix", msg)
	}
	if !strings.Contains(msg, `"`+path+`"`) {
		t.Errorf("error %q does not quote the path", msg)
	}
	if !strings.Contains(msg, "adapters found") && !strings.Contains(msg, "no USB serial adapter found") {
		t.Errorf("error %q does not say which adapters exist", msg)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
}

func TestOpenNotATTY(t *testing.T) {
	_, err := Open(os.DevNull)
	if err == nil {
		t.Fatalf("Open(%q) succeeded", os.DevNull)
	}
	t.Log(err)
	if msg := err.Error(); !strings.HasPrefix(msg, "rs485: ") || !strings.Contains(msg, `"/dev/null"`) {
		t.Errorf("error %q lacks prefix or path", msg)
	}
}

func TestOpenerAutoDetectWithoutAdapters(t *testing.T) {
	adapters, err := Detect()
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	if len(adapters) > 0 {
		t.Skipf("USB serial adapters present (%s); this test needs a machine without any", list(adapters))
	}
	port, err := Opener("")()
	if err == nil {
		port.Close()
		t.Fatal("Opener(\"\") succeeded with no adapters")
	}
	t.Log(err)
	if msg := err.Error(); !strings.Contains(msg, "rs485: no USB–RS485 adapter found") || !strings.Contains(msg, "plug one in") {
		t.Errorf("error %q does not tell the user to plug an adapter in", msg)
	}
}

func TestOpenerWithPath(t *testing.T) {
	master, path := newPTY(t)
	open := Opener(path)
	// Twice, because the bus master reopens with the same function.
	for i := range 2 {
		port, err := open()
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		if _, err := port.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if got := readFull(t, master, 1); got[0] != byte(i) {
			t.Errorf("open #%d: master read %x", i+1, got)
		}
		if err := port.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Root ignores file modes, so this only runs for ordinary users, which is
// how the appliance service runs.
func TestOpenPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can open any tty")
	}
	_, path := newPTY(t)
	if err := os.Chmod(path, 0); err != nil {
		t.Skipf("chmod %s: %v", path, err)
	}
	_, err := Open(path)
	if err == nil {
		t.Fatalf("Open(%q) succeeded on a mode 000 tty", path)
	}
	t.Log(err)
	if msg := err.Error(); !strings.HasPrefix(msg, "rs485: permission denied") || !strings.Contains(msg, path) {
		t.Errorf("error %q does not say permission denied for %s", msg, path)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("errors.Is(%v, fs.ErrPermission) = false", err)
	}
}
