package rs485

import (
	"os"
	"path/filepath"
	"strings"
)

// usbDevicesDir is where the kernel lists USB devices, bound to a driver or
// not. A variable so tests can point it at a fake tree.
var usbDevicesDir = "/sys/bus/usb/devices"

// driverlessPL2303 reports whether a Prolific PL2303 is plugged in. Without a
// driver it never becomes a serial port, so Detect cannot see it; without this
// check the user would only hear that no adapter was found.
func driverlessPL2303() bool {
	vendors, _ := filepath.Glob(filepath.Join(usbDevicesDir, "*", "idVendor"))
	for _, f := range vendors {
		b, err := os.ReadFile(f)
		if err == nil && strings.TrimSpace(string(b)) == "067b" {
			return true
		}
	}
	return false
}
