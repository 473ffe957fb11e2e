package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/twcmanager/twcmanager/internal/bus/capture"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/internal/testutil"
	"github.com/twcmanager/twcmanager/internal/twc"
)

const masterID twc.ID = 0x7777

// startRun runs the command in the background and returns the pts path it
// printed. Cancelling ctx must make run return nil on done.
func startRun(t *testing.T, ctx context.Context, args ...string) (path string, done <-chan error, log *testutil.Buffer) {
	t.Helper()
	out, stdout := io.Pipe()
	log = &testutil.Buffer{}
	errc := make(chan error, 1)
	go func() {
		err := run(ctx, args, stdout, log)
		stdout.Close()
		errc <- err
	}()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		io.Copy(io.Discard, out) // run must never block on stdout
	}()
	select {
	case s := <-line:
		if s == "" {
			err := <-errc
			if m, s, perr := pty.Open(); perr != nil {
				t.Skipf("no pseudo-terminals here: %v (run: %v)", perr, err)
			} else {
				m.Close()
				s.Close()
			}
			t.Fatalf("run printed no path: %v; log:\n%s", err, log)
		}
		return strings.TrimSpace(s), errc, log
	case <-time.After(5 * time.Second):
		t.Fatal("run printed no path within 5 s")
	}
	return "", nil, nil
}

