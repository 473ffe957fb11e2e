package compat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/twcmanager/twcmanager/config"
)

// httpError is a refused request: its status, the request field at fault
// and a sentence saying what is allowed.
type httpError struct {
	status int
	field  string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badField(field, format string, args ...any) *httpError {
	return &httpError{status: http.StatusBadRequest, field: field, msg: field + ": " + fmt.Sprintf(format, args...)}
}

// fields is a POST body: a JSON object, each value kept raw until a route
// reads it with the type it wants.
type fields map[string]json.RawMessage

// parseFields reads a body that must be a JSON object.
func parseFields(body []byte) (fields, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &httpError{status: http.StatusBadRequest, msg: "compat: the request body is empty; send a JSON object such as {\"chargeNowRate\": 16, \"chargeNowDuration\": 3600}"}
	}
	var f fields
	if err := json.Unmarshal(body, &f); err != nil || f == nil {
		why := "it is not a JSON object"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			why = fmt.Sprintf("malformed JSON at byte %d", se.Offset)
		}
		return nil, &httpError{status: http.StatusBadRequest, msg: "compat: the request body must be a JSON object: " + why}
	}
	return f, nil
}

// shown is a value as it appears in an error message, shortened.
func shown(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// integer reads a whole number as Python's int() does for TWCManager: a
// JSON number (a fraction is cut off) or a string of digits. present is
// false when the field is absent.
func (f fields) integer(name, example string) (n int64, present bool, err error) {
	raw, ok := f[name]
	if !ok {
		return 0, false, nil
	}
	bad := badField(name, "want a whole number such as %s, got %s", example, shown(raw))
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return 0, true, bad
	}
	switch v := v.(type) {
	case float64:
		if math.Abs(v) > 1e15 {
			return 0, true, badField(name, "%s is out of range", shown(raw))
		}
		return int64(v), true, nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, true, bad
		}
		return n, true, nil
	}
	return 0, true, bad
}

// number reads a number as Python's float() does: a JSON number or a
// numeric string; NaN and infinities are refused.
func (f fields) number(name, example string) (x float64, present bool, err error) {
	raw, ok := f[name]
	if !ok {
		return 0, false, nil
	}
	bad := badField(name, "want a number such as %s, got %s", example, shown(raw))
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return 0, true, bad
	}
	switch v := v.(type) {
	case float64:
		return v, true, nil
	case string:
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, true, bad
		}
		return x, true, nil
	}
	return 0, true, bad
}

// boolean reads a flag: true/false, 0/1 or their strings ("on" and "off"
// too, as HTML checkboxes send).
func (f fields) boolean(name string) (b, present bool, err error) {
	raw, ok := f[name]
	if !ok {
		return false, false, nil
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		switch v := v.(type) {
		case bool:
			return v, true, nil
		case float64:
			if v == 0 || v == 1 {
				return v == 1, true, nil
			}
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true", "1", "on", "yes":
				return true, true, nil
			case "false", "0", "off", "no", "":
				return false, true, nil
			}
		}
	}
	return false, true, badField(name, "want true or false, got %s", shown(raw))
}

// text reads a string.
func (f fields) text(name string) (s string, present bool, err error) {
	raw, ok := f[name]
	if !ok {
		return "", false, nil
	}
	if json.Unmarshal(raw, &s) != nil {
		return "", true, badField(name, "want a string, got %s", shown(raw))
	}
	return s, true, nil
}

// scalar reads a string or a number as text, for setSetting's value, which
// TWCManager stores as str(value).
func (f fields) scalar(name string) (s string, present bool, err error) {
	raw, ok := f[name]
	if !ok {
		return "", false, nil
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		switch v := v.(type) {
		case string:
			return v, true, nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), true, nil
		case bool:
			return strconv.FormatBool(v), true, nil
		}
	}
	return "", true, badField(name, "want a string or a number, got %s", shown(raw))
}

func missing(name, what string) *httpError {
	return badField(name, "is required: %s", what)
}

// settingsError turns a refused settings change into a 400 naming the
// request field behind the setting (field maps a settings path such as
// "policy.schedule.amps" to it; "" keeps the path). Other errors (the disk)
// are returned wrapped, for a 500.
func settingsError(err error, field func(path string) string) error {
	if err == nil {
		return nil
	}
	var errs config.Errors
	var fe *config.FieldError
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &errs) && len(errs) > 0:
	case errors.As(err, &fe):
		errs = config.Errors{fe}
	default:
		return fmt.Errorf("compat: save settings: %w", err)
	}
	name := func(path string) string {
		if n := field(path); n != "" {
			return n
		}
		return path
	}
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = fmt.Sprintf("%s: %v is not allowed; allowed: %s", name(e.Field), e.Value, e.Allowed)
	}
	return &httpError{status: http.StatusBadRequest, field: name(errs[0].Field), msg: strings.Join(parts, "; ")}
}

// sizeText is a byte count for people.
func sizeText(n int64) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
