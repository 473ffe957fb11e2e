package setup

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/units"
	"github.com/twcmanager/twcmanager/ui/web"
)

// Form is one form as the user sees it: the text of every field as typed (or
// as stored), and what is wrong with each. Field names are the settings'
// dotted paths ("wiring.shared.breaker_amps"), so the errors Validate
// returns land next to the field they are about.
type Form struct {
	Values url.Values
	// Errors holds the message for each field on this form.
	Errors map[string]string
	// Other holds errors about settings that are not on this form (a new
	// minimum current can make the Now mode's current invalid).
	Other []string
	// Problem is an error about the whole form.
	Problem string
	// Notice is a success message ("Saved.").
	Notice string

	fields map[string]bool // the fields this form handles
	bad    map[string]bool // fields whose text could not be read
	specs  map[string]Spec // labels for fields only this form knows
}

// NewForm returns an empty form.
func NewForm() *Form {
	return &Form{Values: url.Values{}, Errors: map[string]string{}, fields: map[string]bool{}, bad: map[string]bool{}, specs: map[string]Spec{}}
}

// Posted returns the form the request carries.
func Posted(r *http.Request) *Form {
	f := NewForm()
	_ = r.ParseForm() // a broken body leaves the form empty, which validation reports
	for k, v := range r.PostForm {
		f.Values[k] = slices.Clone(v)
	}
	return f
}

// Get returns the text of field name.
func (f *Form) Get(name string) string { return strings.TrimSpace(f.Values.Get(name)) }

// Set sets the text of field name.
func (f *Form) Set(name, v string) { f.Values.Set(name, v) }

// SetBool sets a checkbox.
func (f *Form) SetBool(name string, on bool) {
	if on {
		f.Values.Set(name, "on")
	} else {
		f.Values.Del(name)
	}
}

// SetNum sets a number field; zero shows as empty when optional.
func (f *Form) SetNum(name string, v float64, optional bool) {
	if optional && v == 0 {
		f.Values.Set(name, "")
		return
	}
	f.Values.Set(name, FormatNum(v))
}

// SetSeconds sets a duration field, in seconds.
func (f *Form) SetSeconds(name string, d time.Duration, optional bool) {
	f.SetNum(name, d.Seconds(), optional)
}

// Checked reports whether the checkbox name is ticked.
func (f *Form) Checked(name string) bool { return f.Values.Get(name) != "" }

// Has reports whether field name (a radio group or a set of checkboxes)
// holds value.
func (f *Form) Has(name, value string) bool { return slices.Contains(f.Values[name], value) }

// Err returns the message for field name, if any.
func (f *Form) Err(name string) string { return f.Errors[name] }

// Invalid is the aria-invalid attribute of field name.
func (f *Form) Invalid(name string) string {
	if f.Errors[name] != "" {
		return "true"
	}
	return "false"
}

// HasErrors reports whether anything is wrong.
func (f *Form) HasErrors() bool {
	return len(f.Errors) > 0 || len(f.Other) > 0 || f.Problem != "" || len(f.bad) > 0
}

// Fail records an error for field name.
func (f *Form) Fail(name, msg string) {
	f.fields[name] = true
	if f.Errors[name] == "" {
		f.Errors[name] = msg
	} else if !strings.Contains(f.Errors[name], msg) {
		f.Errors[name] += " " + msg
	}
}

// Handles declares that field name is on this form, so its errors show next
// to it rather than at the top.
func (f *Form) Handles(names ...string) {
	for _, n := range names {
		f.fields[n] = true
	}
}

// Define gives a field only this form knows (a source's parameter) its
// label.
func (f *Form) Define(name string, s Spec) {
	f.specs[name] = s
	f.fields[name] = true
}

// Spec returns the label, unit and help of field name.
func (f *Form) Spec(name string) Spec {
	if s, ok := f.specs[name]; ok {
		return s
	}
	return SpecOf(name)
}

// Sentinels stand in for text that is not a number: far outside every
// allowed range, so Validate rejects them and says what is allowed.
const (
	badNum = -1e12
	badInt = -1
	badDur = -24 * time.Hour
)

// Num reads a number field. An empty optional field is 0; text that is no
// number is remembered, and a value Validate rejects stands in for it.
func (f *Form) Num(name string, optional bool) float64 {
	f.fields[name] = true
	s := f.Get(name)
	if s == "" && optional {
		return 0
	}
	v, err := ParseNum(s)
	if err != nil {
		f.bad[name] = true
		return badNum
	}
	return v
}

// Amps reads a current field.
func (f *Form) Amps(name string, optional bool) units.Amps { return units.Amps(f.Num(name, optional)) }

// Watts reads a power field.
func (f *Form) Watts(name string, optional bool) units.Watts {
	return units.Watts(f.Num(name, optional))
}

// Int reads a whole-number field.
func (f *Form) Int(name string, optional bool) int {
	v := f.Num(name, optional)
	if v == badNum || v != math.Trunc(v) || math.Abs(v) > 1e9 {
		f.bad[name] = true
		return badInt
	}
	return int(v)
}

// Seconds reads a duration field given in seconds.
func (f *Form) Seconds(name string, optional bool) time.Duration {
	v := f.Num(name, optional)
	if v == badNum || math.Abs(v) > 1e7 {
		f.bad[name] = true
		return badDur
	}
	return time.Duration(v * float64(time.Second)).Round(time.Millisecond)
}

