package dashboard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/units"
	"github.com/twcmanager/twcmanager/ui/web"
)

// ampsField is the setting the Now form's amps go to.
const ampsField = "policy.charge_now.amps"

// modeLabels are the buttons, in the order they are shown.
var modeLabels = []struct {
	Mode        config.Mode
	Label, Hint string
}{
	{config.ModeOff, "Off", "Do not charge"},
	{config.ModeNow, "Now", "Charge at once at the current set below"},
	{config.ModeMinSolar, "Min+Solar", "Always charge at the minimum, more when the sun makes more"},
	{config.ModeSolar, "Solar", "Charge only from solar power the house does not use"},
	{config.ModeSchedule, "Schedule", "Charge in the time window set in Settings"},
}

func modeLabel(m config.Mode) string {
	for _, l := range modeLabels {
		if l.Mode == m {
			return l.Label
		}
	}
	return string(m)
}

// durations are the lengths Now can be chosen for.
var durations = []durationChoice{
	{"1h", "1 hour", time.Hour},
	{"2h", "2 hours", 2 * time.Hour},
	{"4h", "4 hours", 4 * time.Hour},
	{"8h", "8 hours", 8 * time.Hour},
	{"until", "until I change it", 0},
}

type durationChoice struct {
	Value, Label string
	D            time.Duration // 0: until the user changes the mode
}

// defaultDuration is preselected: long enough for a real charge, and back
// to the previous mode by itself so that tomorrow is not charged from the
// grid by a forgotten Now.
const defaultDuration = "4h"

type modeButton struct {
	Value, Label, Hint string
	Pressed            bool
}

type option struct {
	Value, Label string
	Selected     bool
}

// modeView is the mode section: what is in force, and the form.
type modeView struct {
	Admin     bool
	Session   *web.Session // for the form's CSRF token
	Sentence  string
	Buttons   []modeButton
	Amps      string
	Durations []option
	Errors    modeErrors
}

// modeErrors are the form's problems, each naming its field and what is
// allowed.
type modeErrors struct {
	Mode, Amps, Duration string
	Other                []string
}

func (e modeErrors) any() bool {
	return e.Mode != "" || e.Amps != "" || e.Duration != "" || len(e.Other) > 0
}

// modeForm is what the user sent.
type modeForm struct {
	Mode, Amps, Duration string
}

func modeSentence(s config.Settings, now time.Time) string {
	p := s.Policy
	eff := p.ActiveMode(now)
	prefix := ""
	if eff != p.Mode {
		prefix = fmt.Sprintf("Now ended at %s. ", clock(p.ChargeNow.Until))
	}
	switch eff {
	case config.ModeOff:
		return prefix + "Off: no car charges."
	case config.ModeNow:
		if p.ChargeNow.Until.IsZero() {
			return fmt.Sprintf("Now: charging at %g A until you change the mode.", float64(p.ChargeNow.Amps))
		}
		return fmt.Sprintf("Now: charging at %g A until %s, then %s.", float64(p.ChargeNow.Amps),
			clock(p.ChargeNow.Until), modeLabel(p.AfterNow()))
	case config.ModeMinSolar:
		return prefix + fmt.Sprintf("Min+Solar: always at least %g A, more when the sun makes more.", float64(s.Wiring.MinAmps))
	case config.ModeSolar:
		return prefix + "Solar: only from solar power the house does not use; charging pauses when there is none."
	case config.ModeSchedule:
		return prefix + "Schedule: " + scheduleWords(p) + "."
	}
	return prefix + "Mode " + string(eff) + "."
}

// scheduleWords describes the schedule: "Mon, Tue from 00:00 to 06:00 at 16 A".
func scheduleWords(p config.Policy) string {
	sc := p.Schedule
	var days []string
	for i, on := range sc.Days {
		if on {
			days = append(days, time.Weekday(i).String()[:3])
		}
	}
	hm := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	s := fmt.Sprintf("%s from %s to %s at %g A", strings.Join(days, ", "), hm(sc.StartMinute), hm(sc.EndMinute), float64(sc.Amps))
	switch p.NonScheduled.Action {
	case config.ActionOff:
		s += "; not charging outside it"
	case config.ActionSolar:
		s += "; from the sun outside it"
	case config.ActionFixed:
		s += fmt.Sprintf("; at %g A outside it", float64(p.NonScheduled.Amps))
	}
	return s
}

