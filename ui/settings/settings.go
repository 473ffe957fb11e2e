// Package settingsui is the settings pages under /settings: one page per
// part of config.Settings (wiring, electrical facts, the adapter, charging,
// the schedule, consumption offsets, energy sources, the web interface) and
// the admin password. Every form is checked on the server, names each wrong
// field with what is allowed, keeps what was typed, and says "Saved" when it
// saved. The forms are shared with the setup wizard (package setup).
package settingsui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/units"
	"github.com/twcmanager/twcmanager/ui/setup"
	"github.com/twcmanager/twcmanager/ui/web"
)

type section struct{ Key, Label, Path string }

var sections = []section{
	{"wiring", "Wiring", "/settings/wiring"},
	{"electrical", "Electrical", "/settings/electrical"},
	{"adapter", "Adapter", "/settings/adapter"},
	{"policy", "Charging", "/settings/policy"},
	{"schedule", "Schedule", "/settings/schedule"},
	{"offsets", "Offsets", "/settings/offsets"},
	{"car", "Car", "/settings/car"},
	{"sources", "Energy sources", "/settings/sources"},
	{"web", "Web", "/settings/web"},
	{"integrations", "Integrations", "/settings/integrations"},
	{"password", "Password", "/settings/password"},
	{"reset", "Factory reset", "/settings/reset"},
}

func pathOf(key string) string {
	for _, s := range sections {
		if s.Key == key {
			return s.Path
		}
	}
	return "/settings"
}

type ui struct{ d web.Deps }

// Register adds the settings pages.
func Register(mux *http.ServeMux, d web.Deps) {
	u := &ui{d: d}
	mux.HandleFunc("GET /settings", u.overview)
	mux.HandleFunc("GET /settings/wiring", u.wiringPage)
	mux.HandleFunc("POST /settings/wiring", u.wiringPost)
	mux.HandleFunc("POST /settings/wiring/preview", setup.WiringPreview(d))
	mux.HandleFunc("GET /settings/electrical", u.electricalPage)
	mux.HandleFunc("POST /settings/electrical", u.electricalPost)
	mux.HandleFunc("GET /settings/adapter", u.adapterPage)
	mux.HandleFunc("POST /settings/adapter", u.adapterPost)
	mux.HandleFunc("GET /settings/policy", u.policyPage)
	mux.HandleFunc("POST /settings/policy", u.policyPost)
	mux.HandleFunc("GET /settings/schedule", u.schedulePage)
	mux.HandleFunc("POST /settings/schedule", u.schedulePost)
	mux.HandleFunc("GET /settings/offsets", u.offsetsPage)
	mux.HandleFunc("POST /settings/offsets", u.offsetsPost)
	mux.HandleFunc("GET /settings/sources", u.sourcesPage)
	mux.HandleFunc("GET /settings/sources/new", u.sourceNew)
	mux.HandleFunc("GET /settings/sources/edit", u.sourceEdit)
	mux.HandleFunc("POST /settings/sources/save", u.sourceSave)
	mux.HandleFunc("POST /settings/sources/remove", u.sourceRemove)
	mux.HandleFunc("GET /settings/web", u.webPage)
	mux.HandleFunc("POST /settings/web", u.webPost)
	mux.HandleFunc("GET /settings/car", u.carPage)
	mux.HandleFunc("POST /settings/car", u.carPost)
	u.carActions().Register(mux)
	mux.HandleFunc("GET /settings/integrations", u.integrationsPage)
	mux.HandleFunc("POST /settings/integrations", u.integrationsPost)
	mux.HandleFunc("POST /settings/integrations/token", u.tokenPost)
	mux.HandleFunc("POST /settings/integrations/token/revoke", u.tokenRevoke)
	mux.HandleFunc("GET /settings/password", u.passwordPage)
	mux.HandleFunc("POST /settings/password", u.passwordPost)
	mux.HandleFunc("GET /settings/reset", u.resetPage)
	mux.HandleFunc("POST /settings/reset", u.resetPost)
}

// info is the page frame's data; the title names the section.
func info(r *http.Request, key string) web.PageInfo {
	title := "Settings"
	for _, s := range sections {
		if s.Key == key {
			title += ": " + s.Label
		}
	}
	return web.Info(r, title, "settings")
}

