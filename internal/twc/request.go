package twc

import "fmt"

// Request is an addressed master message with no data: the info queries
// (FB EB, EC, ED, EE, EF, F1, B4) and the relay commands FC B1 (start) and
// FC B2 (stop). The canonical body is 16 bytes; TWCManager sends 15 and
// ESP-based masters 14, and chargers answer all of them.
type Request struct {
	Op      Code
	Master  ID
	Slave   ID
	BodyLen int // 0 means 16
}

// NewRequest returns the canonical 16-byte form.
func NewRequest(op Code, master, slave ID) Request {
	return Request{Op: op, Master: master, Slave: slave, BodyLen: 16}
}

// Code implements Message.
func (r Request) Code() Code { return r.Op }

// AppendPayload implements Message.
func (r Request) AppendPayload(dst []byte) []byte {
	start := len(dst)
	l := r.BodyLen
	if l == 0 {
		l = 16
	}
	dst = append(dst, byte(r.Op>>8), byte(r.Op), r.Master.hi(), r.Master.lo(), r.Slave.hi(), r.Slave.lo())
	return padTo(dst, start, l)
}

func parseRequest(b []byte) (Message, error) {
	if err := checkLayout(b, []int{14, 15, 16}, 6); err != nil {
		return nil, err
	}
	return Request{Op: CodeOf(b), Master: idAt(b, 2), Slave: idAt(b, 4), BodyLen: len(b)}, nil
}

// LegacyQuery is FB 19 (serial), FB 1A (model) or FB 1B (firmware) as old
// masters send them: no IDs, padded with zeros. Replies carry no ID either, so
// the bus only asks when a single charger is on it.
type LegacyQuery struct {
	Op       Code
	Protocol Protocol
}

// Code implements Message.
func (q LegacyQuery) Code() Code { return q.Op }

// AppendPayload implements Message.
func (q LegacyQuery) AppendPayload(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, byte(q.Op>>8), byte(q.Op))
	return padTo(dst, start, q.Protocol.bodyLen())
}

func parseLegacyQuery(b []byte) (Message, error) {
	if err := checkLayout(b, []int{14, 16}, 2); err != nil {
		return nil, err
	}
	p, _ := protocolOf(len(b))
	return LegacyQuery{Op: CodeOf(b), Protocol: p}, nil
}

// Meter is FD EB: the charger's lifetime energy counter and phase voltages;
// firmware 4.5.3 adds phase currents in 0.5 A steps (20-byte form).
type Meter struct {
	Slave    ID
	KWh      uint32
	Volts    [3]uint16
	HalfAmps [3]uint8 // only in the long form
	Long     bool
}

// Code implements Message.
func (Meter) Code() Code { return CodeMeter }

// PhaseAmps returns the phase currents in amps (zero in the short form).
func (m Meter) PhaseAmps() [3]float64 {
	return [3]float64{float64(m.HalfAmps[0]) / 2, float64(m.HalfAmps[1]) / 2, float64(m.HalfAmps[2]) / 2}
}

// AppendPayload implements Message.
func (m Meter) AppendPayload(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, 0xFD, 0xEB, m.Slave.hi(), m.Slave.lo(),
		byte(m.KWh>>24), byte(m.KWh>>16), byte(m.KWh>>8), byte(m.KWh))
	for _, v := range m.Volts {
		dst = append(dst, byte(v>>8), byte(v))
	}
	if !m.Long {
		return padTo(dst, start, 16)
	}
	dst = append(dst, m.HalfAmps[:]...)
	return padTo(dst, start, 20)
}

func parseMeter(b []byte) (Message, error) {
	from := 14
	if len(b) == 20 {
		from = 17
	}
	if err := checkLayout(b, []int{16, 20}, from); err != nil {
		return nil, err
	}
	m := Meter{
		Slave: idAt(b, 2),
		KWh:   uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7]),
		Long:  len(b) == 20,
	}
	for i := range 3 {
		m.Volts[i] = uint16(b[8+2*i])<<8 | uint16(b[9+2*i])
	}
	if m.Long {
		copy(m.HalfAmps[:], b[14:17])
	}
	return m, nil
}

// Firmware is FD EC: the extended firmware version, e.g. 4.5.3.2.
type Firmware struct {
	Slave   ID
	Version [4]byte
}

// Code implements Message.
func (Firmware) Code() Code { return CodeFirmware }

func (f Firmware) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", f.Version[0], f.Version[1], f.Version[2], f.Version[3])
}

// AppendPayload implements Message.
func (f Firmware) AppendPayload(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, 0xFD, 0xEC, f.Slave.hi(), f.Slave.lo())
	dst = append(dst, f.Version[:]...)
	return padTo(dst, start, 16)
}

func parseFirmware(b []byte) (Message, error) {
	if err := checkLayout(b, []int{16}, 8); err != nil {
		return nil, err
	}
	f := Firmware{Slave: idAt(b, 2)}
	copy(f.Version[:], b[4:8])
	return f, nil
}

// Serial is FD ED: the charger's serial number (TSN), 11 ASCII characters.
type Serial struct {
	Slave ID
	Text  [11]byte
}

// Code implements Message.
func (Serial) Code() Code { return CodeSerial }

func (s Serial) String() string { return text(s.Text[:]) }

