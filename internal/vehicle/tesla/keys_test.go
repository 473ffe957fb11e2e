package tesla_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla/teslatest"
)

func TestNewAppKey(t *testing.T) {
	priv, pub, err := tesla.NewAppKey()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(pub))
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("public key is not PKIX PEM: %q", pub)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if ec, ok := k.(*ecdsa.PublicKey); !ok || ec.Curve != elliptic.P256() {
		t.Fatalf("public key %T is not P-256", k)
	}
	again, err := tesla.PublicKeyPEM(priv)
	if err != nil || again != pub {
		t.Errorf("PublicKeyPEM = %q, %v; want the key NewAppKey gave", again, err)
	}
	if !strings.HasPrefix(priv.Reveal(), "-----BEGIN EC PRIVATE KEY-----") || strings.Contains(priv.String(), "PRIVATE") {
		t.Error("the private key is not SEC 1 PEM, or it shows through String")
	}
}

func TestBadAppKeyIsRefusedWithoutShowingIt(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	junk := "-----BEGIN EC PRIVATE KEY-----\nbm90IGEga2V5IGJ1dCBzZWNyZXQ=\n-----END EC PRIVATE KEY-----\n"
	cfg := r.config(tesla.Direct)
	cfg.PrivateKeyPEM = secret.New(junk)
	_, err := tesla.New(cfg)
	if err == nil || strings.Contains(err.Error(), "bm90IGEga2V5") {
		t.Fatalf("New with a broken key: %v", err)
	}
	cfg.PrivateKeyPEM = secret.New("")
	if _, err := tesla.New(cfg); err == nil || !strings.Contains(err.Error(), "Settings → Car") {
		t.Errorf("New without a key: %v", err)
	}
}

func TestKeyURLs(t *testing.T) {
	for _, d := range []string{"appliance.example.org", "https://Appliance.Example.org/", " appliance.example.org "} {
		if got := tesla.EnrollURL(d); got != "https://tesla.com/_ak/appliance.example.org" {
			t.Errorf("EnrollURL(%q) = %q", d, got)
		}
		if got := tesla.PublicKeyURL(d); got != "https://appliance.example.org/.well-known/appspecific/com.tesla.3p.public-key.pem" {
			t.Errorf("PublicKeyURL(%q) = %q", d, got)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	for _, tc := range []struct {
		name string
		mod  func(*tesla.Config)
		want string
	}{
		{"unknown connection", func(c *tesla.Config) { c.Connection = "ble" }, "unknown connection"},
		{"direct without login", func(c *tesla.Config) { c.Tokens = nil }, "log in"},
		{"direct without client ID", func(c *tesla.Config) { c.App.ClientID = "" }, "client ID"},
		{"direct with a bad base", func(c *tesla.Config) { c.App.Endpoints.FleetAPI = "fleet-api" }, "https://"},
		{"no token endpoint", func(c *tesla.Config) { c.App.Endpoints.Token = "" }, "token endpoint"},
		{"proxy without URL", func(c *tesla.Config) { c.Connection, c.ProxyURL = tesla.Proxy, "" }, "proxy URL"},
		{"proxy without token or login", func(c *tesla.Config) { c.Connection, c.ProxyURL, c.Tokens = tesla.Proxy, "https://proxy.lan", nil }, "proxy token"},
		{"proxy with a bad CA", func(c *tesla.Config) {
			c.Connection, c.ProxyURL, c.ProxyCACert, c.HTTPClient = tesla.Proxy, "https://proxy.lan", "not a cert", nil
		}, "CA certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := r.config(tesla.Direct)
			tc.mod(&cfg)
			if _, err := tesla.New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