// fresh is a new form that says "Saved." after a save redirected here.
func fresh(r *http.Request) *setup.Form {
	f := setup.NewForm()
	if r.URL.Query().Get("saved") != "" {
		f.Notice = "Saved."
	}
	return f
}

// saved answers a successful POST: back to the page, which says so.
func saved(w http.ResponseWriter, r *http.Request, key string) {
	http.Redirect(w, r, pathOf(key)+"?saved=1", http.StatusSeeOther)
}

func (u *ui) overview(w http.ResponseWriter, r *http.Request) {
	web.Render(w, r, http.StatusOK, overviewPage(info(r, ""), u.d.App.Settings(), u.kindLabels()))
}

func (u *ui) kindLabels() map[string]string {
	out := map[string]string{}
	for _, k := range u.d.App.SourceKinds() {
		out[k.Name] = k.Label
	}
	return out
}

// Wiring.

func (u *ui) wiringURLs(v *setup.WiringView) {
	v.Action, v.Preview, v.Submit = "/settings/wiring", "/settings/wiring/preview", "Save"
}

func (u *ui) wiringPage(w http.ResponseWriter, r *http.Request) {
	v := setup.NewWiringView(u.d.App.Settings().Wiring, u.d.App.Snapshot())
	if r.URL.Query().Get("saved") != "" {
		v.Form.Notice = "Saved."
	}
	u.wiringURLs(&v)
	web.Render(w, r, http.StatusOK, wiringPage(info(r, "wiring"), v))
}

func (u *ui) wiringPost(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	s := u.d.App.Settings()
	wiring, rows := setup.ParseWiring(f, s.Wiring, u.d.App.Snapshot())
	s.Wiring = wiring
	if setup.Save(u.d.App, f, s, nil) {
		saved(w, r, "wiring")
		return
	}
	v := setup.WiringView{Form: f, Wiring: wiring, Chargers: rows}
	u.wiringURLs(&v)
	web.Render(w, r, http.StatusUnprocessableEntity, wiringPage(info(r, "wiring"), v))
}

// Electrical.

var phaseOptions = []setup.Option{
	{Value: "1", Label: "Single-phase", Help: "One live wire: most homes in North America and many in Europe."},
	{Value: "3", Label: "Three-phase", Help: "Three live wires: common in Germany, Austria, Scandinavia and elsewhere."},
}

func (u *ui) electricalPage(w http.ResponseWriter, r *http.Request) {
	e := u.d.App.Settings().Electrical
	f := fresh(r)
	f.SetNum("electrical.volts", float64(e.Volts), false)
	f.Set("electrical.phases", strconv.Itoa(e.Phases))
	f.SetBool("electrical.measure", e.Measure)
	web.Render(w, r, http.StatusOK, electricalPage(info(r, "electrical"), f))
}

func (u *ui) electricalPost(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	s := u.d.App.Settings()
	s.Electrical = config.Electrical{
		Volts:   units.Volts(f.Num("electrical.volts", false)),
		Phases:  f.Int("electrical.phases", false),
		Measure: f.Bool("electrical.measure"),
	}
	if setup.Save(u.d.App, f, s, nil) {
		saved(w, r, "electrical")
		return
	}
	web.Render(w, r, http.StatusUnprocessableEntity, electricalPage(info(r, "electrical"), f))
}

// Adapter.

func (u *ui) adapterView(port string) setup.AdapterView {
	v := setup.NewAdapterView(u.d.App, port)
	v.Action = "/settings/adapter"
	return v
}

func (u *ui) adapterPage(w http.ResponseWriter, r *http.Request) {
	v := u.adapterView(u.d.App.Settings().Bus.Port)
	web.Render(w, r, http.StatusOK, adapterPage(info(r, "adapter"), v))
}

func (u *ui) adapterPost(w http.ResponseWriter, r *http.Request) {
	v, code := setup.AdapterPost(r, u.d.App, setup.Posted(r), u.adapterView)
	web.Render(w, r, code, adapterPage(info(r, "adapter"), v))
}

// Charging policy.

const untilLayout = "2006-01-02T15:04"

var thenOptions = []setup.Option{
	{Value: "", Label: "Stay in Now mode"},
	{Value: string(config.ModeSolar), Label: "Solar"},
	{Value: string(config.ModeMinSolar), Label: "Min + Solar"},
	{Value: string(config.ModeSchedule), Label: "Schedule"},
	{Value: string(config.ModeOff), Label: "Off"},
}

