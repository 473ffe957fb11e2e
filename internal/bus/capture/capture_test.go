package capture_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus/capture"
	"github.com/twcmanager/twcmanager/internal/twc"
)

var start = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// heartbeat is a master heartbeat's wire form (protocol spec D1).
func heartbeat(t *testing.T) []byte {
	t.Helper()
	w, err := twc.Encode(twc.MasterHeartbeat{Master: 0x7777, Slave: 0x1234, Command: twc.CmdSetLimit2, Amps: 4000, Protocol: twc.Protocol2})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// sample is a small capture: a heartbeat sent, its answer heard in two
// reads with a trailing junk byte, as an adapter delivers it.
func sample(t *testing.T) []byte {
	t.Helper()
	reply, err := twc.Encode(twc.SlaveHeartbeat{Slave: 0x1234, Master: 0x7777, State: twc.StateCharging, MaxAmps: 4000, ActualAmps: 3920, Protocol: twc.Protocol2})
	if err != nil {
		t.Fatal(err)
	}
	b := capture.NewBuffer(start, 4096)
	b.Add(start.Add(10*time.Millisecond), capture.Sent, heartbeat(t))
	b.Add(start.Add(40*time.Millisecond), capture.Received, reply[:7])
	b.Add(start.Add(45*time.Millisecond), capture.Received, append(reply[7:], 0xFE))
	return b.Finish(start.Add(time.Second))
}

func TestRoundTrip(t *testing.T) {
	file := sample(t)
	c, err := capture.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Start.Equal(start) || c.Length != time.Second || c.Dropped != 0 || len(c.Records) != 3 {
		t.Fatalf("start %v length %v dropped %d records %d", c.Start, c.Length, c.Dropped, len(c.Records))
	}
	if r := c.Records[1]; r.At != 40*time.Millisecond || r.Dir != capture.Received || len(r.Data) != 7 {
		t.Errorf("second record %+v", r)
	}
	var bodies []twc.Code
	for _, f := range c.Frames() {
		bodies = append(bodies, twc.CodeOf(f.Body))
	}
	if want := []twc.Code{twc.CodeMasterHeartbeat, twc.CodeSlaveHeartbeat}; !slices.Equal(bodies, want) {
		t.Errorf("frames %v, want %v", bodies, want)
	}
	again, err := c.MarshalBinary()
	if err != nil || !bytes.Equal(again, file) {
		t.Errorf("re-encoded capture differs (%v)", err)
	}

	path := filepath.Join(t.TempDir(), "bus"+capture.Extension)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	if c2, err := capture.ReadFile(path); err != nil || c2.Bytes() != c.Bytes() {
		t.Errorf("ReadFile: %v", err)
	}
}

// Every way a file can be cut short is named with the offset where it
// stops: a truncated capture must never parse as a shorter valid one.
func TestTruncatedRejectedWithOffset(t *testing.T) {
	file := sample(t)
	for n := range len(file) {
		_, err := capture.Parse(file[:n])
		var fe *capture.FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("cut at %d: %v, want a FormatError", n, err)
		}
		if fe.Offset > n || (n > 0 && !strings.Contains(fe.Problem, "cut short")) {
			t.Errorf("cut at %d: %v", n, err)
		}
	}
	// Cut exactly before the end record: the records parse, the end is missing.
	_, err := capture.Parse(file[:len(file)-15])
	if err == nil || err.Error() != "capture: offset "+itoa(len(file)-15)+": the file ends without the end record: it was cut short" {
		t.Errorf("cut before the end record: %v", err)
	}
}

