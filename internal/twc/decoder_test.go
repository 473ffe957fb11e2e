package twc

import (
	"errors"
	"testing"
	"time"
)

func feedAll(d *Decoder, now time.Time, b []byte) (bodies int, errs []error) {
	for _, x := range b {
		body, err := d.Feed(now, x)
		if body != nil {
			bodies++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return
}

func TestDecoderDropsPartialFrameAfterTwoSeconds(t *testing.T) {
	var d Decoder
	t0 := time.Unix(1000, 0)
	wire, _ := Encode(SlaveLinkReady{Slave: 0x1839, Sign: 0x52, MaxAmps: 3200, Protocol: Protocol2})
	feedAll(&d, t0, wire[:10])
	if d.Idle() {
		t.Fatal("decoder idle mid-frame")
	}
	if err := d.Expire(t0.Add(PartialTimeout)); err != nil {
		t.Fatal("expired at exactly the limit")
	}
	// The rest arrives too late: the partial is dropped, the tail is stray.
	n, errs := feedAll(&d, t0.Add(PartialTimeout+time.Millisecond), wire[10:])
	if n != 0 || len(errs) == 0 || !errors.Is(errs[0], ErrTimeout) || d.Stats.Timeouts != 1 {
		t.Fatalf("bodies %d errs %v stats %+v", n, errs, d.Stats)
	}
	// A whole frame afterwards decodes again.
	if n, _ := feedAll(&d, t0.Add(3*time.Second), wire); n != 1 {
		t.Fatalf("decoder did not recover: stats %+v", d.Stats)
	}
}

func TestDecoderCountsEachCorruption(t *testing.T) {
	good, _ := Encode(SlaveHeartbeat{Slave: 1, Master: 2, State: StateCharging, MaxAmps: 1600, ActualAmps: 1500, Protocol: Protocol2})

	badSum := append([]byte(nil), good...)
	badSum[8] ^= 0x01
	badEsc := append([]byte(nil), good...)
	badEsc[5] = Esc // DB followed by an ordinary byte
	long := []byte{End}
	for range 60 {
		long = append(long, 0x11)
	}

	var d Decoder
	var stream []byte
	for _, part := range [][]byte{badSum, badEsc, long, good} {
		stream = append(stream, part...)
	}
	n, errs := feedAll(&d, time.Time{}, stream)
	if n != 1 {
		t.Fatalf("good frame not delivered after corruption: %d bodies, %v", n, errs)
	}
	if d.Stats.Checksum != 1 || d.Stats.Escape != 1 || d.Stats.Overruns != 1 {
		t.Fatalf("stats %+v", d.Stats)
	}
	if d.Stats.Errors() != 3 {
		t.Fatalf("Errors() = %d", d.Stats.Errors())
	}
}

func TestEncoderRefusesDangerousCodes(t *testing.T) {
	for _, payload := range [][]byte{
		{0xFC, 0x19, 0x77, 0x77, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0},
		{0xFC, 0x1A, 0x77, 0x77, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0},
		{0xFB, 0xE8, 0x77, 0x77, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0},
	} {
		out, err := AppendFramed(nil, payload)
		if !errors.Is(err, ErrDangerous) || len(out) != 0 {
			t.Errorf("% X encoded to % X, err %v", payload[:2], out, err)
		}
		if _, err := Encode(Unknown{Body: payload}); !errors.Is(err, ErrDangerous) {
			t.Errorf("Encode(Unknown % X) err = %v", payload[:2], err)
		}
		if _, err := Encode(Request{Op: CodeOf(payload), Master: 1, Slave: 2}); !errors.Is(err, ErrDangerous) {
			t.Errorf("Encode(Request % X) err = %v", payload[:2], err)
		}
	}
	_, err := AppendFramed(nil, []byte{0xFC, 0x19})
	if err == nil || err.Error() == ErrDangerous.Error() {
		t.Fatalf("error %q does not name the danger", err)
	}
}

func TestParseRejectsMalformedKnownCodes(t *testing.T) {
	cases := map[string][]byte{
		"link-ready with junk padding": withChecksum(hx(t, "FD E2 18 39 52 0C 80 00 01 00 00 00 00 00 00 00")),
		"heartbeat of 20 bytes":        withChecksum(hx(t, "FD E0 12 34 77 77 01 0F A0 0F A0 00 00 00 00 00 00 00 00 00")),
		"meter of 14 bytes":            withChecksum(hx(t, "FD EB 12 34 00 00 03 9C 00 F4 00 F0 00 00")),
	}
	for name, body := range cases {
		if m, err := Parse(body); err == nil {
			t.Errorf("%s: parsed as %#v", name, m)
		}
	}
	if _, err := Parse(hx(t, "FD E0 12")); !errors.Is(err, ErrShort) {
		t.Errorf("short body err = %v", err)
	}
	if _, err := Parse(hx(t, "FC 1D 00 00 00 00 00 00 00 00 00 00 00 1E")); !errors.Is(err, ErrChecksum) {
		t.Errorf("bad checksum err = %v", err)
	}
	m, err := Parse(withChecksum(hx(t, "FB A4 77 77 12 34 00 00 00 00 00 00 00 00 00 00 00 00 00 00")))
	if err != nil || m.Code() != 0xFBA4 {
		t.Errorf("unknown FB A4 = %#v, %v", m, err)
	}
}

func TestVIN(t *testing.T) {
	split := func(vin string) (p [3]VINPart) {
		copy(p[0].Chars[:], vin[0:7])
		p[1].Part = 1
		copy(p[1].Chars[:], vin[7:14])
		p[2].Part = 2
		copy(p[2].Chars[:], vin[14:17])
		return
	}
	// Published examples with known check digits (an X and a digit).
	for _, vin := range []string{"1M8GDM9AXKP042788", "11111111111111111", "1HGCM82633A004352"} {
		got, err := AssembleVIN(split(vin))
		if err != nil || got != vin {
			t.Errorf("AssembleVIN(%s) = %q, %v", vin, got, err)
		}
	}
	if _, err := AssembleVIN(split("1M8GDM9A1KP042788")); !errors.Is(err, ErrBadVIN) {
		t.Errorf("wrong check digit accepted: %v", err)
	}
	if _, err := AssembleVIN(split("1M8GDM9AXKP04278O")); !errors.Is(err, ErrBadVIN) {
		t.Errorf("letter O accepted: %v", err)
	}
	if _, err := AssembleVIN([3]VINPart{{}, {Part: 1}, {Part: 2}}); !errors.Is(err, ErrNoVIN) {
		t.Errorf("all-zero VIN: %v", err)
	}
	if VINQueryCode(0) != CodeVIN1Query || VINQueryCode(2) != CodeVIN3Query {
		t.Errorf("VINQueryCode = %s %s", VINQueryCode(0), VINQueryCode(2))
	}
}