func (u *ui) policyPage(w http.ResponseWriter, r *http.Request) {
	p := u.d.App.Settings().Policy
	f := fresh(r)
	f.Set("policy.mode", string(p.Mode))
	f.SetNum("policy.charge_now.amps", float64(p.ChargeNow.Amps), false)
	if !p.ChargeNow.Until.IsZero() {
		f.Set("policy.charge_now.until", p.ChargeNow.Until.In(time.Local).Format(untilLayout))
	}
	f.Set("policy.charge_now.then", string(p.ChargeNow.Then))
	f.SetNum("policy.grid_import_cap_w", float64(p.GridImportCap), false)
	su := p.Surplus
	f.SetNum("policy.surplus.start_threshold_w", float64(su.StartThreshold), false)
	f.SetNum("policy.surplus.stop_threshold_w", float64(su.StopThreshold), false)
	f.SetSeconds("policy.surplus.start_delay", su.StartDelay, false)
	f.SetSeconds("policy.surplus.stop_delay", su.StopDelay, false)
	f.SetNum("policy.surplus.flex_amps", float64(su.FlexAmps), false)
	f.SetBool("policy.surplus.meter_includes_charger", su.MeterIncludesCharger)
	f.SetSeconds("policy.surplus.freshness", su.Freshness, false)
	f.SetNum("policy.surplus.battery_min_soc", su.BatteryMinSoC, false)
	f.Set("policy.stop_method", string(p.StopMethod))
	f.SetNum("policy.charge_limits.now", float64(p.Limits.Now), true)
	f.SetNum("policy.charge_limits.schedule", float64(p.Limits.Schedule), true)
	f.SetNum("policy.charge_limits.solar", float64(p.Limits.Solar), true)
	f.SetNum("policy.charge_limits.other", float64(p.Limits.Other), true)
	f.SetSeconds("policy.interval", p.Interval, false)
	web.Render(w, r, http.StatusOK, policyPage(info(r, "policy"), f, setup.StopMethods(p.StopMethod)))
}

func (u *ui) policyPost(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	s := u.d.App.Settings()
	cur := s.Policy.StopMethod
	p := &s.Policy
	p.Mode = config.Mode(f.Choice("policy.mode"))
	p.ChargeNow.Amps = f.Amps("policy.charge_now.amps", true)
	p.ChargeNow.Until = time.Time{}
	if t := f.Choice("policy.charge_now.until"); t != "" {
		until, err := time.ParseInLocation(untilLayout, t, time.Local)
		if err != nil {
			f.Fail("policy.charge_now.until", "Now mode ends at: "+t+" is not allowed. Allowed: a date and time such as 2025-06-01 18:00, or nothing.")
		}
		p.ChargeNow.Until = until
	}
	p.ChargeNow.Then = config.Mode(f.Choice("policy.charge_now.then"))
	p.GridImportCap = f.Watts("policy.grid_import_cap_w", true)
	su := &p.Surplus
	su.StartThreshold = f.Watts("policy.surplus.start_threshold_w", true)
	su.StopThreshold = f.Watts("policy.surplus.stop_threshold_w", true)
	su.StartDelay = f.Seconds("policy.surplus.start_delay", true)
	su.StopDelay = f.Seconds("policy.surplus.stop_delay", true)
	su.FlexAmps = f.Amps("policy.surplus.flex_amps", true)
	su.MeterIncludesCharger = f.Bool("policy.surplus.meter_includes_charger")
	su.Freshness = f.Seconds("policy.surplus.freshness", false)
	su.BatteryMinSoC = f.Num("policy.surplus.battery_min_soc", true)
	p.StopMethod = config.StopMethod(f.Choice("policy.stop_method"))
	p.Limits = config.ChargeLimits{
		Now:      f.Int("policy.charge_limits.now", true),
		Schedule: f.Int("policy.charge_limits.schedule", true),
		Solar:    f.Int("policy.charge_limits.solar", true),
		Other:    f.Int("policy.charge_limits.other", true),
	}
	p.Interval = f.Seconds("policy.interval", false)
	if setup.Save(u.d.App, f, s, nil) {
		saved(w, r, "policy")
		return
	}
	web.Render(w, r, http.StatusUnprocessableEntity, policyPage(info(r, "policy"), f, setup.StopMethods(cur)))
}

