package twc

import (
	"fmt"

	"github.com/twcmanager/twcmanager/internal/units"
)

// ID is a charger's two-byte bus address, printed as four hex digits.
type ID uint16

func (id ID) String() string { return fmt.Sprintf("%04X", uint16(id)) }

func (id ID) hi() byte { return byte(id >> 8) }
func (id ID) lo() byte { return byte(id) }

func idAt(b []byte, i int) ID { return ID(b[i])<<8 | ID(b[i+1]) }

// Centiamps is a current as carried on the wire: big-endian uint16 in 0.01 A.
type Centiamps uint16

// Amps converts a wire current to the domain type.
func (c Centiamps) Amps() units.Amps { return units.Amps(float64(c) / 100) }

func (c Centiamps) String() string { return c.Amps().String() }

// FromAmps converts a current to wire units, saturating at the wire's range.
// Negative values become 0.
func FromAmps(a units.Amps) Centiamps {
	v := float64(a) * 100
	switch {
	case v <= 0:
		return 0
	case v >= 0xFFFF:
		return 0xFFFF
	}
	return Centiamps(v + 0.5)
}

func centiampsAt(b []byte, i int) Centiamps { return Centiamps(b[i])<<8 | Centiamps(b[i+1]) }

// Protocol is a charger's protocol generation, recognised by frame length.
type Protocol uint8

const (
	// Protocol1 chargers use 14-byte bodies (7 heartbeat data bytes).
	Protocol1 Protocol = 1
	// Protocol2 chargers use 16-byte bodies (9 heartbeat data bytes).
	Protocol2 Protocol = 2
)

// bodyLen is the canonical body length (payload plus checksum).
func (p Protocol) bodyLen() int {
	if p == Protocol1 {
		return 14
	}
	return 16
}

func protocolOf(bodyLen int) (Protocol, error) {
	switch bodyLen {
	case 14:
		return Protocol1, nil
	case 16:
		return Protocol2, nil
	}
	return 0, fmt.Errorf("%w: %d bytes, want 14 or 16", ErrLength, bodyLen)
}
