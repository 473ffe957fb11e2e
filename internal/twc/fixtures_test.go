package twc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// hx turns "FC E1 77" into bytes; tests read like the spec's tables.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// withChecksum replaces the last byte of a body by its checksum: for the
// fixtures whose IDs the spec redacted.
func withChecksum(b []byte) []byte {
	b[len(b)-1] = Checksum(b[:len(b)-1])
	return b
}

// Captured and published frames, spec §5.1: each body decodes to the stated values.
func TestCapturedFixturesDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Message
	}{
		{"F1 master link-ready 1", "FC E1 77 77 77 00 00 00 00 00 00 00 00 46",
			MasterLinkReady{Master: 0x7777, Sign: 0x77}},
		{"F2 master link-ready 2", "FB E2 77 77 77 00 00 00 00 00 00 00 00 47",
			MasterLinkReady{Second: true, Master: 0x7777, Sign: 0x77}},
		{"F3 slave link-ready v2 32 A", "FD E2 18 39 52 0C 80 00 00 00 00 00 00 00 00 11",
			SlaveLinkReady{Slave: 0x1839, Sign: 0x52, MaxAmps: 3200, Protocol: Protocol2}},
		{"F5 master heartbeat no change", "FB E0 77 77 02 BB 00 00 00 00 00 00 00 00 00 8B",
			MasterHeartbeat{Master: 0x7777, Slave: 0x02BB, Command: CmdNone, Protocol: Protocol2}},
		{"F6 v1 slave heartbeat error while drawing", "FD E0 02 2C 77 77 02 00 00 06 96 00 00 9A",
			SlaveHeartbeat{Slave: 0x022C, Master: 0x7777, State: StateError, MaxAmps: 0, ActualAmps: 1686, Protocol: Protocol1}},
		{"F7 master 05 22 A with 9 data bytes", "FB E0 77 77 02 2C 05 08 98 00 00 00 00 00 00 A1",
			MasterHeartbeat{Master: 0x7777, Slave: 0x022C, Command: CmdSetLimit, Amps: 2200, Protocol: Protocol2}},
		{"F8 v2 slave starting", "FD E0 20 19 77 77 08 02 58 02 10 00 00 00 00 7B",
			SlaveHeartbeat{Slave: 0x2019, Master: 0x7777, State: StateStarting, MaxAmps: 600, ActualAmps: 528, Protocol: Protocol2}},
		{"F9 master heartbeat no change", "FB E0 77 77 20 19 00 00 00 00 00 00 00 00 00 07",
			MasterHeartbeat{Master: 0x7777, Slave: 0x2019, Protocol: Protocol2}},
		{"F10a VIN 1 request, 15 bytes", "FB EE 77 77 20 19 00 00 00 00 00 00 00 00 15",
			Request{Op: CodeVIN1Query, Master: 0x7777, Slave: 0x2019, BodyLen: 15}},
		{"F10b VIN 2 request, 15 bytes", "FB EF 77 77 20 19 00 00 00 00 00 00 00 00 16",
			Request{Op: CodeVIN2Query, Master: 0x7777, Slave: 0x2019, BodyLen: 15}},
		{"F10c VIN 3 request, 15 bytes", "FB F1 77 77 20 19 00 00 00 00 00 00 00 00 18",
			Request{Op: CodeVIN3Query, Master: 0x7777, Slave: 0x2019, BodyLen: 15}},
		{"F11 4.5.3 meter three-phase (ID 5656)", "FD EB 56 56 00 00 03 9C 00 F4 00 F0 00 F5 00 00 00 00 00 0F",
			Meter{Slave: 0x5656, KWh: 924, Volts: [3]uint16{244, 240, 245}, Long: true}},
		{"F12 4.5.3 meter single phase (ID 5454)", "FD EB 54 54 00 00 03 4A 00 FA 00 00 00 00 00 00 00 00 00 DA",
			Meter{Slave: 0x5454, KWh: 842, Volts: [3]uint16{250, 0, 0}, Long: true}},
		{"F13 meter with implausible counter", "FD EB 60 61 00 A3 20 EC 00 F1 00 00 00 00 00 00 00 00 00 4C",
			Meter{Slave: 0x6061, KWh: 0x00A320EC, Volts: [3]uint16{241, 0, 0}, Long: true}},
		{"F14 legacy firmware 4.5.3", "FD 1B 04 05 03 00 00 00 00 00 00 00 00 27",
			LegacyFirmware{Version: [3]byte{4, 5, 3}}},
		{"F16 model EVW2T32HL", "FD 1A 45 56 57 32 54 33 32 48 4C FF 00 8A",
			LegacyText{Op: CodeModel, Text: [11]byte{'E', 'V', 'W', '2', 'T', '3', '2', 'H', 'L', 0xFF, 0}}},
		{"F17 extended firmware 4.5.3.2", "FD EC 45 80 04 05 03 02 00 00 00 00 00 00 00 BF",
			Firmware{Slave: 0x4580, Version: [4]byte{4, 5, 3, 2}}},
		{"F18 real master idle", "FC 1D 00 00 00 00 00 00 00 00 00 00 00 1D", Idle{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := hx(t, tc.body)
			got, err := Parse(body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse = %#v\nwant    %#v", got, tc.want)
			}
			if re := Body(got); !bytes.Equal(re, body) {
				t.Fatalf("re-encoded body % X, want % X", re, body)
			}
		})
	}
}