// Schedule.

// weekdays in the order people read a week, Monday first.
var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

var actionOptions = []setup.Option{
	{Value: string(config.ActionSolar), Label: "Follow the sun", Help: "Charge from surplus solar power, as in Solar mode."},
	{Value: string(config.ActionFixed), Label: "Charge at a fixed current", Help: "At the current given below."},
	{Value: string(config.ActionOff), Label: "Do not charge"},
}

func clock(minute int) string {
	return strconv.Itoa(minute/60/10) + strconv.Itoa(minute/60%10) + ":" + strconv.Itoa(minute%60/10) + strconv.Itoa(minute%10)
}

func (u *ui) schedulePage(w http.ResponseWriter, r *http.Request) {
	p := u.d.App.Settings().Policy
	sc := p.Schedule
	f := fresh(r)
	for _, d := range weekdays {
		if sc.Days[d] {
			f.Values.Add("policy.schedule.days", strconv.Itoa(int(d)))
		}
	}
	f.Set("policy.schedule.start_minute", clock(sc.StartMinute))
	f.Set("policy.schedule.end_minute", clock(sc.EndMinute))
	f.SetNum("policy.schedule.amps", float64(sc.Amps), false)
	f.SetBool("policy.schedule.finish_by", sc.FinishBy)
	f.SetNum("policy.schedule.battery_kwh", sc.BatteryKWh, false)
	f.Set("policy.non_scheduled.action", string(p.NonScheduled.Action))
	f.SetNum("policy.non_scheduled.amps", float64(p.NonScheduled.Amps), false)
	web.Render(w, r, http.StatusOK, schedulePage(info(r, "schedule"), f, p.Mode))
}

func (u *ui) schedulePost(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	s := u.d.App.Settings()
	sc := &s.Policy.Schedule
	f.Handles("policy.schedule.days")
	for _, d := range weekdays {
		sc.Days[d] = f.Has("policy.schedule.days", strconv.Itoa(int(d)))
	}
	sc.StartMinute = f.Clock("policy.schedule.start_minute")
	sc.EndMinute = f.Clock("policy.schedule.end_minute")
	sc.Amps = f.Amps("policy.schedule.amps", true)
	sc.FinishBy = f.Bool("policy.schedule.finish_by")
	sc.BatteryKWh = f.Num("policy.schedule.battery_kwh", true)
	s.Policy.NonScheduled = config.NonScheduled{
		Action: config.NonScheduledAction(f.Choice("policy.non_scheduled.action")),
		Amps:   f.Amps("policy.non_scheduled.amps", true),
	}
	if setup.Save(u.d.App, f, s, nil) {
		saved(w, r, "schedule")
		return
	}
	web.Render(w, r, http.StatusUnprocessableEntity, schedulePage(info(r, "schedule"), f, s.Policy.Mode))
}

// Offsets.

func offsetName(i int, field string) string {
	return "policy.offsets[" + strconv.Itoa(i) + "]." + field
}

// offsetsForm shows offsets and one empty row to add another.
func offsetsForm(f *setup.Form, os []config.Offset) int {
	for i, o := range os {
		f.Set(offsetName(i, "name"), o.Name)
		f.SetNum(offsetName(i, "value"), o.Value, false)
		f.Set(offsetName(i, "unit"), string(o.Unit))
	}
	n := len(os)
	f.Set(offsetName(n, "unit"), string(config.UnitWatts))
	return n + 1
}

func (u *ui) offsetsPage(w http.ResponseWriter, r *http.Request) {
	f := fresh(r)
	rows := offsetsForm(f, u.d.App.Settings().Policy.Offsets)
	web.Render(w, r, http.StatusOK, offsetsPage(info(r, "offsets"), f, rows))
}

var unitOptions = []setup.Option{{Value: "W", Label: "W"}, {Value: "A", Label: "A"}}

