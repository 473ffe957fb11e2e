// Package rs485 opens and finds the USB–RS485 adapter the bus master talks through.
package rs485

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.bug.st/serial/enumerator"
)

// pl2303Note explains why a PL2303 is refused even though it shows up as a
// serial port on a development machine.
const pl2303Note = "PL2303 adapters have no driver in the appliance kernel; use an FTDI, CH340/CH341 or CP210x adapter"

// Adapter is a serial port found on the machine.
type Adapter struct {
	Path      string // e.g. /dev/ttyUSB0
	VID, PID  string // lower-case hex as the kernel reports them, "" if not USB
	Chip      string // human name: "FTDI", "CH340/CH341", "CP210x", "PL2303", or "" if unknown
	Product   string // product string from USB if known
	Supported bool   // true for FTDI, CH340/CH341/CH9102, CP210x; false for PL2303 and unknown chips
	Note      string // for PL2303: why it cannot be used and what to buy instead; "" otherwise
}

// String names the adapter the way an installer would check it against
// lsusb, e.g. "/dev/ttyUSB0 (FTDI 0403:6001)".
func (a Adapter) String() string {
	if a.VID == "" && a.PID == "" {
		return a.Path
	}
	id := a.VID + ":" + a.PID
	if a.Chip != "" {
		id = a.Chip + " " + id
	}
	if !a.Supported {
		id += ", unsupported"
	}
	return a.Path + " (" + id + ")"
}

// Detect lists USB serial adapters (ports with a USB VID/PID), sorted by path.
func Detect() ([]Adapter, error) {
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("rs485: listing serial ports: %w", err)
	}
	return classify(ports), nil
}

// classify is kept apart from Detect so the chip table can be tested
// without the adapters plugged in.
func classify(ports []*enumerator.PortDetails) []Adapter {
	var out []Adapter
	for _, p := range ports {
		if p == nil || !p.IsUSB {
			continue
		}
		// The enumerator upper-cases IDs; lsusb and sysfs, which users
		// compare against, print them lower-case.
		a := Adapter{
			Path:    p.Name,
			VID:     strings.ToLower(p.VID),
			PID:     strings.ToLower(p.PID),
			Product: p.Product,
		}
		a.Chip, a.Supported = identify(a.VID, a.PID)
		if a.Chip == "PL2303" {
			a.Note = pl2303Note
		}
		out = append(out, a)
	}
	// A stable order makes auto-detection pick the same adapter on every
	// reconnect when several are plugged in.
	slices.SortFunc(out, func(x, y Adapter) int { return strings.Compare(x.Path, y.Path) })
	return out
}

// identify maps lower-case VID:PID to a chip family. Only the PIDs the
// appliance kernel's drivers bind to are listed, because other PIDs under
// the same vendor are often not serial bridges at all. FTDI is the exception:
// ftdi_sio accepts its whole vendor range.
func identify(vid, pid string) (chip string, supported bool) {
	switch vid {
	case "0403":
		return "FTDI", true
	case "1a86":
		switch pid {
		case "7523", "5523", "55d4", "7522":
			return "CH340/CH341", true
		}
	case "10c4":
		switch pid {
		case "ea60", "ea70", "ea71", "ea63", "ea61":
			return "CP210x", true
		}
	case "067b":
		return "PL2303", false
	}
	return "", false
}

// pick chooses the adapter Opener("") uses from a Detect result.
func pick(adapters []Adapter) (Adapter, error) {
	for _, a := range adapters {
		if a.Supported {
			return a, nil
		}
	}
	for _, a := range adapters {
		if a.Note != "" {
			return Adapter{}, fmt.Errorf("rs485: %s cannot be used: %s", a, a.Note)
		}
	}
	if len(adapters) > 0 {
		return Adapter{}, fmt.Errorf("rs485: no supported USB–RS485 adapter found (found %s); plug in an FTDI, CH340/CH341 or CP210x adapter", list(adapters))
	}
	if driverlessPL2303() {
		return Adapter{}, errors.New("rs485: a PL2303 USB adapter is plugged in but cannot be used: " + pl2303Note)
	}
	return Adapter{}, errors.New("rs485: no USB–RS485 adapter found; plug one in (FTDI, CH340/CH341 or CP210x)")
}

func list(adapters []Adapter) string {
	names := make([]string, len(adapters))
	for i, a := range adapters {
		names[i] = a.String()
	}
	return strings.Join(names, ", ")
}
