package rs485

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"go.bug.st/serial"
)

// mode is what the TWC Gen 2 bus runs at; the chargers do not negotiate.
var mode = serial.Mode{
	BaudRate: 9600,
	DataBits: 8,
	Parity:   serial.NoParity,
	StopBits: serial.OneStopBit,
}

// Open opens path at 9600 baud, 8 data bits, no parity, 1 stop bit.
//
// Close on the returned port unblocks a Read pending in another goroutine,
// and Read fails once the adapter is unplugged, so the caller can reopen.
// A missing path gives a one-line error listing the adapters that do exist;
// it matches fs.ErrNotExist.
func Open(path string) (io.ReadWriteCloser, error) {
	m := mode
	port, err := serial.Open(path, &m)
	if err != nil {
		return nil, openErr(path, err)
	}
	return port, nil
}

// Opener returns a function the bus master calls every time it (re)connects.
// With a path it opens that path. With "" it detects again on every call,
// because a replugged adapter may come back under another name, and opens
// the first supported adapter by path.
func Opener(path string) func() (io.ReadWriteCloser, error) {
	if path != "" {
		return func() (io.ReadWriteCloser, error) { return Open(path) }
	}
	return func() (io.ReadWriteCloser, error) {
		adapters, err := Detect()
		if err != nil {
			return nil, err
		}
		a, err := pick(adapters)
		if err != nil {
			return nil, err
		}
		return Open(a.Path)
	}
}

// openErr turns a serial open failure into something an installer can act
// on from a single log line.
func openErr(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &portError{
			msg:  fmt.Sprintf("rs485: port %q does not exist; %s", path, found()),
			errs: []error{err},
		}
	}
	var pe *serial.PortError
	if errors.As(err, &pe) {
		switch pe.Code() {
		case serial.PermissionDenied:
			// serial drops the EACCES errno, so restore fs.ErrPermission
			// for callers that test for it.
			return &portError{
				msg:  fmt.Sprintf("rs485: permission denied opening %q; run as root or add the service user to the dialout group", path),
				errs: []error{err, fs.ErrPermission},
			}
		case serial.PortBusy:
			return fmt.Errorf("rs485: port %q is busy; another process (ModemManager, a second twcmanager?) holds it open: %w", path, err)
		case serial.InvalidSerialPort:
			return fmt.Errorf("rs485: %q is not a usable serial port: %w", path, err)
		}
	}
	return fmt.Errorf("rs485: open %q: %w", path, err)
}

// found lists the adapters for an error message; a wrong path in the
// config is far more common than a missing adapter, so show what is there.
func found() string {
	adapters, err := Detect()
	switch {
	case err != nil:
		return fmt.Sprintf("could not list adapters: %v", err)
	case len(adapters) == 0:
		return "no USB serial adapter found"
	}
	return "adapters found: " + list(adapters)
}

// portError carries a message written for people while still letting
// errors.Is see the cause; fmt.Errorf would append the cause's own text,
// which is redundant here.
type portError struct {
	msg  string
	errs []error
}

func (e *portError) Error() string   { return e.msg }
func (e *portError) Unwrap() []error { return e.errs }