// newModeView shows the settings in force; f, when not nil, is what the
// user typed and is kept.
func newModeView(ss *web.Session, s config.Settings, now time.Time, f *modeForm, errs modeErrors) modeView {
	eff := s.Policy.ActiveMode(now)
	v := modeView{Admin: ss.Admin(), Session: ss, Sentence: modeSentence(s, now), Errors: errs}
	for _, l := range modeLabels {
		v.Buttons = append(v.Buttons, modeButton{Value: string(l.Mode), Label: l.Label, Hint: l.Hint, Pressed: l.Mode == eff})
	}
	a := s.Policy.ChargeNow.Amps
	if a == 0 {
		a = s.Wiring.Charger.Continuous()
	}
	v.Amps = strconv.FormatFloat(float64(a), 'f', -1, 64)
	dur := defaultDuration
	if f != nil {
		v.Amps, dur = f.Amps, f.Duration
	}
	for _, d := range durations {
		v.Durations = append(v.Durations, option{Value: d.Value, Label: d.Label, Selected: d.Value == dur})
	}
	return v
}

// apply puts the form into s; the errors are the form's own, before the
// settings are validated.
func apply(s *config.Settings, f modeForm, now time.Time) modeErrors {
	var errs modeErrors
	m := config.Mode(f.Mode)
	if !slices.Contains(config.Modes, m) {
		errs.Mode = fmt.Sprintf("Mode: %q is not a mode; allowed: %s.", f.Mode, modeList())
		return errs
	}
	p := &s.Policy
	prev := p.ActiveMode(now)
	if m != config.ModeNow {
		p.Mode, p.ChargeNow.Until, p.ChargeNow.Then = m, time.Time{}, ""
		return errs
	}
	a, err := strconv.ParseFloat(strings.ReplaceAll(f.Amps, ",", "."), 64)
	if err != nil {
		what := fmt.Sprintf("%q is not a number", f.Amps)
		if f.Amps == "" {
			what = "enter a current"
		}
		errs.Amps = fmt.Sprintf("Amps: %s; allowed: %s A.", what, allowedAmps(*s))
	}
	i := slices.IndexFunc(durations, func(d durationChoice) bool { return d.Value == f.Duration })
	if i < 0 {
		labels := make([]string, len(durations))
		for j, d := range durations {
			labels[j] = d.Label
		}
		errs.Duration = fmt.Sprintf("For how long: %q is not one of the choices; allowed: %s.", f.Duration, strings.Join(labels, ", "))
	}
	if errs.any() {
		return errs
	}
	p.Mode, p.ChargeNow.Amps = config.ModeNow, units.Amps(a)
	p.ChargeNow.Until = time.Time{}
	if d := durations[i].D; d > 0 {
		p.ChargeNow.Until = now.Add(d).Truncate(time.Minute)
	}
	if prev != config.ModeNow {
		p.ChargeNow.Then = prev
	}
	if p.ChargeNow.Until.IsZero() {
		p.ChargeNow.Then = ""
	}
	return errs
}

// fieldErrors turns the settings' validation errors into the form's.
func fieldErrors(err error, s config.Settings, f modeForm) modeErrors {
	var errs modeErrors
	ces, ok := config.AsErrors(err)
	if !ok {
		errs.Other = []string{"The mode could not be saved: " + err.Error()}
		return errs
	}
	for _, fe := range ces {
		switch fe.Field {
		case ampsField:
			errs.Amps = fmt.Sprintf("Amps: %s A is not allowed; allowed: %s A.", f.Amps, allowedAmps(s))
		case "policy.mode":
			errs.Mode = fmt.Sprintf("Mode: %q is not a mode; allowed: %s.", f.Mode, modeList())
		default:
			errs.Other = append(errs.Other, fmt.Sprintf("%s cannot be used with the settings as they are: %s. Change it in Settings.",
				modeLabel(config.Mode(f.Mode)), fe.Error()))
		}
	}
	return errs
}

// allowedAmps asks the settings' own validation what Now accepts, so the
// form never states other limits than the ones enforced. Now cannot run at
// 0 A, so the "0 or" of the general rule is left out.
func allowedAmps(s config.Settings) string {
	s.Policy.Mode, s.Policy.ChargeNow.Amps = config.ModeNow, -1
	errs, _ := config.AsErrors(s.Validate())
	fe := errs.Field(ampsField)
	if fe == nil {
		return "a current the chargers take"
	}
	return strings.TrimPrefix(fe.Allowed, "0 or ")
}

func modeList() string {
	var names []string
	for _, l := range modeLabels {
		names = append(names, string(l.Mode))
	}
	return strings.Join(names, ", ")
}

func pressed(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func invalid(msg string) string { return pressed(msg != "") }
