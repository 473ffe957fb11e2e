package teslatest

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	universal "github.com/teslamotors/vehicle-command/pkg/protocol/protobuf/universalmessage"
)

// Car is one fake car: what it tells and how it behaves.
type Car struct {
	VIN  string
	Name string
	// Asleep cars answer 408 until woken.
	Asleep bool
	// SoC and Limit are percent.
	SoC, Limit int
	// Charging is charge_state.charging_state: Charging, Stopped,
	// Complete, Disconnected.
	Charging string
	// Amps is drawn, RequestAmps set, MaxAmps the most it takes.
	Amps, RequestAmps, MaxAmps int
	// ScheduledStart, if set, is when the car's own scheduled charging
	// starts; until then it reports scheduled_charging_pending.
	ScheduledStart time.Time
	// Lat and Lon are reported when HasLocation and the login has the
	// vehicle_location scope.
	Lat, Lon    float64
	HasLocation bool
	// Legacy cars (pre-2021 Model S and X) refuse signed commands with
	// 422 and take plain REST commands instead.
	Legacy bool
}

// Recorded is a command a car received and verified.
type Recorded struct {
	VIN string
	// Via is "signed_command", "rest" (the Fleet API's plain endpoint)
	// or "proxy".
	Via string
	// Domain is the car domain a signed command was addressed to.
	Domain string
	// Auth is how a signed command was authenticated: "hmac" or "gcm".
	Auth string
	// Kind is charge_start, charge_stop or set_charging_amps; Amps goes
	// with set_charging_amps.
	Kind string
	Amps int
}

// car is a Car with the state only the fake sees.
type car struct {
	Car
	id       int64
	wakeAt   time.Time // when a woken car comes online
	enrolled map[string]bool
	domains  map[universal.Domain]*domain
}

