package compat

import (
	"net"
	"net/http"
	"strconv"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
)

// getConfig is a config.json in TWCManager's shape, built from the typed
// settings. It is made key by key, never by copying settings, so nothing
// secret can reach it: no password, token, user name, source parameter or
// URL.
func (s *server) getConfig(w http.ResponseWriter, r *http.Request) {
	set := s.b.Settings()
	api.WriteJSON(w, http.StatusOK, twcConfig(set, listenPort(r)))
}

func twcConfig(set config.Settings, port int) map[string]any {
	wi, el, p := set.Wiring, set.Electrical, set.Policy
	c := map[string]any{
		"wiringMaxAmpsAllTWCs": float64(wi.Shared.Continuous()),
		"wiringMaxAmpsPerTWC":  float64(wi.Charger.Continuous()),
		"minAmpsPerTWC":        float64(wi.MinAmps),
		"defaultVoltage":       float64(el.Volts),
		"numberOfPhases":       el.Phases,
		"greenEnergyFlexAmps":  float64(p.Surplus.FlexAmps),
		"startStopDelay":       int(p.Surplus.StopDelay.Seconds()),
		"subtractChargerLoad":  p.Surplus.MeterIncludesCharger,
		"chargeNowLimit":       limit(p.Limits.Now),
		"scheduledLimit":       limit(p.Limits.Schedule),
		"greenEnergyLimit":     limit(p.Limits.Solar),
		"nonScheduledLimit":    limit(p.Limits.Other),
		"fakeMaster":           1,
	}
	if p.GridImportCap > 0 && el.Volts > 0 && el.Phases > 0 {
		c["maxAmpsAllowedFromGrid"] = round2(float64(p.GridImportCap) / (float64(el.Volts) * float64(el.Phases)))
	}

	mq := map[string]any{"enabled": set.MQTT.Enabled, "topicPrefix": set.MQTT.Prefix}
	// Only host and port: BrokerURL refuses credentials in the address,
	// and the user name and password are not shown at all.
	if u, err := config.BrokerURL(set.MQTT); err == nil && set.MQTT.Broker != "" {
		mq["brokerIP"] = u.Hostname()
		if n, err := strconv.Atoi(u.Port()); err == nil {
			mq["brokerPort"] = n
		}
		mq["brokerTLS"] = u.Scheme == "mqtts" || u.Scheme == "wss"
	}

	sources := map[string]any{}
	for _, src := range set.Sources {
		sources[src.Name] = map[string]any{"enabled": true, "kind": src.Kind, "roles": src.Roles}
	}
	return map[string]any{
		"config":    c,
		"interface": map[string]any{"RS485": map[string]any{"port": set.Bus.Port, "baud": 9600}},
		"control": map[string]any{
			"HTTP": map[string]any{"enabled": true, "listenPort": port},
			"MQTT": mq,
		},
		"policy":  map[string]any{"engine": map[string]any{"policyCheckInterval": int(p.Interval.Seconds())}},
		"sources": sources,
	}
}

// listenPort is the port the request came in on; TWCManager's clients
// expect 8080 there.
func listenPort(r *http.Request) int {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if t, ok := a.(*net.TCPAddr); ok {
			return t.Port
		}
	}
	return 8080
}

// getUUID is the appliance's ID as a decimal number in plain text, like
// Python's uuid.getnode(): the Home Assistant integration keys its entities
// on it.
func (s *server) getUUID(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(strconv.FormatUint(s.b.DeviceID(), 10))) // the client may have gone
}
