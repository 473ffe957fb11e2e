// Package victron reads a Victron GX device (Cerbo GX, Venus GX, CCGX)
// through its Modbus TCP server, which must be enabled (Settings →
// Services → Modbus TCP). The system service, com.victronenergy.system on
// unit id 100, sums up the whole installation: PV, AC loads, grid and
// battery, one register per phase, in watts.
package victron

import (
	"context"
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/sunspec"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "victron"

// DefaultUnit is com.victronenergy.system's unit id (0 maps to it too, but
// many clients cannot use 0, so Victron recommends 100).
const DefaultUnit = 100

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "Victron GX (Modbus TCP)",
		Roles:    []energy.Role{energy.RolePV, energy.RoleConsumption, energy.RoleGrid, energy.RoleBattery},
		Interval: 5 * time.Second,
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source.
type Params struct {
	// Address is host:port, e.g. 192.168.1.40:502; port 502 if left out.
	Address string `json:"address"`
	// UnitID is the system service's unit id (default 100; 0 means default).
	UnitID int `json:"unit_id"`
}

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	sunspec.Address(&c, "address", p.Address, "502")
	c.UnitID("unit_id", p.UnitID)
	return c.Err()
}

// Source reads one GX device.
type Source struct {
	conn *sunspec.Conn
	unit uint8
}

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	s := &Source{conn: sunspec.NewConn(sunspec.WithPort(p.Address, "502")), unit: DefaultUnit}
	if p.UnitID != 0 {
		s.unit = uint8(p.UnitID)
	}
	return s, nil
}

// Close closes the connection kept between reads.
func (s *Source) Close() error { return s.conn.Close() }

// The registers read, from Victron's CCGX Modbus TCP register list. Each
// group is one request, so that an error names the registers it concerns.
var (
	pvAC        = group{"PV on AC output and input", 808, 6} // 808-810 output L1-L3, 811-813 input L1-L3, uint16 W
	consumption = group{"AC consumption", 817, 3}            // L1-L3, uint16 W
	grid        = group{"grid", 820, 3}                      // L1-L3, int16 W, positive = import
	battery     = group{"battery", 842, 2}                   // power int16 W (positive = charging), SoC uint16 %
	pvDC        = group{"DC-coupled PV", 850, 1}             // uint16 W
)

type group struct {
	name  string
	addr  uint16
	count uint16
}

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
	var v [5][]uint16
	for i, g := range []group{pvAC, consumption, grid, battery, pvDC} {
		regs, err := ss.Read(s.unit, g.addr, g.count)
		if err != nil {
			return r, s.explain(g, err)
		}
		v[i] = regs
	}
	r.Generation = sumU(v[0]) + sumU(v[4])
	r.Consumption = sumU(v[1])
	r.Grid = sumS(v[2])
	r.Has.Generation, r.Has.Consumption, r.Has.Grid = true, true, true
	// Victron counts battery power positive while charging; ours is
	// positive while discharging.
	if p := v[3][0]; p != 0x8000 {
		r.Battery, r.Has.Battery = -units.Watts(int16(p)), true
	}
	if soc := v[3][1]; soc != 0xFFFF {
		r.BatterySoC, r.Has.BatterySoC = float64(soc), true
	}
	return r, nil
}

func (s *Source) explain(g group, err error) error {
	regs := fmt.Sprintf("registers %d-%d", g.addr, g.addr+g.count-1)
	if g.count == 1 {
		regs = fmt.Sprintf("register %d", g.addr)
	}
	if sunspec.WrongUnit(err) {
		return fmt.Errorf("read %s (%s): %w; is unit id %d right?", g.name, regs, err, s.unit)
	}
	return fmt.Errorf("read %s (%s): %w", g.name, regs, err)
}

// sumU adds uint16 watts per phase. The GX reads a value it does not have
// (a phase that does not exist, no PV inverter) as 0 (victronenergy/venus
// issue 362); 0xFFFF, the usual Modbus "not available", is taken as 0 as
// well, so that a firmware using it can never show 65 kW of phantom PV.
func sumU(regs []uint16) units.Watts {
	var w units.Watts
	for _, v := range regs {
		if v != 0xFFFF {
			w += units.Watts(v)
		}
	}
	return w
}

// sumS adds int16 watts per phase; 0x8000, the int16 "not available", is 0.
func sumS(regs []uint16) units.Watts {
	var w units.Watts
	for _, v := range regs {
		if v != 0x8000 {
			w += units.Watts(int16(v))
		}
	}
	return w
}