// AddCar puts a car on the account. Zero fields get plausible values.
func (s *Server) AddCar(c Car) {
	if c.Name == "" {
		c.Name = "Car " + c.VIN[max(0, len(c.VIN)-4):]
	}
	if c.Limit == 0 {
		c.Limit = 80
	}
	if c.MaxAmps == 0 {
		c.MaxAmps = 32
	}
	if c.RequestAmps == 0 {
		c.RequestAmps = c.MaxAmps
	}
	if c.Charging == "" {
		c.Charging = "Stopped"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = append(s.order, c.VIN)
	s.cars[c.VIN] = &car{
		Car:      c,
		id:       int64(1000000 + len(s.order)),
		enrolled: make(map[string]bool),
		domains:  make(map[universal.Domain]*domain),
	}
}

// Car returns a car as it is now.
func (s *Server) Car(vin string) Car {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cars[vin]
	if c == nil {
		return Car{}
	}
	s.awakeLocked(c)
	return c.Car
}

// UpdateCar changes a car, for example to put it to sleep.
func (s *Server) UpdateCar(vin string, f func(*Car)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cars[vin]; c != nil {
		f(&c.Car)
		if !c.Asleep {
			c.wakeAt = time.Time{}
		}
	}
}

// Enroll adds an app's public key (PEM, as hosted at the well-known URL)
// to a car, as the user does through the enrolment link.
func (s *Server) Enroll(vin, publicKeyPEM string) error {
	block, _ := pem.Decode([]byte(publicKeyPEM))
	if block == nil {
		return errors.New("teslatest: enrol: not PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return fmt.Errorf("teslatest: enrol: %w", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return errors.New("teslatest: enrol: not an EC key")
	}
	k, err := ec.ECDH()
	if err != nil || k.Curve() != ecdh.P256() {
		return errors.New("teslatest: enrol: not a P-256 key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cars[vin]
	if c == nil {
		return fmt.Errorf("teslatest: enrol: no car %s", vin)
	}
	c.enrolled[hex.EncodeToString(k.Bytes())] = true
	return nil
}

// SetProxyKeyEnrolled says whether the proxy's own key is on the cars;
// it is by default.
func (s *Server) SetProxyKeyEnrolled(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proxyKeyOK = ok
}

// Reboot restarts a car's computers: each domain keeps its key but starts
// a new epoch, so sessions a client cached go stale.
func (s *Server) Reboot(vin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cars[vin]; c != nil {
		for _, d := range c.domains {
			d.reboot()
		}
	}
}

// Commands returns the commands the cars received, oldest first.
func (s *Server) Commands() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// Handshakes counts session-info requests answered.
func (s *Server) Handshakes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handshakes
}

// awakeLocked brings a woken car online once its wake delay is over.
func (s *Server) awakeLocked(c *car) {
	if c.Asleep && !c.wakeAt.IsZero() && !s.clk.Now().Before(c.wakeAt) {
		c.Asleep, c.wakeAt = false, time.Time{}
	}
}

// carLocked finds an API call's car, answering 404 if it has none.
func (s *Server) carLocked(w http.ResponseWriter, r *http.Request) *car {
	c := s.cars[r.PathValue("vin")]
	if c == nil {
		writeError(w, http.StatusNotFound, "not_found")
		return nil
	}
	s.awakeLocked(c)
	return c
}

func (c *car) state() string {
	if c.Asleep {
		return "asleep"
	}
	return "online"
}

// summary is a car as the vehicles list shows it.
func (c *car) summary() map[string]any {
	return map[string]any{
		"id":           c.id,
		"vehicle_id":   c.id + 1,
		"vin":          c.VIN,
		"display_name": c.Name,
		"state":        c.state(),
		"access_type":  "OWNER",
		"in_service":   false,
		"id_s":         fmt.Sprint(c.id),
	}
}

func (s *Server) handleList(w http.ResponseWriter, _ *http.Request, _ *grant) {
	s.mu.Lock()
	list := make([]map[string]any, 0, len(s.order))
	for _, vin := range s.order {
		c := s.cars[vin]
		s.awakeLocked(c)
		list = append(list, c.summary())
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"response":   list,
		"pagination": map[string]any{"previous": nil, "next": nil, "current": 1, "per_page": 100, "count": len(list), "pages": 1},
		"count":      len(list),
	})
}

func (s *Server) handleVehicle(w http.ResponseWriter, r *http.Request, _ *grant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.carLocked(w, r); c != nil {
		writeJSON(w, http.StatusOK, map[string]any{"response": c.summary()})
	}
}

func (s *Server) handleVehicleData(w http.ResponseWriter, r *http.Request, g *grant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.carLocked(w, r)
	if c == nil {
		return
	}
	if c.Asleep {
		writeError(w, http.StatusRequestTimeout, asleepText)
		return
	}
	now := s.clk.Now()
	resp := c.summary()
	endpoints := strings.Split(r.URL.Query().Get("endpoints"), ";")
	all := r.URL.Query().Get("endpoints") == ""
	if all || slices.Contains(endpoints, "charge_state") {
		cs := map[string]any{
			"battery_level":                 c.SoC,
			"usable_battery_level":          c.SoC,
			"charge_limit_soc":              c.Limit,
			"charging_state":                c.Charging,
			"charger_actual_current":        c.Amps,
			"charge_current_request":        c.RequestAmps,
			"charge_current_request_max":    c.MaxAmps,
			"scheduled_charging_mode":       "Off",
			"scheduled_charging_pending":    false,
			"scheduled_charging_start_time": nil,
			"timestamp":                     now.UnixMilli(),
		}
		if !c.ScheduledStart.IsZero() && now.Before(c.ScheduledStart) {
			cs["scheduled_charging_mode"] = "StartAt"
			cs["scheduled_charging_pending"] = true
			cs["scheduled_charging_start_time"] = c.ScheduledStart.Unix()
		}
		resp["charge_state"] = cs
	}
	// Since 2023 the location comes only when asked for, and only with
	// the vehicle_location scope.
	if slices.Contains(endpoints, "location_data") && c.HasLocation && g.hasAny([]string{"vehicle_location"}) {
		resp["drive_state"] = map[string]any{
			"latitude":  c.Lat,
			"longitude": c.Lon,
			"heading":   0,
			"timestamp": now.UnixMilli(),
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"response": resp})
}

func (s *Server) handleWake(w http.ResponseWriter, r *http.Request, _ *grant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.carLocked(w, r)
	if c == nil {
		return
	}
	if c.Asleep && c.wakeAt.IsZero() {
		c.wakeAt = s.clk.Now().Add(s.opts.WakeDelay)
		s.awakeLocked(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"response": c.summary()})
}

// apply carries out a charging command on a car; a non-empty reason is
// the car's refusal, in its own words.
func (c *car) apply(kind string, amps int) (reason string) {
	switch kind {
	case "charge_start":
		switch c.Charging {
		case "Charging", "Starting":
			return "is_charging"
		case "Complete":
			return "complete"
		case "Disconnected":
			return "disconnected"
		}
		c.Charging, c.Amps = "Charging", c.RequestAmps
	case "charge_stop":
		if c.Charging != "Charging" && c.Charging != "Starting" {
			return "not_charging"
		}
		c.Charging, c.Amps = "Stopped", 0
	case "set_charging_amps":
		c.RequestAmps = min(max(amps, 0), c.MaxAmps)
		if c.Charging == "Charging" {
			c.Amps = c.RequestAmps
		}
	default:
		return "unknown command"
	}
	return ""
}
