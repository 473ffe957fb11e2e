package twcsim

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// vin asks for the three VIN parts, as TWCManager does, and assembles them.
func vin(t *testing.T, b *bench) ([3]twc.VINPart, error) {
	t.Helper()
	var parts [3]twc.VINPart
	for i := range parts {
		fs := b.ask(req(twc.VINQueryCode(i), idA))
		if len(fs) != 1 || len(fs[0].body) != 20 {
			t.Fatalf("VIN part %d: %d frames, want one 20-byte reply", i, len(fs))
		}
		p, ok := fs[0].msg.(twc.VINPart)
		if !ok || p.Part != i || p.Slave != idA {
			t.Fatalf("VIN part %d answered with %x", i, fs[0].body)
		}
		parts[i] = p
	}
	_, err := twc.AssembleVIN(parts)
	return parts, err
}

func TestVIN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(Profile453))
		parts, err := vin(t, b)
		if !errors.Is(err, twc.ErrNoVIN) || parts[0].Chars != [7]byte{} {
			t.Errorf("no car: %v, %q; want all zeros (ErrNoVIN)", err, parts[0].Chars)
		}
		b.sim.Charger(0).PlugIn(teslaCar())
		parts, _ = vin(t, b)
		if got, err := twc.AssembleVIN(parts); err != nil || got != testVIN {
			t.Errorf("VIN %q, %v; want %q", got, err, testVIN)
		}
		if [4]byte(parts[2].Chars[3:]) != [4]byte{} {
			t.Errorf("part 3 carries %q past the VIN's 17th character", parts[2].Chars)
		}
	})
}

func TestFirmwareAndSerial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(Profile453))
		fs := b.ask(req(twc.CodeFirmwareQuery, idA))
		if len(fs) != 1 {
			t.Fatalf("FB EC: %d frames", len(fs))
		}
		if f, ok := fs[0].msg.(twc.Firmware); !ok || f.String() != "4.5.3.2" || f.Slave != idA {
			t.Errorf("FB EC answered %x, want FD EC 4.5.3.2 from %v", fs[0].body, idA)
		}
		fs = b.ask(req(twc.CodeSerialQuery, idA))
		if len(fs) != 1 {
			t.Fatalf("FB ED: %d frames", len(fs))
		}
		// Real serials end in the unit's ID (spec §2.11).
		if s, ok := fs[0].msg.(twc.Serial); !ok || s.String() != "A18G0001839" || len(fs[0].body) != 20 {
			t.Errorf("FB ED answered %x, want serial A18G0001839 in 20 bytes", fs[0].body)
		}
	})
	// Firmware before 4.5.3 knows none of the extended queries.
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(ProfileV2))
		for _, op := range []twc.Code{twc.CodeFirmwareQuery, twc.CodeSerialQuery, twc.CodeVIN1Query, twc.CodeStopCharging} {
			if fs := b.ask(req(op, idA)); len(fs) != 0 {
				t.Errorf("v2 answered %v with %x", op, fs[0].body)
			}
		}
	})
}

// FC B2 opens the relay. In Tesla mode the car sees power vanish and will
// not restart on FC B1 until re-plugged; in legacy mode FC B1 restarts it.
func TestRelayStopStart(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			b := start(t, oneCharger(Profile453))
			c := b.sim.Charger(0)
			car := teslaCar()
			car.LegacyMode = legacy
			c.PlugIn(car)
			charge := func(d time.Duration) twc.SlaveHeartbeat {
				return lastHB(t, replies(b.drive(hb(idA, twc.CmdSetLimit2, 16), d), idA))
			}
			if h := charge(20 * time.Second); h.ActualAmps != 1520 {
				t.Fatalf("legacy=%v: not charging before FC B2: %+v", legacy, h)
			}
			if fs := b.ask(req(twc.CodeStopCharging, idA)); len(fs) != 1 || fs[0].msg != (twc.Ack{Op: twc.CodeStopAck, Slave: idA}) {
				t.Fatalf("legacy=%v: FC B2 answered %v, want FD B2 ack", legacy, fs)
			}
			if h := charge(3 * time.Second); h.ActualAmps != 0 || h.MaxAmps != 1600 {
				t.Errorf("legacy=%v: after FC B2 drawing %v (max %v), want 0 A", legacy, h.ActualAmps, h.MaxAmps)
			}
			if fs := b.ask(req(twc.CodeStartCharging, idA)); len(fs) != 1 || fs[0].msg != (twc.Ack{Op: twc.CodeStartAck, Slave: idA}) {
				t.Fatalf("legacy=%v: FC B1 answered %v, want FD B1 ack", legacy, fs)
			}
			h := charge(25 * time.Second)
			if legacy && h.ActualAmps != 1520 {
				t.Errorf("legacy car after FC B1: %v, want 15.20 A", h.ActualAmps)
			}
			if !legacy && h.ActualAmps != 0 {
				t.Errorf("Tesla-mode car after FC B1: %v, want 0 A until re-plugged", h.ActualAmps)
			}
			c.Unplug()
			c.PlugIn(car)
			if h := charge(25 * time.Second); h.ActualAmps != 1520 {
				t.Errorf("legacy=%v: after re-plug %v, want 15.20 A", legacy, h.ActualAmps)
			}
		})
	}
}

// FB 19/1A/1B replies carry no ID: one charger gives a clean FD 1B, two
// answer at once and garble each other.
func TestLegacyFirmwareQuery(t *testing.T) {
	q := twc.LegacyQuery{Op: twc.CodeLegacyFirmwareQuery, Protocol: twc.Protocol2}
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(Profile453))
		fs := b.ask(q)
		if len(fs) != 1 || fs[0].msg != (twc.LegacyFirmware{Version: [3]byte{4, 5, 3}}) || len(fs[0].body) != 14 {
			t.Errorf("one charger: FB 1B answered %v, want a 14-byte FD 1B 4.5.3", fs)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		cfg := twoChargers()
		cfg.Chargers[1].Profile = ProfileV2 // 4.4.13: differs from 4.5.3
		b := start(t, cfg)
		b.wait(15 * time.Second) // both have announced; what follows is the reply
		b.take()
		before := b.stats()
		if fs := b.ask(q); len(fs) != 0 {
			t.Errorf("two chargers: FB 1B answered with a valid %x, want a garbled reply", fs[0].body)
		}
		if after := b.stats(); after.BytesSeen == before.BytesSeen || after.Errors() == before.Errors() {
			t.Errorf("two chargers: decoder stats %+v, want bytes and a dropped frame", after)
		}
	})
}

// Two chargers with the same firmware send identical FD 1B bytes, but never
// in step: the master must still see garbage. The simulator ORs the frames
// byte for byte, which leaves identical replies intact.
func TestLegacyQueryGarbledWithIdenticalChargers(t *testing.T) {
	for _, op := range []twc.Code{twc.CodeLegacyFirmwareQuery, twc.CodeModelQuery} {
		synctest.Test(t, func(t *testing.T) {
			b := start(t, twoChargers())
			b.wait(15 * time.Second)
			b.take()
			if fs := b.ask(twc.LegacyQuery{Op: op, Protocol: twc.Protocol2}); len(fs) != 0 {
				t.Errorf("two chargers: %v answered with a valid %x, want a garbled reply", op, fs[0].body)
			}
		})
	}
}