func TestForeignAndDamagedFilesRejectedWithOffset(t *testing.T) {
	file := sample(t)
	edit := func(off int, b ...byte) []byte {
		out := bytes.Clone(file)
		copy(out[off:], b)
		return out
	}
	first := capture.HeaderSize // the first record
	for _, c := range []struct {
		name string
		file []byte
		off  int
		want string
	}{
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), 0, "not a twcmanager bus capture: it starts with 50 4B 03 04 14 00"},
		{"pcap", []byte{0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, "not a twcmanager bus capture"},
		{"similar magic", edit(5, 'X'), 5, "not a twcmanager bus capture"},
		{"empty", nil, 0, "the file is empty"},
		{"newer version", edit(6, 2), 6, "format version 2; this build reads version 1"},
		{"flags", edit(7, 0x80), 7, "unknown flags 80"},
		{"unknown record", edit(first, 'x'), first, "unknown record kind 78"},
		{"empty record", edit(first+5, 0, 0), first + 5, "record length 0; a record holds 1 to 1024 bytes"},
		{"huge record", edit(first+5, 0xFF, 0xFF), first + 5, "record length 65535"},
		{"time backwards", edit(first+7+18+1, 0, 0, 0, 1), first + 7 + 18 + 1, "time goes backwards: 1µs after 10ms"},
		{"bad end", edit(len(file)-15+5, 0, 9), len(file) - 15 + 5, "end record length 9; it is always 8"},
		{"junk after end", append(bytes.Clone(file), 0xC0, 0xFE), len(file), "2 bytes follow the end record"},
		{"text file", []byte("timestamp,dir,hex\n0,r,C0FD\n"), 0, "not a twcmanager bus capture: it starts with 74 69 6D 65 73 74"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := capture.Parse(c.file)
			var fe *capture.FormatError
			if !errors.As(err, &fe) || fe.Offset != c.off || !strings.Contains(fe.Problem, c.want) {
				t.Fatalf("got %v, want offset %d: %q", err, c.off, c.want)
			}
			if !strings.HasPrefix(err.Error(), "capture: offset "+itoa(c.off)+": ") {
				t.Errorf("message %q does not lead with the offset", err)
			}
		})
	}
}

func TestReadFileNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.twccap")
	if err := os.WriteFile(path, []byte("TWCCAP\x01"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := capture.ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path+": capture: offset 7: the file ends inside the 16-byte header") {
		t.Errorf("got %v", err)
	}
	if _, err := capture.ReadFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// A full buffer drops what does not fit and says how much; the file is
// still valid and never grows beyond its size.
func TestFullBufferDropsAndCounts(t *testing.T) {
	const size = 200
	b := capture.NewBuffer(start, size)
	hb := heartbeat(t)
	kept := 0
	for i := range 20 {
		if b.Add(start.Add(time.Duration(i)*time.Second), capture.Received, hb) {
			kept++
		}
	}
	file := b.Finish(start.Add(20 * time.Second))
	if len(file) > size || cap(file) != size {
		t.Errorf("file of %d bytes (cap %d) from a %d-byte buffer", len(file), cap(file), size)
	}
	c, err := capture.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	if kept == 0 || kept == 20 || len(c.Records) != kept || c.Dropped != uint64((20-kept)*len(hb)) || b.Dropped() != c.Dropped {
		t.Errorf("kept %d, records %d, dropped %d", kept, len(c.Records), c.Dropped)
	}
	if b.Add(start, capture.Received, hb) {
		t.Error("a finished buffer took more bytes")
	}
}

// Reads longer than a record are split; a clock stepped back does not
// make the file invalid.
func TestLongReadsAndClockSteps(t *testing.T) {
	b := capture.NewBuffer(start, 1<<16)
	long := bytes.Repeat([]byte{0xFE}, 2500)
	b.Add(start.Add(time.Minute), capture.Received, long)
	b.Add(start.Add(30*time.Second), capture.Sent, []byte{1})
	c, err := capture.Parse(b.Finish(start.Add(2 * time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range c.Records {
		sizes = append(sizes, len(r.Data))
	}
	if want := []int{1024, 1024, 452, 1}; !slices.Equal(sizes, want) {
		t.Errorf("record sizes %v, want %v", sizes, want)
	}
	if c.Records[3].At != time.Minute {
		t.Errorf("a step back in time recorded at %v", c.Records[3].At)
	}
}

func TestMarshalRefusesWhatTheFormatCannotHold(t *testing.T) {
	for _, c := range []capture.Capture{
		{Start: start, Records: []capture.Record{{Dir: 'x', Data: []byte{1}}}},
		{Start: start, Records: []capture.Record{{At: time.Second, Dir: capture.Sent, Data: []byte{1}}, {Dir: capture.Sent, Data: []byte{1}}}},
		{Start: start, Length: 3 * time.Hour},
	} {
		if _, err := c.MarshalBinary(); err == nil {
			t.Errorf("%+v was written", c)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
