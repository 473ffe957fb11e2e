// Package solaredgemodbus reads a SolarEdge inverter through its local
// Modbus TCP server (enabled in SetApp or on the inverter's display; port
// 1502, unit id 1 by default): PV power from the inverter model and grid
// power, with per-phase values, from a SolarEdge energy meter.
//
// SolarEdge documents fixed addresses (SunSpec Implementation technical
// note): the "SunS" marker at 40000, the inverter model (101, 102 or 103)
// at 40069, and up to three meters, each a common block followed by a meter
// model (201-204): meter 1 at 40121/40188, meter 2 at 40295/40362, meter 3
// at 40469/40536. Those addresses are read directly; the decoding is the
// sunspec package's.
package solaredgemodbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/sunspec"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "solaredge-modbus"

// Documented addresses of the inverter model and of each meter model.
const inverterAt = 40069

var meterAt = [3]uint16{40188, 40362, 40536}

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "SolarEdge inverter (local Modbus TCP)",
		Roles:    []energy.Role{energy.RolePV, energy.RoleGrid},
		Interval: 5 * time.Second,
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source.
type Params struct {
	// Address is host:port, e.g. 192.168.1.30:1502; port 1502 if left out.
	Address string `json:"address"`
	// UnitID is the inverter's Modbus unit id (default 1; 0 means default).
	UnitID int `json:"unit_id"`
	// Meter is which SolarEdge meter measures the grid connection: 1
	// (default), 2 or 3, in the order the inverter lists them.
	Meter int `json:"meter"`
}

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	sunspec.Address(&c, "address", p.Address, "1502")
	c.UnitID("unit_id", p.UnitID)
	if p.Meter < 0 || p.Meter > 3 {
		c.Fail("meter", p.Meter, "1, 2 or 3 (0 means 1)")
	}
	return c.Err()
}

// Source reads one SolarEdge inverter.
type Source struct {
	conn  *sunspec.Conn
	unit  uint8
	meter uint16 // address of the meter model
}

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	s := &Source{conn: sunspec.NewConn(sunspec.WithPort(p.Address, "1502")), unit: 1, meter: meterAt[0]}
	if p.UnitID != 0 {
		s.unit = uint8(p.UnitID)
	}
	if p.Meter != 0 {
		s.meter = meterAt[p.Meter-1]
	}
	return s, nil
}

// Close closes the connection kept between reads. SolarEdge inverters
// serve one Modbus TCP client at a time, so a source no longer used should
// be closed.
func (s *Source) Close() error { return s.conn.Close() }

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	r, err := sunspec.Query(ctx, s.conn, s.read)
	if err != nil {
		return energy.Reading{}, fmt.Errorf("%s: %w", Name, err)
	}
	return r, nil
}

func (s *Source) read(ss *sunspec.Session) (energy.Reading, error) {
	var r energy.Reading
	inv, err := sunspec.ReadInverter(ss, s.unit, inverterAt)
	if err != nil {
		if sunspec.WrongUnit(err) {
			err = fmt.Errorf("%w; is unit id %d right, and Modbus TCP enabled in SetApp?", err, s.unit)
		}
		return r, err
	}
	r.Generation, r.Has.Generation = units.Watts(inv.W), true
	m, err := sunspec.ReadMeter(ss, s.unit, s.meter)
	switch {
	case errors.Is(err, sunspec.ErrNoModel) || err != nil && sunspec.IsException(err):
		// No meter installed there: PV only. A site that takes the grid
		// from this source then reports that the grid values are missing.
		return r, nil
	case err != nil:
		return r, err
	}
	// SolarEdge meters count power fed into the grid as positive, the
	// reverse of SunSpec's import-positive. This is vendor behaviour, seen
	// on SolarEdge installations and the reason other integrations (evcc's
	// solaredge templates scale 203:W by -1) invert it too; so do we, for
	// power and per-phase currents alike.
	sunspec.SetGrid(&r, m, true)
	return r, nil
}