// reader decodes frames from port and hands them over a channel.
func reader(port io.Reader) <-chan twc.Message {
	ch := make(chan twc.Message, 64)
	go func() {
		defer close(ch)
		var dec twc.Decoder
		buf := make([]byte, 256)
		for {
			n, err := port.Read(buf)
			for _, b := range buf[:n] {
				body, _ := dec.Feed(time.Now(), b)
				if body == nil {
					continue
				}
				if m, err := twc.Parse(body); err == nil {
					select {
					case ch <- m:
					default: // nobody is waiting any more; do not block the port
					}
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// await returns the first message for which match is true.
func await(t *testing.T, ch <-chan twc.Message, what string, match func(twc.Message) bool) twc.Message {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatalf("port closed while waiting for %s", what)
			}
			if match(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s within 5 s", what)
		}
	}
}

func write(t *testing.T, w io.Writer, frames ...[]byte) {
	t.Helper()
	for _, f := range frames {
		if _, err := w.Write(f); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
}

// The command end to end: twcmanager's start-up burst through a real
// pseudo-terminal gets link-readies, and a heartbeat gets a reply.
func TestRunPTY(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path, done, log := startRun(t, ctx, "-pty", "-chargers", "2")
	if !strings.HasPrefix(path, "/dev/") {
		t.Fatalf("first stdout line %q is not a device path", path)
	}
	port, err := rs485.Open(path)
	if err != nil {
		t.Fatalf("rs485.Open(%q): %v", path, err)
	}
	defer port.Close()
	msgs := reader(port)

	// TWCManager's start-up: five link-ready 1, then five link-ready 2; the
	// second link-ready 2 makes unlinked chargers announce within ~0.2 s.
	var burst [][]byte
	for _, second := range []bool{false, true} {
		for range 5 {
			f, err := twc.Encode(twc.MasterLinkReady{Second: second, Master: masterID, Sign: 0x77})
			if err != nil {
				t.Fatal(err)
			}
			burst = append(burst, f)
		}
	}
	write(t, port, burst...)
	m := await(t, msgs, "FD E2", func(m twc.Message) bool { return m.Code() == twc.CodeSlaveLinkReady })
	lr := m.(twc.SlaveLinkReady)
	if (lr.Slave != 0x1839 && lr.Slave != 0x2019) || lr.MaxAmps != 3200 || lr.Protocol != twc.Protocol2 {
		t.Errorf("link-ready %+v, want charger 1839 or 2019, 32.00 A, protocol 2", lr)
	}

	hb, err := twc.MasterHeartbeat{Master: masterID, Slave: lr.Slave, Command: twc.CmdSetLimit2,
		Amps: 1600, Protocol: twc.Protocol2}.AppendFrame(nil)
	if err != nil {
		t.Fatal(err)
	}
	write(t, port, hb)
	m = await(t, msgs, "FD E0", func(m twc.Message) bool { return m.Code() == twc.CodeSlaveHeartbeat })
	if r := m.(twc.SlaveHeartbeat); r.Slave != lr.Slave || r.Master != masterID || r.MaxAmps != 1600 {
		t.Errorf("heartbeat reply %+v, want from %v to %v with max 16.00 A", r, lr.Slave, masterID)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5 s of cancel")
	}
	for _, want := range []string{"twcsim started", "chargers=1839,2019", "twcsim stopped"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// -port serves an existing device; here the far end of a pty we own.
func TestRunPort(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	// Raw mode before run opens it, so nothing we send early is echoed.
	if p, err := rs485.Open(slave.Name()); err != nil {
		t.Fatalf("rs485.Open: %v", err)
	} else {
		p.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-port", slave.Name(), "-chargers", "1", "-profile", "v1"}, io.Discard, io.Discard)
	}()
	msgs := reader(master)
	// run opens the device at some point after we start it; until then a
	// heartbeat is lost, so repeat it until one is answered.
	hb, err := twc.MasterHeartbeat{Master: masterID, Slave: 0x1839, Command: twc.CmdSetLimit,
		Amps: 1600, Protocol: twc.Protocol1}.AppendFrame(nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			master.Write(hb)
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	m := await(t, msgs, "FD E0", func(m twc.Message) bool { return m.Code() == twc.CodeSlaveHeartbeat })
	if r := m.(twc.SlaveHeartbeat); r.Slave != 0x1839 || r.Protocol != twc.Protocol1 || r.MaxAmps != 1600 {
		t.Errorf("heartbeat reply %+v, want protocol 1 from 1839 with max 16.00 A", r)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the one-line message
	}{
		{[]string{}, "exactly one of -port PATH, -socket PATH or -pty"},
		{[]string{"-pty", "-port", "/dev/null"}, "exactly one of -port PATH, -socket PATH or -pty"},
		{[]string{"-pty", "-socket", "/tmp/s"}, "exactly one of -port PATH, -socket PATH or -pty"},
		{[]string{"-port", "/dev/null", "-socket", "/tmp/s"}, "exactly one of -port PATH, -socket PATH or -pty"},
		{[]string{"-pty", "-profile", "v3"}, `invalid value "v3" for flag -profile: want v1, v2 or 4.5.3`},
		{[]string{"-pty", "-chargers", "4"}, `invalid value "4" for flag -chargers: want 1, 2 or 3`},
		{[]string{"-pty", "-chargers", "0"}, "-chargers: want 1, 2 or 3"},
		{[]string{"-pty", "-max-amps", "40"}, "-max-amps: want 32 or 80"},
		{[]string{"-pty", "-corrupt", "1.5"}, "-corrupt: want a probability from 0 to 1"},
		{[]string{"-pty", "-drop", "x"}, "-drop: want a probability from 0 to 1"},
		{[]string{"-pty", "extra"}, `unexpected argument "extra"`},
		{[]string{"-pty", "-bogus"}, "-bogus"},
		{[]string{"-pty", "-replay", "x.twccap", "-chargers", "2"}, "-chargers cannot be used with -replay"},
		{[]string{"-pty", "-replay", "x.twccap", "-master"}, "-master cannot be used with -replay"},
		{[]string{"-pty", "-speed", "2"}, "-speed needs -replay FILE"},
		{[]string{"-pty", "-delay", "1s"}, "-delay needs -replay FILE"},
		{[]string{"-pty", "-replay", "x.twccap", "-speed", "0"}, "-speed: want a number above 0 and at most 1000"},
		{[]string{"-pty", "-replay", "x.twccap", "-delay", "-1s"}, "-delay: want a duration of 0 or more"},
		{[]string{"-pty", "-master-amps", "20"}, "-master-amps needs -master"},
		{[]string{"-pty", "-master", "-master-amps", "5"}, "-master-amps: want whole amps from 6 to 80"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want one line containing %q", tc.args, err, tc.want)
			continue
		}
		if code := exitCode(err); code != 2 {
			t.Errorf("%q: exit code %d, want 2", tc.args, code)
		}
		if stdout.Len()+stderr.Len() != 0 {
			t.Errorf("%q: wrote %q / %q; main reports the error", tc.args, stdout.String(), stderr.String())
		}
	}
}

func TestExitCodes(t *testing.T) {
	if c := exitCode(nil); c != 0 {
		t.Errorf("nil: %d, want 0", c)
	}
	err := run(context.Background(), []string{"-port", "/nonexistent/tty"}, io.Discard, io.Discard)
	if err == nil || exitCode(err) != 1 {
		t.Errorf("missing device: %v, exit %d; want an error and exit 1", err, exitCode(err))
	}
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, io.Discard, &stderr); err != nil || !strings.Contains(stderr.String(), "-three-phase") {
		t.Errorf("-h: %v, usage %q; want nil and the flag list", err, stderr.String())
	}
}

// Until twcmanager opens the pty nobody drains it; writes must not block the
// simulator once the kernel buffer is full.
func TestPTYWriteDoesNotBlock(t *testing.T) {
	port, _, err := openPort(context.Background(), options{pty: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer port.Close()
	done := make(chan error, 1)
	go func() {
		chunk := make([]byte, 64<<10)
		for range 4 { // more than a pty buffers
			if _, err := port.Write(chunk); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Write: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("writes to an undrained pty blocked")
	}
}

// -socket connects to a unix socket, as to QEMU's -chardev socket,server=on,
// and waits for it when started before the emulator has created it.
func TestRunSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ttyS1.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &testutil.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-socket", path, "-chargers", "1"}, io.Discard, log)
	}()
	// The socket appears only after run has started: it must keep trying.
	time.Sleep(3 * socketRetry)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	var conn net.Conn
	select {
	case conn = <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatalf("run did not connect within 5 s; log:\n%s", log)
	}
	defer conn.Close()

	msgs := reader(conn)
	hb, err := twc.MasterHeartbeat{Master: masterID, Slave: 0x1839, Command: twc.CmdSetLimit2,
		Amps: 1600, Protocol: twc.Protocol2}.AppendFrame(nil)
	if err != nil {
		t.Fatal(err)
	}
	write(t, conn, hb)
	m := await(t, msgs, "FD E0", func(m twc.Message) bool { return m.Code() == twc.CodeSlaveHeartbeat })
	if r := m.(twc.SlaveHeartbeat); r.Slave != 0x1839 || r.Master != masterID || r.MaxAmps != 1600 {
		t.Errorf("heartbeat reply %+v, want from 1839 to %v with max 16.00 A", r, masterID)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5 s of cancel")
	}
	for _, want := range []string{"waiting for socket", "socket connected", "twcsim started", "port=" + path} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// Stopped while the socket never appears, run returns nil promptly; a path
// that is not a socket is an error at once.
func TestSocketWaitAndErrors(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*socketRetry)
	defer cancel()
	start := time.Now()
	if err := run(ctx, []string{"-socket", filepath.Join(dir, "never.sock")}, io.Discard, io.Discard); err != nil {
		t.Errorf("run stopped while waiting: %v, want nil", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("run took %v to stop while waiting for the socket", d)
	}

	err := run(context.Background(), []string{"-socket", dir}, io.Discard, io.Discard) // a directory
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory as socket: %v (exit %d), want an error naming it and exit 1", err, exitCode(err))
	}
}

// -master: a simulated master charger runs the bus, so that a listener on
// the pty (twcmanager in monitor mode) hears heartbeats both ways without
// sending anything.
func TestRunMaster(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path, done, log := startRun(t, ctx, "-pty", "-chargers", "2", "-master", "-master-amps", "20", "-car=false")
	port, err := rs485.Open(path)
	if err != nil {
		t.Fatalf("rs485.Open(%q): %v", path, err)
	}
	defer port.Close()
	msgs := reader(port)
	offered := map[twc.ID]twc.Centiamps{}
	answered := map[twc.ID]bool{}
	await(t, msgs, "heartbeats to and from both chargers", func(m twc.Message) bool {
		switch m := m.(type) {
		case twc.MasterHeartbeat:
			offered[m.Slave] = m.Amps
		case twc.SlaveHeartbeat:
			answered[m.Slave] = m.Master == 0x3D43
		}
		return len(offered) == 2 && answered[0x1839] && answered[0x2019]
	})
	if offered[0x1839] != 1000 || offered[0x2019] != 1000 {
		t.Errorf("offers %v, want 10 A each of 20 A", offered)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	if !strings.Contains(log.String(), "master=true") {
		t.Errorf("log does not say a master is simulated:\n%s", log)
	}
}

// writeCapture writes a capture of a heartbeat and its reply, a second
// apart, and returns its path and the two frames.
func writeCapture(t *testing.T) (string, [][]byte) {
	t.Helper()
	hb, err := twc.Encode(twc.MasterHeartbeat{Master: 0x3D43, Slave: 0x1839, Command: twc.CmdSetLimit2, Amps: 1600, Protocol: twc.Protocol2})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := twc.Encode(twc.SlaveHeartbeat{Slave: 0x1839, Master: 0x3D43, State: twc.StateCharging, MaxAmps: 1600, ActualAmps: 1520, Protocol: twc.Protocol2})
	if err != nil {
		t.Fatal(err)
	}
	c := capture.Capture{Start: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), Length: 2 * time.Second, Records: []capture.Record{
		{At: 0, Dir: capture.Received, Data: hb},
		{At: time.Second, Dir: capture.Received, Data: reply},
	}}
	file, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "case.twccap")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, [][]byte{hb, reply}
}

// -replay plays a capture onto the pty with its timing, -speed times
// faster, and exits when it is done.
func TestRunReplay(t *testing.T) {
	path, _ := writeCapture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pts, done, log := startRun(t, ctx, "-pty", "-replay", path, "-speed", "4", "-delay", "300ms")
	port, err := rs485.Open(pts)
	if err != nil {
		t.Fatalf("rs485.Open(%q): %v", pts, err)
	}
	defer port.Close()
	msgs := reader(port)
	first := await(t, msgs, "the captured heartbeat", func(m twc.Message) bool { return m.Code() == twc.CodeMasterHeartbeat })
	at := time.Now()
	second := await(t, msgs, "the captured reply", func(m twc.Message) bool { return m.Code() == twc.CodeSlaveHeartbeat })
	if gap := time.Since(at); gap < 200*time.Millisecond || gap > 600*time.Millisecond {
		t.Errorf("frames %v apart; recorded 1 s apart, replayed 4× faster", gap)
	}
	if hb := first.(twc.MasterHeartbeat); hb.Amps != 1600 || second.(twc.SlaveHeartbeat).ActualAmps != 1520 {
		t.Errorf("replayed %+v and %+v", first, second)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not end after the replay")
	}
	for _, want := range []string{"twcsim replaying", "records=2", "speed=4", "replay finished"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// A truncated or foreign capture is refused before anything is opened, with
// the offset where it stops making sense.
func TestReplayBadCapture(t *testing.T) {
	good, _ := writeCapture(t)
	file, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"truncated.twccap": {file[:30], "offset 30: the file ends inside a record's data (7 of 18 bytes): it was cut short"},
		"photo.jpg":        {[]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, "offset 0: not a twcmanager bus capture: it starts with FF D8 FF E0 00 10"},
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		err := run(context.Background(), []string{"-pty", "-replay", path}, io.Discard, io.Discard)
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "-replay: "+path+": capture: "+c.want) {
			t.Errorf("%s: %v (exit %d), want %q", name, err, exitCode(err), c.want)
		}
	}
}
