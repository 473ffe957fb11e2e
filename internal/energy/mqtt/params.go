package mqtt

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
)

// Params configures the source. Each value has its own topic; a value whose
// topic is empty is not read.
type Params struct {
	// Broker is mqtt://host[:port], mqtts://host[:port] or host:port.
	Broker   string        `json:"broker"`
	Username string        `json:"username,omitempty"`
	Password secret.String `json:"password,omitzero"`
	// ClientID defaults to twcmanager-<random>, so two appliances (or a
	// wizard test beside the running source) never push each other off.
	ClientID string `json:"client_id,omitempty"`

	PVTopic          string `json:"pv_topic,omitempty"`
	PVPath           string `json:"pv_path,omitempty"`
	ConsumptionTopic string `json:"consumption_topic,omitempty"`
	ConsumptionPath  string `json:"consumption_path,omitempty"`
	GridTopic        string `json:"grid_topic,omitempty"`
	GridPath         string `json:"grid_path,omitempty"`
	BatteryTopic     string `json:"battery_topic,omitempty"`
	BatteryPath      string `json:"battery_path,omitempty"`
	BatterySoCTopic  string `json:"battery_soc_topic,omitempty"`
	BatterySoCPath   string `json:"battery_soc_path,omitempty"`

	// Unit of the power values: "W" (default) or "kW".
	Unit string `json:"unit,omitempty"`
	// GridExportPositive is for meters that publish export as positive;
	// the appliance counts import as positive.
	GridExportPositive bool `json:"grid_export_positive,omitempty"`
	// MaxAge is how many seconds a topic may stay silent before its value
	// is an error (default 60).
	MaxAge float64 `json:"max_age,omitempty"`
}

const defaultMaxAge = 60 * time.Second

// topics pairs each value's fields, in the order errors name them.
func (p Params) topics() []struct{ name, topic, path string } {
	return []struct{ name, topic, path string }{
		{"pv", p.PVTopic, p.PVPath},
		{"consumption", p.ConsumptionTopic, p.ConsumptionPath},
		{"grid", p.GridTopic, p.GridPath},
		{"battery", p.BatteryTopic, p.BatteryPath},
		{"battery_soc", p.BatterySoCTopic, p.BatterySoCPath},
	}
}

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	if _, _, ok := parseBroker(p.Broker); !ok {
		c.Fail("broker", redact(p.Broker), "mqtt://host:port, mqtts://host:port or host:port, e.g. mqtt://192.168.1.10:1883 (user name and password go in their own fields)")
	}
	some := false
	for _, v := range p.topics() {
		switch {
		case v.topic != "":
			some = true
			c.Topic(v.name+"_topic", v.topic)
			if v.path != "" {
				c.Path(v.name+"_path", v.path)
			}
		case v.path != "":
			c.Fail(v.name+"_path", v.path, "empty unless "+v.name+"_topic is set")
		}
	}
	if !some {
		c.Fail("grid_topic", "empty", "a topic for at least one of pv_topic, consumption_topic, grid_topic, battery_topic, battery_soc_topic")
	}
	if p.Unit != "" && p.Unit != "W" && p.Unit != "kW" {
		c.Fail("unit", p.Unit, `"W" or "kW"`)
	}
	if p.MaxAge != 0 && (p.MaxAge < 1 || p.MaxAge > 3600) {
		c.Fail("max_age", p.MaxAge, "1 to 3600 seconds")
	}
	if len(p.ClientID) > 128 {
		c.Fail("client_id", p.ClientID, "at most 128 characters")
	}
	return c.Err()
}

// parseBroker returns the address to dial and whether to speak TLS.
func parseBroker(s string) (addr string, useTLS, ok bool) {
	host, port := "", ""
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return "", false, false
		}
		switch u.Scheme {
		case "mqtt":
			port = "1883"
		case "mqtts":
			useTLS, port = true, "8883"
		default:
			return "", false, false
		}
		host = u.Hostname()
		if u.Port() != "" {
			port = u.Port()
		}
	} else {
		var err error
		if host, port, err = net.SplitHostPort(s); err != nil {
			return "", false, false
		}
	}
	n, err := strconv.Atoi(port)
	if host == "" || strings.ContainsAny(host, " /@") || err != nil || n < 1 || n > 65535 {
		return "", false, false
	}
	return net.JoinHostPort(host, port), useTLS, true
}

// redact hides credentials a user typed into the broker address, so that a
// validation error never repeats a password.
func redact(s string) string {
	if i := strings.LastIndex(s, "@"); i >= 0 {
		scheme, _, found := strings.Cut(s[:i], "://")
		if !found {
			scheme = ""
		} else {
			scheme += "://"
		}
		return scheme + "…" + s[i:]
	}
	return s
}
