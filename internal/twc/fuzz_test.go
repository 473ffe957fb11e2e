package twc

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

// FuzzDecoder feeds arbitrary streams, split at arbitrary times. The decoder
// must never panic, every body it yields must be a valid frame, and re-framing
// that body must decode to the same body.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		"FE C0 " + f3 + " C0 FE",
		"C0 12 34 C0 " + f3 + " C0",
		"C0 " + f3 + " FF C0",
		"C0 FB E0 77 77 DB DC DB DD 09 07 DB DC 00 00 00 00 00 00 39 C0",
		"C0 FD EB 60 61 00 A3 20 EC 00 F1 00 00 00 00 00 00 00 00 00 4C C0 FC",
		"C0 DB C0 DB DB DD C0",
	} {
		f.Add(hx(f, s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, stream []byte, gapEvery uint8) {
		var d Decoder
		now := time.Unix(0, 0)
		for i, b := range stream {
			if gapEvery > 0 && i%int(gapEvery) == 0 {
				now = now.Add(time.Duration(b) * 10 * time.Millisecond)
			}
			body, err := d.Feed(now, b)
			if body == nil {
				continue
			}
			if err != nil && !errors.Is(err, ErrTimeout) {
				t.Fatalf("body and non-timeout error together: %v", err)
			}
			if l := len(body); l != 14 && l != 16 && l != 20 {
				t.Fatalf("yielded body of length %d", l)
			}
			if Checksum(body[:len(body)-1]) != body[len(body)-1] {
				t.Fatalf("yielded body with bad checksum % X", body)
			}
			wire, err := AppendFramed(nil, body[:len(body)-1])
			if errors.Is(err, ErrDangerous) {
				continue
			}
			if got := Split(wire); len(got) != 1 || !bytes.Equal(got[0], body) {
				t.Fatalf("re-framed % X decoded to % X", body, got)
			}
		}
	})
}

// FuzzParse hands arbitrary bodies to the parser. Whatever it accepts must
// re-encode to the identical body (encode∘decode is identity), and parsing that
// again gives an equal message.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"FC E1 77 77 77 00 00 00 00 00 00 00 00 46",
		"FD E2 18 39 52 0C 80 00 00 00 00 00 00 00 00 11",
		"FB E0 77 77 02 2C 05 08 98 00 00 00 00 00 00 A1",
		"FD E0 02 2C 77 77 02 00 00 06 96 00 00 9A",
		"FD EB 56 56 00 00 03 9C 00 F4 00 F0 00 F5 00 00 00 00 00 0F",
		"FD 1A 45 56 57 32 54 33 32 48 4C FF 00 8A",
		"FD EC 45 80 04 05 03 02 00 00 00 00 00 00 00 BF",
		"FB EE 77 77 20 19 00 00 00 00 00 00 00 00 15",
		"FC 1D 00 00 00 00 00 00 00 00 00 00 00 1D",
		"FB 1B 00 00 00 00 00 00 00 00 00 00 00 00 00 1B",
	} {
		f.Add(hx(f, s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Parse(body)
		if err != nil {
			if m != nil {
				t.Fatalf("error %v with message %#v", err, m)
			}
			return
		}
		if got := Body(m); !bytes.Equal(got, body) {
			t.Fatalf("Parse(% X) = %#v re-encodes to % X", body, m, got)
		}
		again, err := Parse(Body(m))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("second parse = %#v, %v; first %#v", again, err, m)
		}
		if wire, err := Encode(m); err == nil {
			if got := Split(wire); (len(body) == 14 || len(body) == 16 || len(body) == 20) && (len(got) != 1 || !bytes.Equal(got[0], body)) {
				t.Fatalf("wire % X decoded to % X", wire, got)
			}
		} else if !errors.Is(err, ErrDangerous) {
			t.Fatalf("Encode: %v", err)
		}
	})
}