func TestFixtureValuesInDomainUnits(t *testing.T) {
	m, _ := Parse(hx(t, "FD E2 18 39 52 0C 80 00 00 00 00 00 00 00 00 11"))
	if a := m.(SlaveLinkReady).MaxAmps.Amps(); a != 32 {
		t.Errorf("F3 max = %v, want 32 A", a)
	}
	hb, _ := ParseSlaveHeartbeat(hx(t, "FD E0 20 19 77 77 08 02 58 02 10 00 00 00 00 7B"))
	if hb.MaxAmps.Amps() != 6 || hb.ActualAmps.Amps() != 5.28 {
		t.Errorf("F8 = %v / %v, want 6.00 A / 5.28 A", hb.MaxAmps, hb.ActualAmps)
	}
	if s := hb.State.String(); s != "starting to charge" {
		t.Errorf("F8 state = %q", s)
	}
	mt, _ := Parse(hx(t, "FD 1A 45 56 57 32 54 33 32 48 4C FF 00 8A"))
	if s := mt.(LegacyText).String(); s != "EVW2T32HL" {
		t.Errorf("F16 model = %q", s)
	}
	fw, _ := Parse(hx(t, "FD EC 45 80 04 05 03 02 00 00 00 00 00 00 00 BF"))
	if s := fw.(Firmware).String(); s != "4.5.3.2" {
		t.Errorf("F17 = %q", s)
	}
	lf, _ := Parse(hx(t, "FD 1B 04 05 03 00 00 00 00 00 00 00 00 27"))
	if s := lf.(LegacyFirmware).String(); s != "4.5.3" {
		t.Errorf("F14 = %q", s)
	}
}

// F15's last four serial characters (the TWCID) are redacted in the source, so
// its checksum is recomputed for a stand-in ID.
func TestF15LegacySerial(t *testing.T) {
	body := withChecksum(hx(t, "FD 19 41 31 38 47 30 30 30 31 38 33 39 00"))
	m, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if s := m.(LegacyText).String(); s != "A18G0001839" {
		t.Fatalf("F15 serial = %q", s)
	}
}

// The spec's heartbeat-data observations H1–H8, placed in protocol-1 frames.
func TestHeartbeatDataObservations(t *testing.T) {
	slave := func(data string) SlaveHeartbeat {
		b := withChecksum(append(hx(t, "FD E0 12 34 77 77 "+data), 0))
		hb, err := ParseSlaveHeartbeat(b)
		if err != nil {
			t.Fatal(err)
		}
		return hb
	}
	master := func(data string) MasterHeartbeat {
		b := withChecksum(append(hx(t, "FB E0 77 77 12 34 "+data), 0))
		m, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return m.(MasterHeartbeat)
	}
	if s := slave("04 00 00 00 19 00 00"); s.State != StatePluggedReady || s.MaxAmps != 0 || s.ActualAmps != 25 {
		t.Errorf("H1 slave = %+v", s)
	}
	if m := master("05 12 C0 00 00 00 00"); m.Command != CmdSetLimit || m.Amps.Amps() != 48 {
		t.Errorf("H1 master = %+v", m)
	}
	if s := slave("04 12 C0 00 19 00 00"); s.MaxAmps.Amps() != 48 {
		t.Errorf("H2 slave = %+v", s)
	}
	if m := master("08 12 C0 00 00 00 00"); m.Command != CmdAckStop || m.Amps.Amps() != 48 {
		t.Errorf("H3 master = %+v", m)
	}
	if s := slave("00 00 00 00 19 00 00"); s.State != StateReady || s.ActualAmps.Amps() != 0.25 {
		t.Errorf("H5 slave = %+v", s)
	}
	if m := master("02 04 00 00 00 00 00"); m.Command != CmdError || byte(m.Amps>>8) != 0x04 {
		t.Errorf("H6 error bitmap = %+v", m)
	}
	if m := master("05 07 D0 01 00 00 00"); m.Amps.Amps() != 20 || m.MasterCar != 1 {
		t.Errorf("H6 master car = %+v", m)
	}
	if s := slave("03 02 58 00 19 00 00"); s.State != StatePluggedIdle || s.MaxAmps.Amps() != 6 {
		t.Errorf("H7 slave = %+v", s)
	}
	if s := slave("03 00 00 00 19 00 00"); s.State != StatePluggedIdle || s.MaxAmps != 0 {
		t.Errorf("H8 slave = %+v", s)
	}
}

