package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// BrokerURL is the broker of m as a URL with scheme and port: a bare host
// gets mqtt:// (mqtts:// with TLS) and the scheme's usual port.
func BrokerURL(m MQTT) (*url.URL, error) {
	raw := strings.TrimSpace(m.Broker)
	if !strings.Contains(raw, "://") {
		scheme := "mqtt"
		if m.TLS {
			scheme = "mqtts"
		}
		raw = scheme + "://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mqtt broker %q: %w", m.Broker, err)
	}
	if m.TLS && (u.Scheme == "mqtt" || u.Scheme == "tcp") {
		u.Scheme = "mqtts"
	}
	ports := map[string]string{"mqtt": "1883", "tcp": "1883", "mqtts": "8883", "ssl": "8883", "tls": "8883", "ws": "80", "wss": "443"}
	port, ok := ports[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("mqtt broker %q: scheme %q is not one of mqtt, mqtts, ws, wss", m.Broker, u.Scheme)
	}
	if u.Hostname() == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("mqtt broker %q: want host or host:port (credentials go in their own fields)", m.Broker)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return u, nil
}
