package energy

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/twcmanager/twcmanager/config"
)

// Checks collects field errors for a source's parameters.
type Checks struct{ errs config.Errors }

// Fail records a field error.
func (c *Checks) Fail(field string, value any, allowed string) {
	c.errs = append(c.errs, &config.FieldError{Field: field, Value: value, Allowed: allowed})
}

// Err returns the collected errors, or nil.
func (c *Checks) Err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

// URL checks an http(s) URL with a host.
func (c *Checks) URL(field, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.Fail(field, s, "an http:// or https:// URL with a host, e.g. http://192.168.1.20")
	}
}

// Host checks a host name or IP address, without a port.
func (c *Checks) Host(field, s string) {
	if s == "" || strings.ContainsAny(s, "/: ") && net.ParseIP(s) == nil {
		c.Fail(field, s, "a host name or IP address, e.g. 192.168.1.20")
	}
}

// HostPort checks host:port.
func (c *Checks) HostPort(field, s string) {
	host, port, err := net.SplitHostPort(s)
	p, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
		c.Fail(field, s, "host:port, e.g. 192.168.1.20:502")
	}
}

// UnitID checks a Modbus unit id.
func (c *Checks) UnitID(field string, id int) {
	if id < 0 || id > 247 {
		c.Fail(field, id, "0 to 247")
	}
}

// Topic checks an MQTT topic to subscribe to (wildcards allowed where MQTT
// allows them).
func (c *Checks) Topic(field, s string) {
	ok := s != "" && len(s) <= 65535 && !strings.ContainsRune(s, 0)
	for i, level := range strings.Split(s, "/") {
		switch {
		case level == "#" && i != strings.Count(s, "/"):
			ok = false
		case strings.Contains(level, "#") && level != "#", strings.Contains(level, "+") && level != "+":
			ok = false
		}
	}
	if !ok {
		c.Fail(field, s, "an MQTT topic such as home/meter/power; + and # only as whole levels, # last")
	}
}

// Path checks a JSON path.
func (c *Checks) Path(field, s string) {
	if _, err := ParsePath(s); err != nil {
		c.Fail(field, s, fmt.Sprintf("a JSON path such as Body.Data.Site.P_PV or meters[0].power (%v)", err))
	}
}

// Required checks that s is not empty.
func (c *Checks) Required(field, s, allowed string) {
	if strings.TrimSpace(s) == "" {
		c.Fail(field, "empty", allowed)
	}
}
