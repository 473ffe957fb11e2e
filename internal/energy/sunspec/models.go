package sunspec

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Model is one block of a device's SunSpec chain.
type Model struct {
	ID   uint16
	Addr uint16 // address of the model's ID register
	Len  uint16 // registers after the ID and length registers
}

// Bases are where devices put the "SunS" marker, the usual place first.
var Bases = []uint16{40000, 0, 50000}

// maxModels bounds the chain walk on a device that never ends its chain.
const maxModels = 100

// Discover finds unit's SunSpec marker and walks its chain of models.
func Discover(s *Session, unit uint8) ([]Model, error) {
	var other []string // what the bases held instead
	var answer error   // an exception from one of the bases
	for _, base := range Bases {
		r, err := s.Read(unit, base, 2)
		switch {
		case err == nil && r[0] == 0x5375 && r[1] == 0x6E53: // "SunS"
			return walk(s, unit, base)
		case err == nil:
			other = append(other, fmt.Sprintf("%d holds 0x%04X 0x%04X", base, r[0], r[1]))
		case !IsException(err):
			return nil, fmt.Errorf("look for the SunS marker at %d: %w", base, err)
		default:
			answer = err
		}
	}
	msg := fmt.Sprintf("no SunSpec device at %s unit id %d (no SunS marker at 40000, 0 or 50000", s.Addr(), unit)
	if len(other) > 0 {
		msg += "; " + strings.Join(other, ", ")
	}
	switch {
	case answer != nil && len(other) > 0:
		msg += fmt.Sprintf("; elsewhere the device answered %v", answer)
	case answer != nil:
		msg += fmt.Sprintf("; the device answered %v", answer)
		if WrongUnit(answer) { // the unit id is likely wrong only if no base answered
			msg += fmt.Sprintf("; is unit id %d right?", unit)
		}
	}
	return nil, errors.New(msg + ")")
}

func walk(s *Session, unit uint8, base uint16) ([]Model, error) {
	var models []Model
	for addr := uint32(base) + 2; len(models) < maxModels && addr+2 <= 0x10000; {
		h, err := s.Read(unit, uint16(addr), 2)
		if err != nil {
			// Some devices end the chain without the end marker: the
			// address after the last model just is not there.
			if IsException(err) && len(models) > 0 {
				break
			}
			return nil, fmt.Errorf("read SunSpec model header at %d: %w", addr, err)
		}
		if h[0] == 0xFFFF || h[0] == 0 { // end marker; 0 on devices that pad
			break
		}
		models = append(models, Model{ID: h[0], Addr: uint16(addr), Len: h[1]})
		addr += 2 + uint32(h[1])
	}
	if len(models) == 0 {
		return nil, fmt.Errorf("SunS marker at %d on unit id %d, but no models follow it", base, unit)
	}
	return models, nil
}

// IsInverter reports whether id is an inverter model this package decodes:
// 101-103 (single, split and three phase, integer and scale factor) or
// 111-113 (the same in float32).
func IsInverter(id uint16) bool { return id >= 101 && id <= 103 || id >= 111 && id <= 113 }

// IsMeter reports whether id is a meter model this package decodes: 201-204
// (integer and scale factor) or 211-214 (float32).
func IsMeter(id uint16) bool { return id >= 201 && id <= 204 || id >= 211 && id <= 214 }

// ErrNoModel says that an address does not hold the model asked for.
var ErrNoModel = errors.New("no such model")

// Point offsets from a model's ID register (ID at 0, L at 1), as the
// SunSpec information model documents them, and how many registers from
// the ID register on hold every point decoded here.
const (
	invW, invWSF, invSt = 14, 15, 38 // 101-103
	invFW, invFSt       = 22, 48     // 111-113
	invRegs             = 50

	mtrA, mtrASF, mtrV, mtrVSF, mtrW, mtrWSF = 3, 6, 8, 15, 18, 22 // 201-204; phases A-C follow each other
	mtrFA, mtrFV, mtrFW                      = 4, 12, 28           // 211-214; float32, two registers each
	mtrRegs                                  = 30
)

// Inverter is what an inverter model says.
type Inverter struct {
	Model uint16
	W     float64 // AC power, watts
}

// Meter is what a meter model says, in the device's sign (SunSpec: positive
// when importing; some vendors invert it).
type Meter struct {
	Model  uint16
	W      float64 // total real power, watts
	Volts  [3]float64
	Amps   [3]float64
	Phases bool // phase A voltage and current are given; absent phases are 0
}

// ReadInverter reads and decodes the inverter model whose ID register is at
// addr.
func ReadInverter(s *Session, unit uint8, addr uint16) (Inverter, error) {
	r, err := s.Read(unit, addr, invRegs)
	if err != nil {
		return Inverter{}, fmt.Errorf("read inverter model at %d: %w", addr, err)
	}
	return DecodeInverter(addr, r)
}

