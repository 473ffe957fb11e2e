package energytest

import (
	"errors"
	"io"
	"log"
	"testing"
	"time"

	"github.com/simonvetter/modbus"
)

// The server, seen through the library's own client: each fault reaches a
// client as the error the sources must put into words.
func TestModbusServer(t *testing.T) {
	srv := NewModbusServer(t)
	srv.SetHolding(1, 40000, 0x5375, 0x6E53)
	srv.SetInput(100, 3, 7, 8, 9)
	c := dial(t, srv.Addr)
	read := func(unit uint8, addr, n uint16, kind modbus.RegType) ([]uint16, error) {
		c.SetUnitId(unit)
		return c.ReadRegisters(addr, n, kind)
	}
	if v, err := read(1, 40000, 2, modbus.HOLDING_REGISTER); err != nil || v[0] != 0x5375 || v[1] != 0x6E53 {
		t.Fatalf("holding: %v %v", v, err)
	}
	if v, err := read(100, 3, 3, modbus.INPUT_REGISTER); err != nil || v[2] != 9 {
		t.Fatalf("input: %v %v", v, err)
	}
	if _, err := read(1, 40000, 3, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Errorf("register not set: %v", err)
	}
	if n := srv.Reads(1, 40000); n != 2 {
		t.Errorf("reads at 40000: %d", n)
	}
	srv.Fault(ModbusException)
	if _, err := read(1, 40000, 2, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Errorf("exception: %v", err)
	}
	srv.Fault(ModbusShortAnswer)
	if _, err := read(1, 40000, 2, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrProtocolError) {
		t.Errorf("short answer: %v", err)
	}
	srv.Fault(ModbusSlow)
	if _, err := read(1, 40000, 2, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrRequestTimedOut) {
		t.Errorf("slow: %v", err)
	}
	srv.Fault(ModbusDrop)
	c = dial(t, srv.Addr)
	if _, err := read(1, 40000, 2, modbus.HOLDING_REGISTER); !errors.Is(err, io.EOF) {
		t.Errorf("drop: %v", err)
	}
	srv.Fault(ModbusHealthy)
	srv.Stop()
	if err := try(srv.Addr); err == nil {
		t.Error("stopped server accepts connections")
	}
	srv.Start(t)
	c = dial(t, srv.Addr)
	if _, err := read(1, 40000, 2, modbus.HOLDING_REGISTER); err != nil {
		t.Errorf("after restart: %v", err)
	}
}

func try(addr string) error {
	c, err := modbus.NewClient(&modbus.ClientConfiguration{URL: "tcp://" + addr, Timeout: 200 * time.Millisecond, Logger: log.New(io.Discard, "", 0)})
	if err == nil {
		if err = c.Open(); err == nil {
			c.Close()
		}
	}
	return err
}

func dial(t *testing.T, addr string) *modbus.ModbusClient {
	c, err := modbus.NewClient(&modbus.ClientConfiguration{URL: "tcp://" + addr, Timeout: 200 * time.Millisecond, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
