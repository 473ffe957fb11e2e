package rs485

import (
	"strings"
	"testing"

	"go.bug.st/serial/enumerator"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		vid, pid  string
		chip      string
		supported bool
		note      string
	}{
		{"0403", "6001", "FTDI", true, ""},
		{"0403", "6010", "FTDI", true, ""},
		{"0403", "6011", "FTDI", true, ""},
		{"0403", "6014", "FTDI", true, ""},
		{"0403", "6015", "FTDI", true, ""},
		{"0403", "abcd", "FTDI", true, ""},
		{"1a86", "7523", "CH340/CH341", true, ""},
		{"1a86", "5523", "CH340/CH341", true, ""},
		{"1a86", "55d4", "CH340/CH341", true, ""},
		{"1a86", "7522", "CH340/CH341", true, ""},
		{"1a86", "e024", "", false, ""},
		{"10c4", "ea60", "CP210x", true, ""},
		{"10c4", "ea70", "CP210x", true, ""},
		{"10c4", "ea71", "CP210x", true, ""},
		{"10c4", "ea63", "CP210x", true, ""},
		{"10c4", "ea61", "CP210x", true, ""},
		{"10c4", "8a2a", "", false, ""},
		{"067b", "2303", "PL2303", false, pl2303Note},
		{"067b", "23a3", "PL2303", false, pl2303Note},
		{"067b", "23c3", "PL2303", false, pl2303Note},
		{"067b", "23d3", "PL2303", false, pl2303Note},
		{"2341", "0043", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.vid+":"+tt.pid, func(t *testing.T) {
			// The enumerator reports IDs upper-case; feed them that way.
			got := classify([]*enumerator.PortDetails{{
				Name: "/dev/ttyUSB0", IsUSB: true,
				VID: strings.ToUpper(tt.vid), PID: strings.ToUpper(tt.pid),
				Product: "RS485 dongle",
			}})
			if len(got) != 1 {
				t.Fatalf("classify returned %d adapters, want 1", len(got))
			}
			want := Adapter{
				Path: "/dev/ttyUSB0", VID: tt.vid, PID: tt.pid, Chip: tt.chip,
				Product: "RS485 dongle", Supported: tt.supported, Note: tt.note,
			}
			if got[0] != want {
				t.Errorf("got  %+v\nwant %+v", got[0], want)
			}
		})
	}
}

func TestClassifyFiltersAndSorts(t *testing.T) {
	got := classify([]*enumerator.PortDetails{
		{Name: "/dev/ttyUSB1", IsUSB: true, VID: "1A86", PID: "7523"},
		{Name: "/dev/ttyS0"},
		nil,
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "0403", PID: "6001"},
	})
	var paths []string
	for _, a := range got {
		paths = append(paths, a.Path)
	}
	if strings.Join(paths, " ") != "/dev/ttyUSB0 /dev/ttyUSB1" {
		t.Errorf("paths = %q, want USB ports only, sorted", paths)
	}
}

func TestAdapterString(t *testing.T) {
	tests := []struct {
		a    Adapter
		want string
	}{
		{Adapter{Path: "/dev/ttyUSB0", VID: "0403", PID: "6001", Chip: "FTDI", Supported: true}, "/dev/ttyUSB0 (FTDI 0403:6001)"},
		{Adapter{Path: "/dev/ttyUSB1", VID: "1a86", PID: "7523", Chip: "CH340/CH341", Supported: true}, "/dev/ttyUSB1 (CH340/CH341 1a86:7523)"},
		{Adapter{Path: "/dev/ttyUSB2", VID: "067b", PID: "2303", Chip: "PL2303", Note: pl2303Note}, "/dev/ttyUSB2 (PL2303 067b:2303, unsupported)"},
		{Adapter{Path: "/dev/ttyACM0", VID: "2341", PID: "0043"}, "/dev/ttyACM0 (2341:0043, unsupported)"},
		{Adapter{Path: "/dev/ttyS0"}, "/dev/ttyS0"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestPick(t *testing.T) {
	ftdi := Adapter{Path: "/dev/ttyUSB1", VID: "0403", PID: "6001", Chip: "FTDI", Supported: true}
	ch340 := Adapter{Path: "/dev/ttyUSB2", VID: "1a86", PID: "7523", Chip: "CH340/CH341", Supported: true}
	pl := Adapter{Path: "/dev/ttyUSB0", VID: "067b", PID: "2303", Chip: "PL2303", Note: pl2303Note}
	unknown := Adapter{Path: "/dev/ttyACM0", VID: "2341", PID: "0043"}

	if got, err := pick([]Adapter{unknown, pl, ftdi, ch340}); err != nil || got != ftdi {
		t.Errorf("pick = %v, %v; want first supported %v", got, err, ftdi)
	}

	errTests := []struct {
		name     string
		adapters []Adapter
		want     string
	}{
		{"pl2303", []Adapter{unknown, pl}, pl2303Note},
		{"unknown only", []Adapter{unknown}, "no supported USB–RS485 adapter found (found /dev/ttyACM0 (2341:0043, unsupported))"},
		{"none", nil, "no USB–RS485 adapter found; plug one in"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pick(tt.adapters)
			if err == nil {
				t.Fatal("pick succeeded, want error")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "rs485: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
}
