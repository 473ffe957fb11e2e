package teslatest

import (
	"encoding/json"
	"io"
	"net/http"
)

// restCommand reads a REST command's name and body.
func restCommand(r *http.Request) (kind string, amps int, msg string) {
	kind = r.PathValue("name")
	switch kind {
	case "charge_start", "charge_stop":
		return kind, 0, ""
	case "set_charging_amps":
		var body struct {
			Amps *int `json:"charging_amps"`
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, 4096))
		if err != nil || json.Unmarshal(b, &body) != nil || body.Amps == nil {
			return "", 0, "charging_amps missing or not a number"
		}
		return kind, *body.Amps, ""
	}
	return "", 0, "unknown command " + kind
}

// handleREST is the Fleet API's plain command endpoint, which since 2024
// only legacy cars obey.
func (s *Server) handleREST(w http.ResponseWriter, r *http.Request, _ *grant) {
	kind, amps, msg := restCommand(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.carLocked(w, r)
	switch {
	case c == nil:
		return
	case msg != "":
		writeError(w, http.StatusBadRequest, msg)
		return
	case c.Asleep:
		writeError(w, http.StatusRequestTimeout, asleepText)
		return
	case !c.Legacy:
		writeError(w, http.StatusForbidden, "Tesla Vehicle Command Protocol required, please refer to the documentation here: https://developer.tesla.com/docs/fleet-api#2023-10-09-rest-api-vehicle-commands-endpoint-deprecation-warning")
		return
	}
	reason := c.apply(kind, amps)
	s.commands = append(s.commands, Recorded{VIN: c.VIN, Via: "rest", Kind: kind, Amps: amps})
	writeJSON(w, http.StatusOK, map[string]any{"response": map[string]any{"result": reason == "", "reason": reason}})
}

// handleProxyCommand is the proxy's command endpoint: it signs the
// command with its own key, as tesla-http-proxy does, and reports what
// the car said in tesla-http-proxy's shapes.
func (s *Server) handleProxyCommand(w http.ResponseWriter, r *http.Request, _ *grant) {
	if len(r.PathValue("vin")) != 17 {
		writeError(w, http.StatusNotFound, "expected 17-character VIN in path")
		return
	}
	kind, amps, msg := restCommand(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.carLocked(w, r)
	switch {
	case c == nil:
		return
	case msg != "":
		writeError(w, http.StatusBadRequest, msg)
		return
	case c.Asleep:
		writeError(w, http.StatusInternalServerError, asleepText)
		return
	case !c.Legacy && !s.proxyKeyOK:
		writeError(w, http.StatusInternalServerError, "vehicle rejected request: your public key has not been paired with the vehicle")
		return
	}
	reason := c.apply(kind, amps)
	s.commands = append(s.commands, Recorded{VIN: c.VIN, Via: "proxy", Domain: "infotainment", Kind: kind, Amps: amps})
	if reason != "" {
		writeJSON(w, http.StatusOK, map[string]any{
			"response":          map[string]any{"result": false, "reason": "car could not execute command: " + reason},
			"error":             "",
			"error_description": "",
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"response": map[string]any{"result": true, "reason": ""}})
}