func (u *ui) offsetsPost(w http.ResponseWriter, r *http.Request) {
	in := setup.Posted(r)
	rows, _ := strconv.Atoi(in.Get("rows"))
	rows = min(max(rows, 0), 100)
	remove := in.Get("remove")
	// The rows kept, renumbered: a removed row and an untouched empty one
	// go; the errors Validate gives then match the rows shown.
	f := setup.NewForm()
	var offsets []config.Offset
	for i := range rows {
		name, value, unit := in.Values.Get(offsetName(i, "name")), in.Get(offsetName(i, "value")), in.Get(offsetName(i, "unit"))
		if strconv.Itoa(i) == remove || strings.TrimSpace(name) == "" && value == "" {
			continue
		}
		j := len(offsets)
		f.Set(offsetName(j, "name"), name)
		f.Set(offsetName(j, "value"), value)
		f.Set(offsetName(j, "unit"), unit)
		offsets = append(offsets, config.Offset{
			Name:  strings.TrimSpace(f.Choice(offsetName(j, "name"))),
			Value: f.Num(offsetName(j, "value"), false),
			Unit:  config.OffsetUnit(f.Choice(offsetName(j, "unit"))),
		})
	}
	s := u.d.App.Settings()
	s.Policy.Offsets = offsets
	if setup.Save(u.d.App, f, s, nil) {
		saved(w, r, "offsets")
		return
	}
	n := len(offsets)
	f.Set(offsetName(n, "unit"), string(config.UnitWatts))
	web.Render(w, r, http.StatusUnprocessableEntity, offsetsPage(info(r, "offsets"), f, n+1))
}

// Energy sources.

func (u *ui) sourcesPage(w http.ResponseWriter, r *http.Request) {
	u.renderSources(w, r, http.StatusOK, sourcesNotice(r.URL.Query()))
}

func sourcesNotice(q url.Values) *setup.Form {
	f := setup.NewForm()
	switch {
	case q.Get("saved") != "":
		f.Notice = "Saved: " + q.Get("saved") + "."
	case q.Get("removed") != "":
		f.Notice = "Removed: " + q.Get("removed") + "."
	}
	return f
}

func (u *ui) renderSources(w http.ResponseWriter, r *http.Request, code int, f *setup.Form) {
	web.Render(w, r, code, sourcesPage(info(r, "sources"), f, u.d.App.Settings().Sources, u.kindLabels(), u.d.App.Energy(), u.d.App.SourceKinds()))
}

func (u *ui) sourceNew(w http.ResponseWriter, r *http.Request) {
	kinds := u.d.App.SourceKinds()
	k, ok := setup.KindByName(kinds, r.URL.Query().Get("kind"))
	if !ok {
		f := setup.NewForm()
		if kind := r.URL.Query().Get("kind"); kind != "" {
			f.Problem = "There is no source type " + strconv.Quote(kind) + ": choose one from the list."
		}
		web.Render(w, r, http.StatusOK, sourceChoosePage(info(r, "sources"), f, kinds))
		return
	}
	v := setup.NewSourceView(k, config.Source{}, u.d.App.Settings().Sources)
	v.Action = "/settings/sources/save"
	web.Render(w, r, http.StatusOK, sourcePage(info(r, "sources"), v))
}

