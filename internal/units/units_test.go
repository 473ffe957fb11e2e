package units

import "testing"

func TestWholeAndMin(t *testing.T) {
	if got := Amps(12.99).Whole(); got != 12 {
		t.Fatalf("Whole(12.99) = %v", got)
	}
	if got := Min(16, 32, 10.5, 40); got != 10.5 {
		t.Fatalf("Min = %v", got)
	}
	if s := Amps(6).String(); s != "6.00 A" {
		t.Fatalf("String = %q", s)
	}
	if s := WattHours(1500).String(); s != "1.500 kWh" {
		t.Fatalf("String = %q", s)
	}
}
