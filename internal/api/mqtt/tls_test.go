package mqtt_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
)

// tlsFront is a TLS listener in front of a plain broker, with a
// certificate from a CA of its own, as a home broker behind its own CA
// would have. mosquitto itself is not given the certificate because the
// test broker's configuration is shared with other packages.
type tlsFront struct {
	addr  string
	caPEM string
}

func startTLSFront(t *testing.T, b *energytest.Broker) tlsFront {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test home CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { relay(c, b.Addr()) })
		}
	})
	return tlsFront{addr: l.Addr().String(), caPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))}
}

// relay copies between the TLS client and the broker until either closes.
func relay(c net.Conn, broker string) {
	defer c.Close()
	up, err := net.Dial("tcp", broker)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// A broker with a certificate from the user's own CA is refused until the
// CA is in the settings, or insecure TLS is allowed; TLS to a plain port
// is explained.
func TestTLS(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	front := startTLSFront(t, b)
	r := start(t, b, func(s *config.Settings) { s.MQTT.Broker = "mqtts://" + front.addr })
	waitFor(t, "an untrusted certificate's problem", func() bool {
		p := r.svc.Status().Problem
		return strings.Contains(p, "does not trust") && strings.Contains(p, "CA certificate")
	})

	r.change(t, func(s *config.Settings) { s.MQTT.CACert = front.caPEM })
	waitFor(t, "the connection with the CA", func() bool { return r.svc.Status().Connected })
	w := watch(t, b, "", "", "TWC/status")
	w.waitValue("TWC/status", "online")

	before := r.svc.Status().Since
	r.change(t, func(s *config.Settings) { s.MQTT.CACert, s.MQTT.Insecure = "", true })
	waitFor(t, "the connection without checking", func() bool {
		st := r.svc.Status()
		return st.Connected && st.Since.After(before)
	})

	r.change(t, func(s *config.Settings) { s.MQTT.Broker, s.MQTT.Insecure = "mqtts://"+b.Addr(), false })
	waitFor(t, "TLS to a plain port explained", func() bool {
		return strings.Contains(r.svc.Status().Problem, "may not speak TLS on that port")
	})
}
