package twc

import "fmt"

// Command is the first data byte of a master heartbeat.
type Command byte

// Master heartbeat commands.
const (
	CmdNone      Command = 0x00 // keep going; amps ignored
	CmdError     Command = 0x02 // force an error; amps' high byte is a bitmap. Never sent by us.
	CmdSetLimit  Command = 0x05 // set the limit (protocol 1; on protocol 2 only before charging)
	CmdRaise     Command = 0x06 // protocol 2: raise by 2 A
	CmdLower     Command = 0x07 // protocol 2: lower by 2 A for ~10 s
	CmdAckStop   Command = 0x08 // acknowledge a stopped/starting slave, with a limit
	CmdSetLimit2 Command = 0x09 // protocol 2: set the limit, works while charging
)

func (c Command) String() string {
	switch c {
	case CmdNone:
		return "none"
	case CmdError:
		return "error"
	case CmdSetLimit:
		return "set-limit"
	case CmdRaise:
		return "raise-2A"
	case CmdLower:
		return "lower-2A"
	case CmdAckStop:
		return "ack"
	case CmdSetLimit2:
		return "set-limit-v2"
	}
	return fmt.Sprintf("cmd-%02X", byte(c))
}

// CarriesLimit reports whether the command's amps field is a limit the slave
// adopts (05, 08, 09): those are the values the bus clamps.
func (c Command) CarriesLimit() bool {
	return c == CmdSetLimit || c == CmdAckStop || c == CmdSetLimit2
}

// State is the first data byte of a slave heartbeat.
type State byte

// Slave heartbeat states.
const (
	StateReady        State = 0x00
	StateCharging     State = 0x01
	StateError        State = 0x02
	StatePluggedIdle  State = 0x03 // plugged in, do not charge
	StatePluggedReady State = 0x04 // plugged in, ready or scheduled
	StateBusy         State = 0x05
	StateRaiseAck     State = 0x06
	StateLowerAck     State = 0x07
	StateStarting     State = 0x08
	StateLimitAck     State = 0x09
	StateAdjusted     State = 0x0A
)

var stateText = map[State]string{
	StateReady:        "ready",
	StateCharging:     "charging",
	StateError:        "error",
	StatePluggedIdle:  "plugged in, not charging",
	StatePluggedReady: "plugged in, ready or scheduled",
	StateBusy:         "busy",
	StateRaiseAck:     "raising 2 A",
	StateLowerAck:     "lowering 2 A",
	StateStarting:     "starting to charge",
	StateLimitAck:     "limit acknowledged",
	StateAdjusted:     "adjustment complete",
}

func (s State) String() string {
	if t, ok := stateText[s]; ok {
		return t
	}
	return fmt.Sprintf("unknown state %02X", byte(s))
}

// CarPresent reports whether the state implies a car is plugged in. Ready (00)
// does not exclude one.
func (s State) CarPresent() bool {
	switch s {
	case StateCharging, StatePluggedIdle, StatePluggedReady, StateStarting,
		StateRaiseAck, StateLowerAck, StateLimitAck, StateAdjusted:
		return true
	}
	return false
}

// MasterHeartbeat is FB E0: the master's per-slave command, sent about once a
// second. Protocol 1 slaves get 7 data bytes, protocol 2 slaves 9.
type MasterHeartbeat struct {
	Master, Slave ID
	Command       Command
	Amps          Centiamps // for CmdError, the high byte is the error bitmap
	MasterCar     byte      // 01 when the master charger itself has a car
	Reserved      [5]byte   // bytes 10..14, zero in every capture
	Protocol      Protocol
}

// Code implements Message.
func (MasterHeartbeat) Code() Code { return CodeMasterHeartbeat }

// AppendPayload implements Message.
func (m MasterHeartbeat) AppendPayload(dst []byte) []byte {
	dst = append(dst, 0xFB, 0xE0, m.Master.hi(), m.Master.lo(), m.Slave.hi(), m.Slave.lo(),
		byte(m.Command), byte(m.Amps>>8), byte(m.Amps), m.MasterCar)
	if m.Protocol == Protocol1 {
		return append(dst, m.Reserved[:3]...)
	}
	return append(dst, m.Reserved[:]...)
}

// AppendFrame appends m's wire form to dst without allocating when dst has
// room. It is the heartbeat path's encoder.
func (m MasterHeartbeat) AppendFrame(dst []byte) ([]byte, error) {
	var p [16]byte
	return AppendFramed(dst, m.AppendPayload(p[:0]))
}

func parseMasterHeartbeat(b []byte) (Message, error) {
	p, err := protocolOf(len(b))
	if err != nil {
		return nil, fmt.Errorf("master heartbeat: %w", err)
	}
	m := MasterHeartbeat{
		Master: idAt(b, 2), Slave: idAt(b, 4), Command: Command(b[6]),
		Amps: centiampsAt(b, 7), MasterCar: b[9], Protocol: p,
	}
	copy(m.Reserved[:], b[10:len(b)-1])
	return m, nil
}

// SlaveHeartbeat is FD E0: a slave's answer to a master heartbeat.
type SlaveHeartbeat struct {
	Slave, Master ID
	State         State
	MaxAmps       Centiamps // the limit the slave applies (mirrors the last 05/08/09)
	ActualAmps    Centiamps // what the car draws
	Reserved      [4]byte   // bytes 11..14, normally zero
	Protocol      Protocol
}

// Code implements Message.
func (SlaveHeartbeat) Code() Code { return CodeSlaveHeartbeat }

// AppendPayload implements Message.
func (m SlaveHeartbeat) AppendPayload(dst []byte) []byte {
	dst = append(dst, 0xFD, 0xE0, m.Slave.hi(), m.Slave.lo(), m.Master.hi(), m.Master.lo(),
		byte(m.State), byte(m.MaxAmps>>8), byte(m.MaxAmps), byte(m.ActualAmps>>8), byte(m.ActualAmps))
	if m.Protocol == Protocol1 {
		return append(dst, m.Reserved[:2]...)
	}
	return append(dst, m.Reserved[:]...)
}

// AppendFrame appends m's wire form to dst without allocating when dst has room.
func (m SlaveHeartbeat) AppendFrame(dst []byte) ([]byte, error) {
	var p [16]byte
	return AppendFramed(dst, m.AppendPayload(p[:0]))
}

// ParseSlaveHeartbeat decodes an FD E0 body without allocating.
func ParseSlaveHeartbeat(b []byte) (SlaveHeartbeat, error) {
	if CodeOf(b) != CodeSlaveHeartbeat {
		return SlaveHeartbeat{}, fmt.Errorf("%w: %s is not a slave heartbeat", ErrShort, CodeOf(b))
	}
	p, err := protocolOf(len(b))
	if err != nil {
		return SlaveHeartbeat{}, err
	}
	m := SlaveHeartbeat{
		Slave: idAt(b, 2), Master: idAt(b, 4), State: State(b[6]),
		MaxAmps: centiampsAt(b, 7), ActualAmps: centiampsAt(b, 9), Protocol: p,
	}
	copy(m.Reserved[:], b[11:len(b)-1])
	return m, nil
}
