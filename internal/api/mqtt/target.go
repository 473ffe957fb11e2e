package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/secret"
)

// The default prefixes, as in config.Defaults, for settings saved without.
const (
	defaultPrefix          = "TWC"
	defaultDiscoveryPrefix = "homeassistant"
)

// target is the connection the settings ask for, resolved: the broker's
// URL with scheme and port, the password, the TLS configuration's inputs.
type target struct {
	enabled         bool
	url             *url.URL // nil when the settings do not give a usable one
	username        string
	password        secret.String
	caCert          string
	insecure        bool
	prefix          string
	discovery       bool
	discoveryPrefix string
	// problem is why these settings cannot connect; empty when they can.
	problem string
}

// target reads the settings and the password. ok is false when the
// password cannot be read: the running connection is then left alone.
func (s *Service) target() (target, bool) {
	m := s.b.Settings().MQTT
	t := target{
		enabled: m.Enabled, username: m.Username, caCert: m.CACert, insecure: m.Insecure,
		prefix: m.Prefix, discovery: m.Discovery, discoveryPrefix: m.DiscoveryPrefix,
	}
	if t.prefix == "" {
		t.prefix = defaultPrefix
	}
	if t.discoveryPrefix == "" {
		t.discoveryPrefix = defaultDiscoveryPrefix
	}
	if !m.Enabled {
		return t, true
	}
	pw, err := s.b.Secret(config.MQTTPasswordSecret)
	if err != nil {
		s.mu.Lock()
		if err.Error() != s.lastSecret {
			s.lastSecret = err.Error()
			s.log.Error("mqtt: cannot read the MQTT password; keeping the connection as it is", "err", err)
		}
		s.mu.Unlock()
		return t, false
	}
	t.password = pw
	u, err := config.BrokerURL(m)
	switch {
	case err != nil:
		t.problem = fmt.Sprintf("The MQTT broker address %q is not valid (%v); enter host, host:port or a mqtt://, mqtts://, ws:// or wss:// URL in the MQTT settings.", m.Broker, err)
	default:
		t.url = u
		if _, err := t.tlsConfig(); err != nil {
			t.problem = "The CA certificate in the MQTT settings could not be read; paste the broker's CA certificate in PEM form, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----."
		}
	}
	return t, true
}

// usable reports whether t asks for a connection that can be tried.
func (t target) usable() bool { return t.enabled && t.problem == "" && t.url != nil }

// same reports whether a and b ask for the same connection, so that the
// running one can stay.
func (t target) same(o target) bool {
	return t.enabled == o.enabled && t.display() == o.display() && t.username == o.username &&
		t.password.Reveal() == o.password.Reveal() && t.caCert == o.caCert && t.insecure == o.insecure &&
		t.prefix == o.prefix && t.discovery == o.discovery && t.discoveryPrefix == o.discoveryPrefix &&
		t.problem == o.problem
}

// sameBroker reports whether o reaches the broker t reaches, as the same
// user: what t published there is then o's to keep or clear.
func (t target) sameBroker(o target) bool {
	return o.usable() && t.display() == o.display() && t.username == o.username
}

// display is the broker's URL for people; it never carries credentials.
func (t target) display() string {
	if t.url == nil {
		return ""
	}
	return t.url.String()
}

// secure reports whether the connection uses TLS.
func (t target) secure() bool {
	return t.url != nil && (t.url.Scheme == "mqtts" || t.url.Scheme == "wss" || t.url.Scheme == "ssl" || t.url.Scheme == "tls")
}

// tlsConfig is the TLS configuration for the broker: the system's
// certificate authorities, or the one pasted into the settings.
func (t target) tlsConfig() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.insecure} //nolint:gosec // the user chose it for a broker with a self-made certificate
	if strings.TrimSpace(t.caCert) != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(t.caCert)) {
			return nil, errors.New("mqtt: CA certificate: no PEM certificate found")
		}
		c.RootCAs = pool
	}
	return c, nil
}
