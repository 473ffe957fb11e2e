package energytest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// mosquittoMissing says how to get the broker; CI must not skip silently.
const mosquittoMissing = "mosquitto not installed; scripts/test.sh installs it (apt-get install -y mosquitto)"

// Broker is a real mosquitto broker run for one test on 127.0.0.1. Tests
// use it rather than a fake so that retained messages, reconnects and
// refused logins behave exactly as they do on a user's network.
type Broker struct {
	t          testing.TB
	bin, dir   string
	port       int
	user, pass string

	mu     sync.Mutex // guards cmd and exited
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartMosquitto starts an anonymous broker and stops it when the test ends.
// Without mosquitto the test is skipped, or fails when CI=true.
func StartMosquitto(t testing.TB) *Broker {
	return startMosquitto(t, "", "")
}

// StartMosquittoAuth starts a broker that only admits user with password.
func StartMosquittoAuth(t testing.TB, user, password string) *Broker {
	return startMosquitto(t, user, password)
}

func startMosquitto(t testing.TB, user, password string) *Broker {
	t.Helper()
	b := &Broker{t: t, bin: findMosquitto(t), dir: t.TempDir(), port: freePort(t), user: user, pass: password}
	conf := fmt.Sprintf("listener %d 127.0.0.1\npersistence false\nallow_anonymous %t\n", b.port, user == "")
	if os.Geteuid() == 0 {
		// As root mosquitto would switch to its own user, which cannot read
		// the test's temporary directory.
		conf += "user root\n"
	}
	if user != "" {
		passwd := filepath.Join(b.dir, "passwd")
		tool, err := exec.LookPath("mosquitto_passwd")
		if err != nil {
			missing(t, "mosquitto_passwd not installed; scripts/test.sh installs it (apt-get install -y mosquitto)")
		}
		if out, err := exec.Command(tool, "-c", "-b", passwd, user, password).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v: %s", err, out)
		}
		conf += "password_file " + passwd + "\n"
	}
	if err := os.WriteFile(filepath.Join(b.dir, "mosquitto.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Start()
	t.Cleanup(b.Stop)
	return b
}

func findMosquitto(t testing.TB) string {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto" // Debian installs it outside a user's PATH
	}
	missing(t, mosquittoMissing)
	return ""
}

func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr is host:port.
func (b *Broker) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)) }

// URL is mqtt://host:port.
func (b *Broker) URL() string { return "mqtt://" + b.Addr() }

// Start runs the broker (again, on the same port) and waits until it
// accepts connections. Call it from the test's goroutine.
func (b *Broker) Start() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return
	}
	logf, err := os.OpenFile(filepath.Join(b.dir, "mosquitto.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.t.Fatal(err)
	}
	defer logf.Close() // the child holds its own copy
	cmd := exec.Command(b.bin, "-c", filepath.Join(b.dir, "mosquitto.conf"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("start mosquitto: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	b.cmd, b.exited = cmd, exited
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.Addr(), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			b.cmd = nil
			b.t.Fatalf("mosquitto exited at start: %s", b.log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("mosquitto does not accept connections on %s: %s", b.Addr(), b.log())
		}
	}
}

// Stop kills the broker, as a crash or power cut would, and waits for it to
// exit. Stopping a stopped broker does nothing.
func (b *Broker) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Kill()
	<-b.exited
	b.cmd = nil
}

func (b *Broker) log() string {
	out, _ := os.ReadFile(filepath.Join(b.dir, "mosquitto.log"))
	return string(out)
}

var pubID atomic.Int64

// Publish sends payload to topic at QoS 1 and returns once the broker has
// acknowledged it, so a following Publish cannot overtake it. Call it from
// the test's goroutine: it fails the test on error.
func (b *Broker) Publish(topic, payload string, retain bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", b.Addr())
	if err != nil {
		b.t.Fatalf("publish %s: %v", topic, err)
	}
	cli := paho.NewClient(paho.ClientConfig{Conn: conn})
	cp := &paho.Connect{ClientID: fmt.Sprintf("energytest-pub-%d", pubID.Add(1)), CleanStart: true, KeepAlive: 30}
	if b.user != "" {
		cp.Username, cp.UsernameFlag = b.user, true
		cp.Password, cp.PasswordFlag = []byte(b.pass), true
	}
	if _, err := cli.Connect(ctx, cp); err != nil {
		b.t.Fatalf("publish %s: connect: %v", topic, err)
	}
	defer func() { _ = cli.Disconnect(&paho.Disconnect{}) }()
	if _, err := cli.Publish(ctx, &paho.Publish{Topic: topic, Payload: []byte(payload), QoS: 1, Retain: retain}); err != nil {
		b.t.Fatalf("publish %s: %v", topic, err)
	}
}
