package twc

import (
	"testing"
	"time"
)

var benchHB = MasterHeartbeat{Master: 0x7777, Slave: 0x1234, Command: CmdSetLimit2, Amps: 3200, Protocol: Protocol2}

func BenchmarkEncodeHeartbeat(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = benchHB.AppendFrame(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHeartbeat(b *testing.B) {
	wire, _ := SlaveHeartbeat{Slave: 0x1234, Master: 0x7777, State: StateCharging, MaxAmps: 3200, ActualAmps: 3110, Protocol: Protocol2}.AppendFrame(nil)
	var d Decoder
	now := time.Unix(0, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		decodeOne(b, &d, now, wire)
	}
}

func decodeOne(tb testing.TB, d *Decoder, now time.Time, wire []byte) SlaveHeartbeat {
	for _, c := range wire {
		body, err := d.Feed(now, c)
		if err != nil {
			tb.Fatal(err)
		}
		if body != nil {
			hb, err := ParseSlaveHeartbeat(body)
			if err != nil {
				tb.Fatal(err)
			}
			return hb
		}
	}
	tb.Fatal("no frame")
	return SlaveHeartbeat{}
}

// The heartbeat path must not allocate: it runs several times a second for as
// long as the appliance is up, on a small Pi.
func TestHeartbeatPathAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 64)
	enc := testing.AllocsPerRun(1000, func() { buf, _ = benchHB.AppendFrame(buf[:0]) })
	wire, _ := SlaveHeartbeat{Slave: 0x1234, Master: 0x7777, State: StateCharging, Protocol: Protocol2}.AppendFrame(nil)
	var d Decoder
	dec := testing.AllocsPerRun(1000, func() { decodeOne(t, &d, time.Time{}, wire) })
	if enc != 0 || dec != 0 {
		t.Fatalf("allocs per heartbeat: encode %v, decode %v; want 0", enc, dec)
	}
}
