package bench

import "testing"

func TestParseStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis, 250 + 50 ticks.
	line := "4242 (twc (mgr) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 9 0 1000 123456 789 18446744073709551615"
	got, err := parseStatCPU(line)
	if err != nil {
		t.Fatal(err)
	}
	if got != 3 {
		t.Errorf("CPU seconds = %v, want 3", got)
	}
	if _, err := parseStatCPU("4242 twcmanager S 1"); err == nil {
		t.Error("a line without a command name was accepted")
	}
}