// Bool reads a checkbox.
func (f *Form) Bool(name string) bool {
	f.fields[name] = true
	return f.Checked(name)
}

// Choice reads a radio group or select; a value not in allowed is kept as
// typed, so that Validate names it.
func (f *Form) Choice(name string) string {
	f.fields[name] = true
	return f.Get(name)
}

// Clock reads a time of day (HH:MM) as minutes after midnight.
func (f *Form) Clock(name string) int {
	f.fields[name] = true
	t, err := time.Parse("15:04", f.Get(name))
	if err != nil {
		f.bad[name] = true
		return badInt
	}
	return t.Hour()*60 + t.Minute()
}

// Unreadable reports whether some field's text could not be read.
func (f *Form) Unreadable() bool { return len(f.bad) > 0 }

// Apply puts the errors of err next to their fields. rename maps a settings
// field to the form's name for it (nil: the same). A Settings with
// unreadable fields is checked here too: validate is called with it.
func (f *Form) Apply(err error, rename func(string) string) {
	if err == nil {
		return
	}
	errs, ok := config.AsErrors(err)
	if !ok {
		f.Problem = Sentence(err.Error())
		return
	}
	for _, fe := range errs {
		name := fe.Field
		if rename != nil {
			name = rename(name)
		}
		msg := f.Message(name, fe)
		if f.fields[name] {
			f.Fail(name, msg)
		} else if !slices.Contains(f.Other, msg) {
			f.Other = append(f.Other, msg)
		}
	}
}

// Finish gives every unreadable field without a message one: Validate
// rejects the stand-ins, but a field it does not check still needs saying.
func (f *Form) Finish() {
	for name := range f.bad {
		if f.Errors[name] == "" {
			sp := f.Spec(name)
			f.Fail(name, fmt.Sprintf("%s: %s is not a number. Allowed: %s.", sp.Label, quote(f.Get(name)), orDefault(sp.Allowed, "a number such as 16")))
		}
	}
}

// Message says in a sentence what is wrong with field name and what is
// allowed: "Breaker of the shared circuit: 500 is not allowed. Allowed: 6
// to 200 A."
func (f *Form) Message(name string, fe *config.FieldError) string {
	sp := f.Spec(name)
	allowed := fe.Allowed
	if sp.Allowed != "" && (strings.HasPrefix(allowed, "0 to 1439") || f.bad[name]) {
		allowed = sp.Allowed
	}
	if sp.Unit == "s" {
		allowed = humanDurations(allowed)
	} else if sp.Unit != "" && allowed != "" && strings.IndexAny(allowed[len(allowed)-1:], "0123456789") == 0 {
		allowed += " " + sp.Unit
	}
	var what string
	switch {
	case sp.Group:
		what = fmt.Sprint(fe.Value)
	case f.fields[name] && f.Get(name) == "":
		what = "nothing entered"
	case f.fields[name]:
		what = quote(f.Get(name)) + " is not allowed"
	default:
		what = showValue(fe.Value, sp.Unit) + " is not allowed"
	}
	return fmt.Sprintf("%s: %s. Allowed: %s.", sp.Label, what, strings.TrimSuffix(allowed, "."))
}

func quote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func showValue(v any, unit string) string {
	switch x := v.(type) {
	case float64:
		return FormatNum(x)
	case time.Duration:
		return FormatNum(x.Seconds()) + " s"
	case string:
		if x == "" {
			return "nothing"
		}
		return x
	}
	return fmt.Sprint(v)
}

var durRE = regexp.MustCompile(`-?[0-9.]+(h|m|s|ms)[0-9.hms]*`)

// humanDurations rewrites Go durations in an allowed range ("10s to
// 30m0s") as seconds ("10 to 1800 seconds").
func humanDurations(s string) string {
	found := false
	out := durRE.ReplaceAllStringFunc(s, func(m string) string {
		d, err := time.ParseDuration(m)
		if err != nil {
			return m
		}
		found = true
		return FormatNum(d.Seconds())
	})
	if found {
		out += " seconds"
	}
	return out
}

// ParseNum reads a number as people type it: "16", "16.5", "16,5", "−3".
// "1,500" is refused: a thousands separator or a decimal comma?
func ParseNum(s string) (float64, error) {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "−", "-")
	s = strings.ReplaceAll(s, " ", "")
	if i := strings.IndexByte(s, ','); i >= 0 && strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		if len(s)-i-1 == 3 {
			return 0, errors.New("ambiguous comma")
		}
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a number")
	}
	return v, nil
}

// FormatNum writes a number without needless digits.
func FormatNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Sentence makes an error text start with a capital and end with a stop.
func Sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// FieldID is the HTML id of a field's input.
func FieldID(name string) string {
	var b strings.Builder
	b.WriteString("f-")
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// ErrID is the HTML id of a field's error message.
func ErrID(name string) string { return FieldID(name) + "-err" }

// Save checks s and saves it when the form could be read and has no errors
// of its own; otherwise it puts every error on f. It reports whether it
// saved. rename is as for Apply.
func Save(app web.App, f *Form, s config.Settings, rename func(string) string) bool {
	if f.HasErrors() {
		f.Apply(s.Validate(), rename)
		f.Finish()
		return false
	}
	if err := app.SetSettings(s); err != nil {
		f.Apply(err, rename)
		return false
	}
	return true
}
