package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles twcmanager once per test run, so that start-up time is
// measured without the compiler.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "twcmanager")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// `twcmanager -demo` logs both simulated chargers linked and heartbeats
// flowing within 5 s, and exits 0 on SIGTERM.
func TestDemoLinksChargersWithinFiveSeconds(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "-demo", "-data", t.TempDir(), "-listen", "127.0.0.1:0", "-compat-listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	linked, flowing := map[string]bool{}, map[string]bool{}
	deadline := time.After(5 * time.Second)
	var log strings.Builder
	for len(linked) < 2 || len(flowing) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("twcmanager exited early:\n%s", log.String())
			}
			log.WriteString(l + "\n")
			id := field(l, "id")
			switch {
			case strings.Contains(l, `msg="bus: charger linked"`):
				linked[id] = true
			case strings.Contains(l, `msg="bus: heartbeats flowing"`):
				flowing[id] = true
			}
		case <-deadline:
			t.Fatalf("after 5 s: linked %v, heartbeats flowing %v; log:\n%s", linked, flowing, log.String())
		}
	}
	t.Logf("both chargers linked with heartbeats flowing after %v", time.Since(start).Round(time.Millisecond))

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() {
		for l := range lines {
			log.WriteString(l + "\n")
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("twcmanager did not stop within 5 s of SIGTERM")
	}
}

func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// A -port that does not exist fails at once with one line naming the path and
// the adapters found.
func TestMissingPortIsOneLine(t *testing.T) {
	bin := buildBinary(t)
	out, err := exec.Command(bin, "-port", "/dev/ttyUSB-nonexistent", "-data", t.TempDir()).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	text := strings.TrimSpace(string(out))
	if strings.Count(text, "\n") != 0 || !strings.Contains(text, `"/dev/ttyUSB-nonexistent"`) ||
		!(strings.Contains(text, "adapters found") || strings.Contains(text, "no USB serial adapter found")) {
		t.Fatalf("output:\n%s", text)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-charger-limit", "100"},
		{"-shared-limit", "2"},
		{"-amps", "-1"},
		{"-log-format", "xml"},
		{"-demo", "-port", "/dev/ttyUSB0"},
		{"-demo-chargers", "4"},
		{"stray"},
	} {
		var buf bytes.Buffer
		err := run(context.Background(), args, &buf)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("%v: err %v (exit %d)", args, err, exitCode(err))
			continue
		}
		if !strings.Contains(err.Error(), strings.TrimPrefix(args[0], "-")) && args[0] != "-demo" {
			t.Errorf("%v: error %q does not name the flag", args, err)
		}
	}
}

// The in-process demo shuts down cleanly when its context ends.
func TestRunDemoInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var buf bytes.Buffer
	if err := run(ctx, []string{"-demo", "-log-format", "json", "-data", t.TempDir(), "-listen", "127.0.0.1:0", "-compat-listen", "127.0.0.1:0"}, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"msg":"bus: charger linked"`) {
		t.Fatalf("log:\n%s", buf.String())
	}
}

// Settings survive a restart; a flag given on the command line changes them,
// one not given leaves them.
func TestSettingsPersistAndFlagsOverride(t *testing.T) {
	dir := t.TempDir()
	runFor := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var buf bytes.Buffer
		if err := run(ctx, append([]string{"-demo", "-data", dir, "-listen", "", "-compat-listen", ""}, args...), &buf); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	runFor("-amps", "20", "-shared-limit", "40")
	out := runFor()
	if !strings.Contains(out, "mode=now") || !strings.Contains(out, `shared_limit="40.00 A"`) || !strings.Contains(out, "settings loaded") {
		t.Fatalf("second start did not keep the settings:\n%s", out)
	}
	out = runFor("-mode", "solar")
	if !strings.Contains(out, "mode=solar") || !strings.Contains(out, `shared_limit="40.00 A"`) {
		t.Fatalf("-mode did not change only the mode:\n%s", out)
	}
}

// A file at the data path that is not a twcmanager database stops the
// program with a message saying where it is and how to move it aside, and
// the file is left as it was.
func TestForeignDatabaseStops(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "twcmanager.db")
	junk := []byte("this is somebody's spreadsheet, not a database")
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"-demo", "-data", dir, "-listen", "", "-compat-listen", ""}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "mv ") || exitCode(err) != 1 {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, junk) {
		t.Fatal("the foreign file was changed")
	}
}