// DecodeInverter decodes r, read from addr on. An AC power marked "not
// implemented" is an error naming the register, except while the operating
// state (St) says the inverter is off, sleeping or in standby: inverters
// that stop measuring at night report no power then, which is 0 W.
func DecodeInverter(addr uint16, r []uint16) (Inverter, error) {
	if len(r) < invRegs {
		return Inverter{}, fmt.Errorf("inverter model at %d: %d registers given, %d needed", addr, len(r), invRegs)
	}
	inv := Inverter{Model: r[0]}
	if !IsInverter(r[0]) {
		return inv, fmt.Errorf("register %d holds model %d, not an inverter model (101-103, 111-113): %w", addr, r[0], ErrNoModel)
	}
	off, sf, st, ok := invW, invWSF, 0, false
	if r[0] > 110 {
		off, sf, st = invFW, -1, invFSt
		inv.W, ok = float(r, off)
	} else {
		st = invSt
		inv.W, ok = scaled(r, off, sf)
	}
	if err := long(r, addr, st); err != nil {
		return inv, err
	}
	if !ok {
		if s := r[st]; s != 1 && s != 2 && s != 8 { // OFF, SLEEPING, STANDBY
			return inv, fmt.Errorf("inverter model %d at %d: AC power W (register %d) is not available (%s; operating state %d)", r[0], addr, int(addr)+off, raw(r, off, sf), s)
		}
		inv.W = 0
	}
	return inv, nil
}

// ReadMeter reads and decodes the meter model whose ID register is at addr.
func ReadMeter(s *Session, unit uint8, addr uint16) (Meter, error) {
	r, err := s.Read(unit, addr, mtrRegs)
	if err != nil {
		return Meter{}, fmt.Errorf("read meter model at %d: %w", addr, err)
	}
	return DecodeMeter(addr, r)
}

// DecodeMeter decodes r, read from addr on. A total power marked "not
// implemented" is an error naming the register.
func DecodeMeter(addr uint16, r []uint16) (Meter, error) {
	if len(r) < mtrRegs {
		return Meter{}, fmt.Errorf("meter model at %d: %d registers given, %d needed", addr, len(r), mtrRegs)
	}
	m := Meter{Model: r[0]}
	if !IsMeter(r[0]) {
		return m, fmt.Errorf("register %d holds model %d, not a meter model (201-204, 211-214): %w", addr, r[0], ErrNoModel)
	}
	flt := r[0] > 210
	off, sf := mtrW, mtrWSF
	var ok, okV, okA bool
	var va [2][3]float64 // volts, amps
	if flt {
		if err := long(r, addr, mtrFW+1); err != nil {
			return m, err
		}
		off, sf = mtrFW, -1
		m.W, ok = float(r, off)
		for i := range 3 {
			va[0][i], okV = float(r, mtrFV+2*i)
			va[1][i], okA = float(r, mtrFA+2*i)
			m.Phases = m.Phases || i == 0 && okV && okA
		}
	} else {
		if err := long(r, addr, mtrWSF); err != nil {
			return m, err
		}
		m.W, ok = scaled(r, off, mtrWSF)
		for i := range 3 {
			va[0][i], okV = scaled(r, mtrV+i, mtrVSF)
			va[1][i], okA = scaled(r, mtrA+i, mtrASF)
			m.Phases = m.Phases || i == 0 && okV && okA
		}
	}
	if !ok {
		return m, fmt.Errorf("meter model %d at %d: total power W (register %d) is not available (%s)", r[0], addr, int(addr)+off, raw(r, off, sf))
	}
	if m.Phases {
		m.Volts, m.Amps = va[0], va[1] // a phase the meter lacks decodes as 0
	}
	return m, nil
}

// long checks that the model is long enough to hold offset off.
func long(r []uint16, addr uint16, off int) error {
	if int(r[1]) < off-1 {
		return fmt.Errorf("model %d at %d is %d registers long, too short for a model %d", r[0], addr, r[1], r[0])
	}
	return nil
}

// scaled decodes an int16 point and its scale factor. ok is false when
// either holds 0x8000, SunSpec's "not implemented", or the factor is
// outside the -10..10 the specification allows. Negative factors divide,
// so that 2305 with -1 is exactly 230.5.
func scaled(r []uint16, off, sf int) (float64, bool) {
	v, e := int16(r[off]), int16(r[sf])
	if r[off] == 0x8000 || r[sf] == 0x8000 || e < -10 || e > 10 {
		return 0, false
	}
	if e < 0 {
		return float64(v) / math.Pow10(int(-e)), true
	}
	return float64(v) * math.Pow10(int(e)), true
}

// float decodes a float32 point, high word first; NaN (SunSpec's "not
// implemented") and infinities are not values.
func float(r []uint16, off int) (float64, bool) {
	f := float64(math.Float32frombits(uint32(r[off])<<16 | uint32(r[off+1])))
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// raw shows what a point held: a float32 (sf < 0) or a value and its
// scale factor.
func raw(r []uint16, off, sf int) string {
	if sf < 0 {
		return fmt.Sprintf("holds 0x%04X%04X", r[off], r[off+1])
	}
	return fmt.Sprintf("holds 0x%04X, scale factor 0x%04X", r[off], r[sf])
}
