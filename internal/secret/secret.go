// Package secret holds values that must never be logged or shown: tokens,
// passwords, keys. A String prints, formats, logs and marshals as a fixed
// mask; only Reveal gives the value, for the one place that needs it (an
// HTTP header, a login, the secrets store).
package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Mask is what a set secret shows instead of its value.
const Mask = "••••••"

// String is a secret text. The value sits behind a pointer: fmt cannot call
// String on an unexported struct field, and prints a pointer there as an
// address, so even %+v of a struct holding one shows no secret.
type String struct{ p *string }

// New wraps v.
func New(v string) String {
	if v == "" {
		return String{}
	}
	return String{&v}
}

// Reveal returns the secret value.
func (s String) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsSet reports whether a value is present.
func (s String) IsSet() bool { return s.p != nil }

// String implements fmt.Stringer with the mask.
func (s String) String() string {
	if s.p == nil {
		return ""
	}
	return Mask
}

// GoString keeps %#v from printing the value.
func (s String) GoString() string { return `secret.String{"` + s.String() + `"}` }

// Format keeps every fmt verb, %x and %q included, from printing the value.
func (s String) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue implements slog.LogValuer with the mask.
func (s String) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes the mask, never the value: settings sent to a page or
// an API cannot carry it. The secrets store uses Reveal.
func (s String) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON accepts a value; the mask (a form sent back unchanged) or an
// empty string leaves nothing set, and callers keep the stored secret.
func (s *String) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v == Mask {
		v = ""
	}
	*s = New(v)
	return nil
}