// AppendPayload implements Message.
func (s Serial) AppendPayload(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, 0xFD, 0xED, s.Slave.hi(), s.Slave.lo())
	dst = append(dst, s.Text[:]...)
	return padTo(dst, start, 20)
}

func parseSerial(b []byte) (Message, error) {
	if err := checkLayout(b, []int{20}, 15); err != nil {
		return nil, err
	}
	s := Serial{Slave: idAt(b, 2)}
	copy(s.Text[:], b[4:15])
	return s, nil
}

// VINPart is FD EE, FD EF or FD F1: characters 1–7, 8–14 or 15–17 of the
// connected car's VIN. All zero means no VIN is available (no car, a non-Tesla
// car, or CAN disabled).
type VINPart struct {
	Slave ID
	Part  int // 0, 1 or 2
	Chars [7]byte
}

var vinCodes = [3]Code{CodeVIN1, CodeVIN2, CodeVIN3}

// VINQueryCode returns the request code for VIN part 0, 1 or 2.
func VINQueryCode(part int) Code { return vinCodes[part]&0x00FF | 0xFB00 }

// Code implements Message.
func (v VINPart) Code() Code { return vinCodes[v.Part] }

// AppendPayload implements Message.
func (v VINPart) AppendPayload(dst []byte) []byte {
	start := len(dst)
	c := v.Code()
	dst = append(dst, byte(c>>8), byte(c), v.Slave.hi(), v.Slave.lo())
	dst = append(dst, v.Chars[:v.width()]...)
	return padTo(dst, start, 20)
}

func (v VINPart) width() int {
	if v.Part == 2 {
		return 3
	}
	return 7
}

func parseVINPart(b []byte) (Message, error) {
	v := VINPart{Slave: idAt(b, 2)}
	for i, c := range vinCodes {
		if c == CodeOf(b) {
			v.Part = i
		}
	}
	if err := checkLayout(b, []int{20}, 4+v.width()); err != nil {
		return nil, err
	}
	copy(v.Chars[:v.width()], b[4:])
	return v, nil
}

// PlugState is FD B4: 00 unplugged, 01 charging, 03 plugged in, not charging.
type PlugState struct {
	Slave ID
	State byte
}

// Code implements Message.
func (PlugState) Code() Code { return CodePlug }

// AppendPayload implements Message.
func (p PlugState) AppendPayload(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, 0xFD, 0xB4, p.Slave.hi(), p.Slave.lo(), p.State)
	return padTo(dst, start, 16)
}

func parsePlugState(b []byte) (Message, error) {
	if err := checkLayout(b, []int{16}, 5); err != nil {
		return nil, err
	}
	return PlugState{Slave: idAt(b, 2), State: b[4]}, nil
}

// Ack is FD B1 or FD B2: a slave acknowledging a start or stop command.
type Ack struct {
	Op    Code
	Slave ID
}

// Code implements Message.
func (a Ack) Code() Code { return a.Op }

// AppendPayload implements Message.
func (a Ack) AppendPayload(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, byte(a.Op>>8), byte(a.Op), a.Slave.hi(), a.Slave.lo())
	return padTo(dst, start, 16)
}

func parseAck(b []byte) (Message, error) {
	if err := checkLayout(b, []int{16}, 4); err != nil {
		return nil, err
	}
	return Ack{Op: CodeOf(b), Slave: idAt(b, 2)}, nil
}

// LegacyText is FD 19 (serial) or FD 1A (model): 11 bytes of ASCII padded with
// 00 or FF, and no ID.
type LegacyText struct {
	Op   Code
	Text [11]byte
}

// Code implements Message.
func (t LegacyText) Code() Code { return t.Op }

func (t LegacyText) String() string { return text(t.Text[:]) }

// AppendPayload implements Message.
func (t LegacyText) AppendPayload(dst []byte) []byte {
	dst = append(dst, byte(t.Op>>8), byte(t.Op))
	return append(dst, t.Text[:]...)
}

func parseLegacyText(b []byte) (Message, error) {
	if err := checkLayout(b, []int{14}, 13); err != nil {
		return nil, err
	}
	t := LegacyText{Op: CodeOf(b)}
	copy(t.Text[:], b[2:13])
	return t, nil
}

// LegacyFirmware is FD 1B: major, minor, revision; no ID.
type LegacyFirmware struct{ Version [3]byte }

// Code implements Message.
func (LegacyFirmware) Code() Code { return CodeLegacyFirmware }

func (f LegacyFirmware) String() string {
	return fmt.Sprintf("%d.%d.%d", f.Version[0], f.Version[1], f.Version[2])
}

// AppendPayload implements Message.
func (f LegacyFirmware) AppendPayload(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, 0xFD, 0x1B)
	dst = append(dst, f.Version[:]...)
	return padTo(dst, start, 14)
}

func parseLegacyFirmware(b []byte) (Message, error) {
	if err := checkLayout(b, []int{14}, 5); err != nil {
		return nil, err
	}
	var f LegacyFirmware
	copy(f.Version[:], b[2:5])
	return f, nil
}

// text turns a padded ASCII field into a string, dropping 00 and FF padding.
func text(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != 0 && c != 0xFF {
			out = append(out, c)
		}
	}
	return string(out)
}
