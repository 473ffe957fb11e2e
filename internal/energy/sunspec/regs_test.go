package sunspec

import (
	"math"

	"github.com/twcmanager/twcmanager/internal/energy/energytest"
)

// Register maps laid out as the SunSpec information model documents them:
// offsets count from a model's ID register (ID at 0, length L at 1).

const notImpl = -0x8000 // 0x8000 as int16: "not implemented" for int16 and sunssf

// chain writes "SunS" at base and the models after it, ended by 0xFFFF 0.
func chain(srv *energytest.ModbusServer, unit uint8, base uint16, models ...[]uint16) {
	regs := []uint16{0x5375, 0x6E53}
	for _, m := range models {
		regs = append(regs, m...)
	}
	srv.SetHolding(unit, base, append(regs, 0xFFFF, 0)...)
}

// common is model 1 (L 66 per the specification; SolarEdge uses 65).
func common(l uint16, manufacturer string) []uint16 {
	m := make([]uint16, 2+l)
	m[0], m[1] = 1, l
	copy(m[2:18], text(manufacturer))
	copy(m[18:34], text("Symo 8.2-3-M"))
	return m
}

func text(s string) []uint16 {
	b := []byte(s + "\x00")
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	out := make([]uint16, len(b)/2)
	for i := range out {
		out[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return out
}

// inverter is model 101-103: W and W_SF at 14 and 15, St at 38; the
// currents, voltages and frequency hold plausible values.
func inverter(id uint16, w, wsf int16, st uint16) []uint16 {
	m := make([]uint16, 52)
	m[0], m[1] = id, 50
	m[2], m[3], m[4], m[5], m[6] = 1360, 453, 454, 453, 0xFFFE // A, AphA-C, A_SF -2
	m[10], m[11], m[12], m[13] = 2305, 2298, 2311, 0xFFFF      // PhVphA-C, V_SF -1
	m[14], m[15] = uint16(w), uint16(wsf)
	m[16], m[17] = 5001, 0xFFFE // Hz 50.01
	m[38] = st
	return m
}

// inverterFloat is model 111-113: W at 22, St at 48.
func inverterFloat(id uint16, w float32, st uint16) []uint16 {
	m := make([]uint16, 62)
	m[0], m[1] = id, 60
	for i := 2; i < 48; i += 2 {
		putFloat(m, i, float32(math.NaN()))
	}
	putFloat(m, 16, 230.5)
	putFloat(m, 22, w)
	m[48] = st
	return m
}

// meter is model 201-204: AphA-C at 3-5 with A_SF at 6, PhVphA-C at 8-10
// with V_SF at 15, W at 18 with W_SF at 22.
func meter(id uint16, w, wsf int16, amps [3]int16, asf int16, volts [3]int16, vsf int16) []uint16 {
	m := make([]uint16, 107)
	m[0], m[1] = id, 105
	for i := range 3 {
		m[3+i], m[8+i] = uint16(amps[i]), uint16(volts[i])
	}
	m[2], m[6], m[15] = uint16(amps[0]+amps[1]+amps[2]), uint16(asf), uint16(vsf)
	m[16], m[17] = 5001, 0xFFFE
	m[18], m[22] = uint16(w), uint16(wsf)
	return m
}

// meterFloat is model 211-214: AphA-C at 4, 6, 8, PhVphA-C at 12, 14, 16,
// W at 28.
func meterFloat(id uint16, w float32, amps, volts [3]float32) []uint16 {
	m := make([]uint16, 126)
	m[0], m[1] = id, 124
	for i := 2; i < 124; i += 2 {
		putFloat(m, i, float32(math.NaN()))
	}
	for i := range 3 {
		putFloat(m, 4+2*i, amps[i])
		putFloat(m, 12+2*i, volts[i])
	}
	putFloat(m, 28, w)
	return m
}

func putFloat(m []uint16, at int, f float32) {
	b := math.Float32bits(f)
	m[at], m[at+1] = uint16(b>>16), uint16(b)
}
