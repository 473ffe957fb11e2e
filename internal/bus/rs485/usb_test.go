package rs485

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A PL2303 without a driver is not a serial port, but the user must still be
// told why it does not work.
func TestDriverlessPL2303IsNamed(t *testing.T) {
	dir := t.TempDir()
	for name, vendor := range map[string]string{"1-1": "1d6b", "1-1.2": "067b"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "idVendor"), []byte(vendor+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := usbDevicesDir
	usbDevicesDir = dir
	defer func() { usbDevicesDir = old }()

	_, err := pick(nil)
	if err == nil || !strings.Contains(err.Error(), "PL2303") || !strings.Contains(err.Error(), "FTDI") {
		t.Fatalf("err = %v", err)
	}

	usbDevicesDir = filepath.Join(dir, "none")
	if _, err := pick(nil); err == nil || strings.Contains(err.Error(), "PL2303") {
		t.Fatalf("without a PL2303: %v", err)
	}
}
