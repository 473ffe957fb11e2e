package bus

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// recordingPort keeps what is written to it.
type recordingPort struct{ bytes.Buffer }

func (p *recordingPort) Close() error { return nil }

// The guard sits where the port is opened, so even the code that transmits
// cannot reach the adapter in monitor mode: a transmission is refused,
// counted, and leaves the port untouched. In control mode the same call
// writes the frame.
func TestListenOnlyGuardsTheSingleWritePath(t *testing.T) {
	for _, monitor := range []bool{true, false} {
		under := &recordingPort{}
		m := New(Config{Monitor: monitor, Open: func() (io.ReadWriteCloser, error) { return under, nil }})
		port, err := m.open()
		if err != nil {
			t.Fatal(err)
		}
		err = m.transmit(time.Now(), port, twc.MasterHeartbeat{Master: 0x7777, Slave: 0x1839, Protocol: twc.Protocol2})
		switch {
		case monitor && (!errors.Is(err, ErrListenOnly) || under.Len() != 0 || m.counters.WritesRefused != 1):
			t.Errorf("monitor mode: %v, %d bytes reached the port, %d refusals", err, under.Len(), m.counters.WritesRefused)
		case !monitor && (err != nil || under.Len() != 18 || m.counters.WritesRefused != 0):
			t.Errorf("control mode: %v, %d bytes written", err, under.Len())
		}
	}
}
