package twc

// MasterLinkReady is FC E1 (link-ready 1) or FB E2 (link-ready 2): a master
// announcing its ID. A slave with the same ID picks a new one.
type MasterLinkReady struct {
	Second bool // FB E2 rather than FC E1
	Master ID
	Sign   byte
	// Limit is the bus current some ESP-based masters put at bytes 5–6 in a
	// 16-byte form. TWCManager sends the 14-byte form with zeros, which works.
	Limit Centiamps
	Long  bool // 16-byte form
}

// Code implements Message.
func (m MasterLinkReady) Code() Code {
	if m.Second {
		return CodeMasterLinkReady2
	}
	return CodeMasterLinkReady1
}

// AppendPayload implements Message.
func (m MasterLinkReady) AppendPayload(dst []byte) []byte {
	start := len(dst)
	c := m.Code()
	dst = append(dst, byte(c>>8), byte(c), m.Master.hi(), m.Master.lo(), m.Sign, byte(m.Limit>>8), byte(m.Limit))
	l := 14
	if m.Long {
		l = 16
	}
	return padTo(dst, start, l)
}

func parseMasterLinkReady(b []byte) (Message, error) {
	if err := checkLayout(b, []int{14, 16}, 7); err != nil {
		return nil, err
	}
	return MasterLinkReady{
		Second: CodeOf(b) == CodeMasterLinkReady2,
		Master: idAt(b, 2),
		Sign:   b[4],
		Limit:  centiampsAt(b, 5),
		Long:   len(b) == 16,
	}, nil
}

// SlaveLinkReady is FD E2: a slave announcing its ID, sign and the maximum
// current it is rated for. Its length tells the slave's protocol generation.
type SlaveLinkReady struct {
	Slave    ID
	Sign     byte
	MaxAmps  Centiamps
	Protocol Protocol
}

// Code implements Message.
func (SlaveLinkReady) Code() Code { return CodeSlaveLinkReady }

// AppendPayload implements Message.
func (m SlaveLinkReady) AppendPayload(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, 0xFD, 0xE2, m.Slave.hi(), m.Slave.lo(), m.Sign, byte(m.MaxAmps>>8), byte(m.MaxAmps))
	return padTo(dst, start, m.Protocol.bodyLen())
}

func parseSlaveLinkReady(b []byte) (Message, error) {
	if err := checkLayout(b, []int{14, 16}, 7); err != nil {
		return nil, err
	}
	p, _ := protocolOf(len(b))
	return SlaveLinkReady{Slave: idAt(b, 2), Sign: b[4], MaxAmps: centiampsAt(b, 5), Protocol: p}, nil
}

// Idle is FC 1D, sent by an idle real master, without IDs.
type Idle struct{ Long bool }

// Code implements Message.
func (Idle) Code() Code { return CodeIdle }

// AppendPayload implements Message.
func (m Idle) AppendPayload(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, 0xFC, 0x1D)
	l := 14
	if m.Long {
		l = 16
	}
	return padTo(dst, start, l)
}

func parseIdle(b []byte) (Message, error) {
	if err := checkLayout(b, []int{14, 16}, 2); err != nil {
		return nil, err
	}
	return Idle{Long: len(b) == 16}, nil
}
