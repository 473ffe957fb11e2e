package appliance

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brutella/dnssd"
)

// The web interface is found on the local network by its name, with its
// port, as a browser or phone looking for twcmanager.local would.
func TestAnnouncedOverMDNS(t *testing.T) {
	name := "twctest" + strings.ReplaceAll(time.Now().Format("150405.000"), ".", "")
	a, err := New(Config{Demo: true, Settings: DemoSettings(), Listen: "127.0.0.1:0", MDNSName: name})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	lctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	var found dnssd.BrowseEntry
	_ = dnssd.LookupType(lctx, "_http._tcp.local.", func(e dnssd.BrowseEntry) {
		if e.Name == name {
			found = e
			stop()
		}
	}, func(dnssd.BrowseEntry) {})
	if found.Name != name || found.Host != name {
		t.Fatalf("not announced as %s.local: %+v", name, found)
	}
	if want := a.ListenAddr(); !strings.HasSuffix(want, ":"+strconv.Itoa(found.Port)) {
		t.Fatalf("announced port %d, listening on %s", found.Port, want)
	}
}