// Derived frames, spec §5.2: D1–D10, E1, E2 encode byte for byte.
func TestDerivedFramesEncode(t *testing.T) {
	const M, S ID = 0x7777, 0x1234
	tests := []struct {
		name string
		msg  Message
		body string
	}{
		{"D1 v2 40 A", MasterHeartbeat{Master: M, Slave: S, Command: CmdSetLimit2, Amps: 4000, Protocol: Protocol2},
			"FB E0 77 77 12 34 09 0F A0 00 00 00 00 00 00 CC"},
		{"D2 v1 40 A", MasterHeartbeat{Master: M, Slave: S, Command: CmdSetLimit, Amps: 4000, Protocol: Protocol1},
			"FB E0 77 77 12 34 05 0F A0 00 00 00 00 C8"},
		{"D3 v1 stop", MasterHeartbeat{Master: M, Slave: S, Command: CmdSetLimit, Protocol: Protocol1},
			"FB E0 77 77 12 34 05 00 00 00 00 00 00 19"},
		{"D4 fake-slave link-ready v2", SlaveLinkReady{Slave: M, Sign: 0x77, MaxAmps: 8000, Protocol: Protocol2},
			"FD E2 77 77 77 1F 40 00 00 00 00 00 00 00 00 A6"},
		{"D4 fake-slave link-ready v1", SlaveLinkReady{Slave: M, Sign: 0x77, MaxAmps: 8000, Protocol: Protocol1},
			"FD E2 77 77 77 1F 40 00 00 00 00 00 00 A6"},
		{"D5 slave charging 40 A", SlaveHeartbeat{Slave: S, Master: M, State: StateCharging, MaxAmps: 4000, ActualAmps: 4000, Protocol: Protocol2},
			"FD E0 12 34 77 77 01 0F A0 0F A0 00 00 00 00 73"},
		{"D6 slave idle 0.25 A", SlaveHeartbeat{Slave: S, Master: M, ActualAmps: 25, Protocol: Protocol2},
			"FD E0 12 34 77 77 00 00 00 00 19 00 00 00 00 2D"},
		{"D7 meter query", NewRequest(CodeMeterQuery, M, S), "FB EB 77 77 12 34 00 00 00 00 00 00 00 00 00 1F"},
		{"D8 firmware query", NewRequest(CodeFirmwareQuery, M, S), "FB EC 77 77 12 34 00 00 00 00 00 00 00 00 00 20"},
		{"D8 serial query", NewRequest(CodeSerialQuery, M, S), "FB ED 77 77 12 34 00 00 00 00 00 00 00 00 00 21"},
		{"D8 plug query", NewRequest(CodePlugQuery, M, S), "FB B4 77 77 12 34 00 00 00 00 00 00 00 00 00 E8"},
		{"D9 start", NewRequest(CodeStartCharging, M, S), "FC B1 77 77 12 34 00 00 00 00 00 00 00 00 00 E5"},
		{"D9 stop", NewRequest(CodeStopCharging, M, S), "FC B2 77 77 12 34 00 00 00 00 00 00 00 00 00 E6"},
		{"D10 legacy firmware query", LegacyQuery{Op: CodeLegacyFirmwareQuery, Protocol: Protocol2},
			"FB 1B 00 00 00 00 00 00 00 00 00 00 00 00 00 1B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := hx(t, tc.body)
			if got := Body(tc.msg); !bytes.Equal(got, want) {
				t.Fatalf("body % X\nwant % X", got, want)
			}
			wire, err := Encode(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if wire[0] != End || wire[len(wire)-1] != End {
				t.Fatalf("wire % X lacks delimiters", wire)
			}
			back, err := Parse(want)
			if err != nil || !reflect.DeepEqual(back, tc.msg) {
				t.Fatalf("Parse(body) = %#v, %v", back, err)
			}
		})
	}
}

