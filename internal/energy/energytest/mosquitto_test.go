package energytest

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestMosquittoStopStart(t *testing.T) {
	b := StartMosquitto(t)
	if !strings.HasPrefix(b.URL(), "mqtt://127.0.0.1:") || b.URL() != "mqtt://"+b.Addr() {
		t.Fatalf("URL %s, Addr %s", b.URL(), b.Addr())
	}
	b.Publish("test/a", "1", true)
	b.Stop()
	if c, err := net.DialTimeout("tcp", b.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("stopped broker still accepts connections")
	}
	b.Stop() // a second stop is harmless
	b.Start()
	b.Publish("test/a", "2", false)
}

func TestMosquittoAuth(t *testing.T) {
	b := StartMosquittoAuth(t, "meter", "s3cret")
	b.Publish("test/a", "1", false) // Publish logs in with the broker's user
}