func (u *ui) sourceEdit(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	srcs := u.d.App.Settings().Sources
	i := slices.IndexFunc(srcs, func(s config.Source) bool { return s.Name == name })
	if i < 0 {
		f := setup.NewForm()
		f.Problem = "There is no energy source " + strconv.Quote(name) + "."
		u.renderSources(w, r, http.StatusNotFound, f)
		return
	}
	k, ok := setup.KindByName(u.d.App.SourceKinds(), srcs[i].Kind)
	if !ok {
		f := setup.NewForm()
		f.Problem = "The source " + strconv.Quote(name) + " is of a type this version does not know (" + srcs[i].Kind + "): remove it and add it again."
		u.renderSources(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	v := setup.NewSourceView(k, srcs[i], srcs)
	v.Action = "/settings/sources/save"
	web.Render(w, r, http.StatusOK, sourcePage(info(r, "sources"), v))
}

func (u *ui) sourceSave(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	k, ok := setup.KindByName(u.d.App.SourceKinds(), f.Get("kind"))
	if !ok {
		f.Problem = "There is no source type " + strconv.Quote(f.Get("kind")) + ": choose one from the list."
		web.Render(w, r, http.StatusUnprocessableEntity, sourceChoosePage(info(r, "sources"), f, u.d.App.SourceKinds()))
		return
	}
	srcs := u.d.App.Settings().Sources
	var orig *config.Source
	if name := f.Get("orig"); name != "" {
		i := slices.IndexFunc(srcs, func(s config.Source) bool { return s.Name == name })
		if i < 0 {
			nf := setup.NewForm()
			nf.Problem = "There is no energy source " + strconv.Quote(name) + " any more: nothing was saved."
			u.renderSources(w, r, http.StatusNotFound, nf)
			return
		}
		orig = &srcs[i]
	}
	v := setup.PostedSource(f, k, orig)
	v.Action = "/settings/sources/save"
	if f.Get("action") == "test" {
		v.Test(r.Context(), u.d.App)
		code := http.StatusOK
		if f.HasErrors() {
			code = http.StatusUnprocessableEntity
		}
		web.Render(w, r, code, sourcePage(info(r, "sources"), v))
		return
	}
	if v.Save(u.d.App) {
		http.Redirect(w, r, "/settings/sources?saved="+url.QueryEscape(f.Get("name")), http.StatusSeeOther)
		return
	}
	web.Render(w, r, http.StatusUnprocessableEntity, sourcePage(info(r, "sources"), v))
}

func (u *ui) sourceRemove(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	name := f.Get("name")
	s := u.d.App.Settings()
	i := slices.IndexFunc(s.Sources, func(src config.Source) bool { return src.Name == name })
	if i < 0 {
		f.Problem = "There is no energy source " + strconv.Quote(name) + "."
		u.renderSources(w, r, http.StatusNotFound, f)
		return
	}
	s.Sources = slices.Delete(s.Sources, i, i+1)
	if !setup.Save(u.d.App, f, s, nil) {
		u.renderSources(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/settings/sources?removed="+url.QueryEscape(name), http.StatusSeeOther)
}

// Web.

func (u *ui) webPage(w http.ResponseWriter, r *http.Request) {
	f := fresh(r)
	f.SetBool("web.public_dashboard", u.d.App.Settings().Web.PublicDashboard)
	web.Render(w, r, http.StatusOK, webPage(info(r, "web"), f))
}

func (u *ui) webPost(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	s := u.d.App.Settings()
	s.Web.PublicDashboard = f.Bool("web.public_dashboard")
	if setup.Save(u.d.App, f, s, nil) {
		saved(w, r, "web")
		return
	}
	web.Render(w, r, http.StatusUnprocessableEntity, webPage(info(r, "web"), f))
}

// Password.

func (u *ui) passwordPage(w http.ResponseWriter, r *http.Request) {
	f := fresh(r)
	if f.Notice != "" {
		f.Notice = "Saved: the new password is in force. Other browsers stay logged in until they log out."
	}
	web.Render(w, r, http.StatusOK, passwordPage(info(r, "password"), f))
}

func (u *ui) passwordPost(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	addr := web.ClientAddr(r)
	// A stolen session must not be a way to guess the password quickly.
	if d := u.d.Sessions.LoginDelay(addr); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	current := f.Values.Get("current")
	f.Values.Del("current") // never sent back
	f.Handles("current")
	hash, err := u.d.App.Secret(web.AdminHashSecret)
	if err != nil || !web.CheckLogin(hash, web.AdminUser, current) {
		u.d.Sessions.Failed(addr)
		f.Fail("current", "Current password: this is not the admin password. Allowed: the password you log in with.")
	} else {
		u.d.Sessions.Succeeded(addr)
	}
	pw := setup.CheckNewPassword(f, "new", "new_repeat")
	if f.HasErrors() {
		web.Render(w, r, http.StatusUnprocessableEntity, passwordPage(info(r, "password"), f))
		return
	}
	h, err := web.HashPassword(pw)
	if err == nil {
		err = u.d.App.SetSecret(web.AdminHashSecret, h)
	}
	if err != nil {
		f.Problem = "The password could not be saved: " + err.Error()
		web.Render(w, r, http.StatusInternalServerError, passwordPage(info(r, "password"), f))
		return
	}
	// A new session id after a password change, as after a login.
	u.d.Sessions.Login(w, r, web.SessionOf(r))
	saved(w, r, "password")
}

func urlEscape(s string) string { return url.QueryEscape(s) }