func TestEscapingFixtures(t *testing.T) {
	e1 := MasterHeartbeat{Master: 0x7777, Slave: 0xC0DB, Command: CmdSetLimit2, Amps: 0x07C0, Protocol: Protocol2}
	if e1.Amps.Amps() != 19.84 {
		t.Fatalf("E1 amps = %v", e1.Amps)
	}
	if b := Body(e1); !bytes.Equal(b, hx(t, "FB E0 77 77 C0 DB 09 07 C0 00 00 00 00 00 00 39")) {
		t.Fatalf("E1 body % X", b)
	}
	wire, _ := e1.AppendFrame(nil)
	if want := hx(t, "C0 FB E0 77 77 DB DC DB DD 09 07 DB DC 00 00 00 00 00 00 39 C0"); !bytes.Equal(wire, want) {
		t.Fatalf("E1 wire % X\nwant    % X", wire, want)
	}
	e2 := MasterHeartbeat{Master: 0x7777, Slave: 0x1234, Command: CmdSetLimit2, Amps: 700, Protocol: Protocol2}
	wire, _ = e2.AppendFrame(nil)
	if want := hx(t, "C0 FB E0 77 77 12 34 09 02 BC 00 00 00 00 00 00 DB DD C0"); !bytes.Equal(wire, want) {
		t.Fatalf("E2 wire % X\nwant    % X", wire, want)
	}
	// And back: the decoder un-escapes ID, amps and checksum.
	for _, m := range []MasterHeartbeat{e1, e2} {
		w, _ := m.AppendFrame(nil)
		got := Split(w)
		if len(got) != 1 || !bytes.Equal(got[0], Body(m)) {
			t.Fatalf("decode of % X = % X", w, got)
		}
	}
}

const f3 = "FD E2 18 39 52 0C 80 00 00 00 00 00 00 00 00 11"

func TestE3StrayBytesAroundFrame(t *testing.T) {
	var d Decoder
	var got [][]byte
	for _, b := range hx(t, "FE C0 "+f3+" C0 FE") {
		if body, err := d.Feed(time.Time{}, b); err != nil {
			t.Fatalf("unexpected drop: %v", err)
		} else if body != nil {
			got = append(got, bytes.Clone(body))
		}
	}
	if len(got) != 1 || !bytes.Equal(got[0], hx(t, f3)) {
		t.Fatalf("E3 decoded %X, want exactly F3", got)
	}
	if d.Stats.StrayBytes != 2 {
		t.Fatalf("stray bytes = %d, want 2", d.Stats.StrayBytes)
	}
}

func TestE4EarlyDelimiterRestartsFrame(t *testing.T) {
	got := Split(hx(t, "C0 12 34 C0 "+f3+" C0"))
	if len(got) != 1 || !bytes.Equal(got[0], hx(t, f3)) {
		t.Fatalf("E4 decoded %X, want exactly F3", got)
	}
}

func TestF4StrayByteInsideFrameRejected(t *testing.T) {
	var d Decoder
	var errs []error
	for _, b := range hx(t, "C0 "+f3+" FF C0") {
		body, err := d.Feed(time.Time{}, b)
		if body != nil {
			t.Fatalf("F4 accepted: % X", body)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrLength) || d.Stats.Length != 1 {
		t.Fatalf("F4 errors = %v, stats %+v", errs, d.Stats)
	}
}

// F10a–c are TWCManager's 15-byte requests: named by the parser, dropped on the bus.
func TestF10FifteenByteBodiesDroppedOnBus(t *testing.T) {
	wire, err := AppendFramed(nil, hx(t, "FB EE 77 77 20 19 00 00 00 00 00 00 00 00"))
	if err != nil {
		t.Fatal(err)
	}
	if got := Split(wire); len(got) != 0 {
		t.Fatalf("15-byte body accepted on the bus: %X", got)
	}
}

// F5 was captured as both sent and received: an echoing adapter.
func TestF5EchoSuppressed(t *testing.T) {
	body := hx(t, "FB E0 77 77 02 BB 00 00 00 00 00 00 00 00 00 8B")
	var d Decoder
	d.ExpectEcho(body)
	wire, _ := AppendFramed(nil, body[:len(body)-1])
	var last error
	for _, b := range wire {
		if got, err := d.Feed(time.Time{}, b); got != nil {
			t.Fatalf("echo delivered as a frame")
		} else if err != nil {
			last = err
		}
	}
	if !errors.Is(last, ErrEcho) || d.Stats.Echoes != 1 || d.Stats.Errors() != 0 {
		t.Fatalf("err %v, stats %+v", last, d.Stats)
	}
	// By sender ID too: any FB/FC frame from our own ID is ours.
	d = Decoder{OwnID: 0x7777, HasOwnID: true}
	w2, _ := Encode(MasterLinkReady{Master: 0x7777, Sign: 0x77})
	for _, b := range w2 {
		if got, _ := d.Feed(time.Time{}, b); got != nil {
			t.Fatal("own link-ready delivered")
		}
	}
	if d.Stats.Echoes != 1 {
		t.Fatalf("echoes = %d", d.Stats.Echoes)
	}
}
