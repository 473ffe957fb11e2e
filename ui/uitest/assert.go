package uitest

import (
	"html"
	"strings"
	"testing"
	"time"
)

// Contains fails the test unless the page (HTML entities decoded) holds
// every want, logging the page once.
func Contains(t testing.TB, body string, want ...string) {
	t.Helper()
	text := html.UnescapeString(body)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
		t.FailNow()
	}
}

// Lacks fails the test if the page holds any of unwanted.
func Lacks(t testing.TB, body string, unwanted ...string) {
	t.Helper()
	text := html.UnescapeString(body)
	for _, w := range unwanted {
		if strings.Contains(text, w) {
			t.Fatalf("page shows %q:\n%s", w, body)
		}
	}
}

// Status fails the test unless got is want.
func Status(t testing.TB, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Fatalf("status %d, want %d\n%s", got, want, body)
	}
}

// Eventually retries f until it returns "" or the time is up, then fails
// with f's last complaint.
func Eventually(t testing.TB, within time.Duration, f func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
