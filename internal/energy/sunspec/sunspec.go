// Package sunspec reads inverters and meters that speak SunSpec over Modbus
// TCP (SMA, Fronius, Kostal, SolarEdge, Huawei and many more): PV power
// from an inverter model (101-103, 111-113) and grid power, with per-phase
// voltages and currents, from a meter model (201-204, 211-214). Where the
// models are is asked of the device (the "SunS" marker at 40000, 0 or
// 50000, then the chain of models) once per connection.
//
// The package also holds the Modbus TCP connection (Conn, Query) and the
// model decoders that other Modbus sources reuse.
package sunspec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "sunspec"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "SunSpec inverter or meter (Modbus TCP)",
		Roles:    []energy.Role{energy.RolePV, energy.RoleGrid},
		Interval: 5 * time.Second,
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source. Unit ids left out (or 0) take the default.
type Params struct {
	// Address is host:port, e.g. 192.168.1.20:502; port 502 if left out.
	Address string `json:"address"`
	// UnitID is the device's Modbus unit id (default 1), where the
	// inverter and meter models are looked for.
	UnitID int `json:"unit_id"`
	// InverterUnitID and MeterUnitID say where the inverter and the meter
	// answer when not on UnitID (SMA, Kostal and Fronius put the meter on
	// a unit id of its own). A unit id given here must hold its model;
	// on UnitID, either model may be missing, but not both.
	InverterUnitID int `json:"inverter_unit_id"`
	MeterUnitID    int `json:"meter_unit_id"`
	// MeterExportPositive is for meters that count export as positive
	// (SolarEdge among others), against SunSpec's import-positive.
	MeterExportPositive bool `json:"meter_export_positive"`
}

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	Address(&c, "address", p.Address, "502")
	c.UnitID("unit_id", p.UnitID)
	c.UnitID("inverter_unit_id", p.InverterUnitID)
	c.UnitID("meter_unit_id", p.MeterUnitID)
	return c.Err()
}

// Address checks a Modbus TCP address in field and returns it with port
// added when it has none.
func Address(c *energy.Checks, field, addr, port string) string {
	if addr = WithPort(addr, port); addr == "" {
		c.Required(field, addr, "host:port, e.g. 192.168.1.20:"+port)
	} else {
		c.HostPort(field, addr)
	}
	return addr
}

// WithPort adds port to addr when it has none ("" stays "").
func WithPort(addr, port string) string {
	addr = strings.TrimSpace(addr)
	if _, _, err := net.SplitHostPort(addr); err != nil && addr != "" {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), port) // IPv6 too: [fe80::1] or fe80::1
	}
	return addr
}

// Source reads one SunSpec device.
type Source struct {
	conn                    *Conn
	inverter, meter         uint8
	needInverter, needMeter bool
	exportPositive          bool
}

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	unit := uint8(orDefault(p.UnitID, 1))
	return &Source{
		conn:     NewConn(WithPort(p.Address, "502")),
		inverter: uint8(orDefault(p.InverterUnitID, int(unit))), needInverter: p.InverterUnitID != 0,
		meter: uint8(orDefault(p.MeterUnitID, int(unit))), needMeter: p.MeterUnitID != 0,
		exportPositive: p.MeterExportPositive,
	}, nil
}

// orDefault is v, or def when v is 0.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Close closes the connection kept between reads.
func (s *Source) Close() error { return s.conn.Close() }

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	r, err := Query(ctx, s.conn, s.read)
	if err != nil {
		return energy.Reading{}, fmt.Errorf("%s: %w", Name, err)
	}
	return r, nil
}

func (s *Source) read(ss *Session) (energy.Reading, error) {
	var r energy.Reading
	inv, err := s.find(ss, s.inverter, IsInverter, s.needInverter, "inverter model (101-103, 111-113)")
	if err != nil {
		return r, err
	}
	met, err := s.find(ss, s.meter, IsMeter, s.needMeter, "meter model (201-204, 211-214)")
	if err != nil {
		return r, err
	}
	if inv == nil && met == nil {
		return r, fmt.Errorf("unit id %d has neither an inverter model (101-103, 111-113) nor a meter model (201-204, 211-214); its models are %s", s.inverter, list(cached(ss)[s.inverter]))
	}
	if inv != nil {
		x, err := ReadInverter(ss, s.inverter, inv.Addr)
		if err != nil {
			return r, s.forget(ss, s.inverter, err)
		}
		r.Generation, r.Has.Generation = units.Watts(x.W), true
	}
	if met != nil {
		m, err := ReadMeter(ss, s.meter, met.Addr)
		if err != nil {
			return r, s.forget(ss, s.meter, err)
		}
		SetGrid(&r, m, s.exportPositive)
	}
	return r, nil
}

// SetGrid puts meter m into r as the grid values; exportPositive inverts the
// sign of power and currents for meters that count export as positive.
func SetGrid(r *energy.Reading, m Meter, exportPositive bool) {
	sign := 1.0
	if exportPositive {
		sign = -1
	}
	r.Grid, r.Has.Grid = units.Watts(sign*m.W), true
	if m.Phases {
		for i := range 3 {
			r.PhaseVolts[i], r.PhaseAmps[i] = units.Volts(m.Volts[i]), units.Amps(sign*m.Amps[i])
		}
		r.Has.Phases = true
	}
}

// find returns the first model of unit that is wanted, or nil.
func (s *Source) find(ss *Session, unit uint8, wanted func(uint16) bool, need bool, what string) (*Model, error) {
	models, ok := cached(ss)[unit]
	if !ok {
		var err error
		if models, err = Discover(ss, unit); err != nil {
			return nil, err
		}
		cached(ss)[unit] = models
	}
	for i := range models {
		if wanted(models[i].ID) {
			return &models[i], nil
		}
	}
	if need {
		return nil, fmt.Errorf("unit id %d has no %s; its models are %s", unit, what, list(models))
	}
	return nil, nil
}

// cached is the chain of models found per unit id on this connection.
func cached(ss *Session) map[uint8][]Model {
	m, _ := ss.Cache.(map[uint8][]Model)
	if m == nil {
		m = map[uint8][]Model{}
		ss.Cache = m
	}
	return m
}

// forget drops a unit's models when they no longer are where they were
// found (a firmware update moved them), so the next read looks again.
func (s *Source) forget(ss *Session, unit uint8, err error) error {
	if errors.Is(err, ErrNoModel) {
		delete(cached(ss), unit)
	}
	return err
}

func list(models []Model) string {
	if len(models) == 0 {
		return "none"
	}
	ids := make([]string, len(models))
	for i, m := range models {
		ids[i] = fmt.Sprintf("%d at %d", m.ID, m.Addr)
	}
	return strings.Join(ids, ", ")
}
