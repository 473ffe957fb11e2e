// Package setup is the first-boot wizard: the admin password, the RS-485
// adapter, the wiring limits, the energy source, how to stop a car, and the
// mode to start in. Each step is checked on the server and keeps what was
// typed on an error.
//
// It also holds the form machinery the settings pages share with it: Form
// (typed text and field errors keyed by the settings' dotted paths), the
// wiring and energy source forms, and the adapter search.
package setup

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/ui/web"
)

// The wizard's steps, in order.
const (
	stepPassword = iota
	stepAdapter
	stepWiring
	stepEnergy
	stepCar
	stepDone
)

type step struct{ Label, Path string }

var steps = []step{
	stepPassword: {"Password", "/setup"},
	stepAdapter:  {"Adapter", "/setup/adapter"},
	stepWiring:   {"Wiring", "/setup/wiring"},
	stepEnergy:   {"Energy", "/setup/energy"},
	stepCar:      {"Car", "/setup/car"},
	stepDone:     {"Start", "/setup/done"},
}

// ProgressSecret is where the wizard keeps how many steps are finished, so
// that it continues where the user left off, even after a restart.
const ProgressSecret = "setup/progress"

// maxPasswordBytes is bcrypt's limit.
const maxPasswordBytes = 72

type wizard struct {
	d  web.Deps
	mu sync.Mutex // serialises setting the first password
}

// Register adds the wizard's routes under /setup.
func Register(mux *http.ServeMux, d web.Deps) {
	z := &wizard{d: d}
	mux.HandleFunc("GET /setup", z.passwordPage)
	mux.HandleFunc("POST /setup", z.setPassword)
	mux.HandleFunc("GET /setup/adapter", z.admin(z.adapterPage))
	mux.HandleFunc("POST /setup/adapter", z.admin(z.adapterPost))
	mux.HandleFunc("GET /setup/wiring", z.admin(z.wiringPage))
	mux.HandleFunc("POST /setup/wiring", z.admin(z.wiringPost))
	mux.HandleFunc("POST /setup/wiring/preview", z.admin(WiringPreview(d)))
	mux.HandleFunc("GET /setup/energy", z.admin(z.energyPage))
	mux.HandleFunc("POST /setup/energy", z.admin(z.energyPost))
	mux.HandleFunc("GET /setup/car", z.admin(z.carPage))
	mux.HandleFunc("POST /setup/car", z.admin(z.carPost))
	mux.HandleFunc("POST /setup/car/next", z.admin(z.carNext))
	z.carActions().Register(mux)
	mux.HandleFunc("GET /setup/done", z.admin(z.donePage))
	mux.HandleFunc("POST /setup/done", z.admin(z.donePost))
}

func (z *wizard) hasAdmin() bool {
	h, err := z.d.App.Secret(web.AdminHashSecret)
	return err == nil && h.IsSet()
}

// admin guards the steps after the password: before a password exists the
// server lets anyone reach /setup/…, so these send them to the first step.
func (z *wizard) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !z.hasAdmin():
			http.Redirect(w, r, "/setup", http.StatusSeeOther)
		case !web.SessionOf(r).Admin():
			http.Redirect(w, r, "/login?next="+r.URL.Path, http.StatusSeeOther)
		default:
			h(w, r)
		}
	}
}

// progress is the number of finished steps.
func (z *wizard) progress() int {
	s, err := z.d.App.Secret(ProgressSecret)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(s.Reveal())
	if z.hasAdmin() {
		n = max(n, stepPassword+1)
	}
	return min(n, len(steps))
}

// finished records that step i is done.
func (z *wizard) finished(i int) {
	if z.progress() < i+1 {
		if err := z.d.App.SetSecret(ProgressSecret, secret.New(strconv.Itoa(i+1))); err != nil && z.d.Log != nil {
			z.d.Log.Warn("setup: saving the wizard's progress", "err", err)
		}
	}
}

// next is where a logged-in admin continues the wizard.
func (z *wizard) next() string {
	if z.d.App.Settings().SetupDone {
		return "/"
	}
	return steps[min(z.progress(), stepDone)].Path
}

func (z *wizard) info(r *http.Request, title string) web.PageInfo {
	return web.PageInfo{Title: "Setup: " + title, Session: web.SessionOf(r), Bare: true}
}

func (z *wizard) passwordPage(w http.ResponseWriter, r *http.Request) {
	if z.hasAdmin() {
		z.continueAt(w, r)
		return
	}
	web.Render(w, r, http.StatusOK, passwordPage(z.info(r, "password"), NewForm()))
}

func (z *wizard) continueAt(w http.ResponseWriter, r *http.Request) {
	if !web.SessionOf(r).Admin() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, z.next(), http.StatusSeeOther)
}

func (z *wizard) setPassword(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.hasAdmin() {
		// Never replace the password here: that is the settings page's
		// job, and it asks for the current one.
		z.continueAt(w, r)
		return
	}
	f := Posted(r)
	pw := CheckNewPassword(f, "password", "repeat")
	if f.HasErrors() {
		web.Render(w, r, http.StatusUnprocessableEntity, passwordPage(z.info(r, "password"), f))
		return
	}
	hash, err := web.HashPassword(pw)
	if err == nil {
		err = z.d.App.SetSecret(web.AdminHashSecret, hash)
	}
	if err != nil {
		f.Problem = "The password could not be saved: " + err.Error()
		web.Render(w, r, http.StatusInternalServerError, passwordPage(z.info(r, "password"), f))
		return
	}
	z.d.Sessions.Login(w, r, web.SessionOf(r))
	z.finished(stepPassword)
	http.Redirect(w, r, steps[stepAdapter].Path, http.StatusSeeOther)
}

// CheckNewPassword checks a new admin password and its repetition, puts
// what is wrong on f, and returns the password.
func CheckNewPassword(f *Form, name, repeat string) string {
	pw := f.Values.Get(name)
	f.Handles(name, repeat)
	label, again := f.Spec(name).Label, f.Spec(repeat).Label
	switch n := utf8.RuneCountInString(pw); {
	case n < web.MinPasswordLen:
		f.Fail(name, label+": "+strconv.Itoa(n)+" characters is too short. Allowed: at least "+strconv.Itoa(web.MinPasswordLen)+" characters.")
	case len(pw) > maxPasswordBytes:
		f.Fail(name, label+": too long. Allowed: at most "+strconv.Itoa(maxPasswordBytes)+" bytes (72 plain letters, fewer with accents or symbols).")
	}
	if f.Values.Get(repeat) != pw {
		f.Fail(repeat, again+": it does not match the "+strings.ToLower(label)+". Allowed: the same password again.")
	}
	return pw
}

func (z *wizard) adapterView(port string) AdapterView {
	v := NewAdapterView(z.d.App, port)
	v.Action, v.Wizard = steps[stepAdapter].Path, true
	return v
}

func (z *wizard) adapterPage(w http.ResponseWriter, r *http.Request) {
	v := z.adapterView(z.d.App.Settings().Bus.Port)
	web.Render(w, r, http.StatusOK, adapterPage(z.info(r, "adapter"), z.progress(), v))
}

func (z *wizard) adapterPost(w http.ResponseWriter, r *http.Request) {
	f := Posted(r)
	if f.Get("action") == "next" {
		z.finished(stepAdapter)
		http.Redirect(w, r, steps[stepWiring].Path, http.StatusSeeOther)
		return
	}
	v, status := AdapterPost(r, z.d.App, f, z.adapterView)
	if status == http.StatusOK && f.Get("action") == "use" {
		z.finished(stepAdapter)
	}
	web.Render(w, r, status, adapterPage(z.info(r, "adapter"), z.progress(), v))
}

// AdapterPost handles the adapter form: "use" switches to the adapter and
// bus mode chosen and looks for chargers; "test" only looks. view makes the
// page's view for a port.
func AdapterPost(r *http.Request, app web.App, f *Form, view func(port string) AdapterView) (AdapterView, int) {
	port := f.Get("port")
	v := view(port)
	v.Form = f
	f.Handles("port", "bus.monitor")
	if f.Get("action") == "use" {
		monitor, ok := parseBusMode(f, app.Settings().Bus.Monitor)
		if !ok {
			return v, http.StatusUnprocessableEntity
		}
		known := port == "" || port == app.Settings().Bus.Port ||
			slices.ContainsFunc(v.Adapters, func(a rs485.Adapter) bool { return a.Path == port && a.Supported })
		if !known {
			f.Fail("port", "Adapter: "+port+" is not allowed. Allowed: one of the supported adapters listed, or detect automatically.")
			return v, http.StatusUnprocessableEntity
		}
		if err := app.UsePort(r.Context(), port); err != nil {
			if _, ok := config.AsErrors(err); ok {
				f.Apply(err, func(s string) string {
					if s == "bus.port" {
						return "port"
					}
					return s
				})
			} else {
				f.Fail("port", "Adapter: "+portName(port)+" could not be used: "+err.Error()+". Allowed: an adapter that is plugged in, or detect automatically.")
			}
			return v, http.StatusUnprocessableEntity
		}
		if s := app.Settings(); s.Bus.Monitor != monitor {
			s.Bus.Monitor = monitor
			if !Save(app, f, s, nil) {
				return v, http.StatusUnprocessableEntity
			}
		}
		f.Notice = "Saved: twcmanager now uses " + portName(port) + "."
		if monitor {
			f.Notice += " It only listens to the bus (monitor mode). " + MonitorSentence
		}
	}
	v.Result = LookForChargers(r.Context(), app)
	return v, http.StatusOK
}

func busModeValue(monitor bool) string {
	if monitor {
		return BusMonitor
	}
	return BusControl
}

// parseBusMode reads the bus mode; a form without one (a page from before
// monitor mode) keeps the mode in force, cur.
func parseBusMode(f *Form, cur bool) (monitor, ok bool) {
	switch v := f.Get("bus.monitor"); v {
	case "":
		return cur, true
	case BusControl:
		return false, true
	case BusMonitor:
		return true, true
	default:
		f.Fail("bus.monitor", "What twcmanager does on the bus: "+strconv.Quote(v)+" is not allowed. Allowed: control or monitor.")
		return false, false
	}
}

func portName(p string) string {
	if p == "" {
		return "the adapter it detects automatically"
	}
	return p
}

func (z *wizard) wiringView(w config.Wiring) WiringView {
	v := NewWiringView(w, z.d.App.Snapshot())
	z.wiringURLs(&v)
	return v
}

func (z *wizard) wiringURLs(v *WiringView) {
	v.Action, v.Preview, v.Submit = steps[stepWiring].Path, steps[stepWiring].Path+"/preview", "Save and continue"
}

func (z *wizard) wiringPage(w http.ResponseWriter, r *http.Request) {
	v := z.wiringView(z.d.App.Settings().Wiring)
	web.Render(w, r, http.StatusOK, wiringPage(z.info(r, "wiring"), z.progress(), v))
}

func (z *wizard) wiringPost(w http.ResponseWriter, r *http.Request) {
	f := Posted(r)
	s := z.d.App.Settings()
	wiring, rows := ParseWiring(f, s.Wiring, z.d.App.Snapshot())
	s.Wiring = wiring
	if Save(z.d.App, f, s, nil) {
		z.finished(stepWiring)
		http.Redirect(w, r, steps[stepEnergy].Path, http.StatusSeeOther)
		return
	}
	v := WiringView{Form: f, Wiring: wiring, Chargers: rows}
	z.wiringURLs(&v)
	web.Render(w, r, http.StatusUnprocessableEntity, wiringPage(z.info(r, "wiring"), z.progress(), v))
}

func (z *wizard) energyPage(w http.ResponseWriter, r *http.Request) {
	kinds := z.d.App.SourceKinds()
	s := z.d.App.Settings()
	q := r.URL.Query()
	kind := q.Get("kind")
	if kind == "" && q.Get("choose") == "" && len(s.Sources) > 0 {
		kind = s.Sources[0].Kind
	}
	info := z.info(r, "energy")
	switch k, ok := KindByName(kinds, kind); {
	case kind == "none":
		web.Render(w, r, http.StatusOK, energyNonePage(info, z.progress(), len(s.Sources)))
	case ok:
		web.Render(w, r, http.StatusOK, energySourcePage(info, z.progress(), z.sourceView(k, s)))
	default:
		selected := kind
		if selected == "" && len(s.Sources) > 0 {
			selected = s.Sources[0].Kind
		}
		f := NewForm()
		if kind != "" {
			f.Problem = "There is no source type " + strconv.Quote(kind) + ": choose one from the list."
		}
		web.Render(w, r, http.StatusOK, energyChoosePage(info, z.progress(), kinds, selected, f))
	}
}

// sourceView is the wizard's source form: it edits the first source, or
// replaces it by one of another type.
func (z *wizard) sourceView(k energy.Kind, s config.Settings) SourceView {
	var v SourceView
	switch {
	case len(s.Sources) > 0 && s.Sources[0].Kind == k.Name:
		v = NewSourceView(k, s.Sources[0], s.Sources)
	case len(s.Sources) > 0:
		v = NewSourceView(k, config.Source{}, s.Sources[1:])
		v.Orig = s.Sources[0].Name
		v.Form.Set("orig", v.Orig)
	default:
		v = NewSourceView(k, config.Source{}, nil)
	}
	v.Others = max(len(s.Sources)-1, 0)
	v.Action, v.Wizard = steps[stepEnergy].Path, true
	return v
}

func (z *wizard) energyPost(w http.ResponseWriter, r *http.Request) {
	f := Posted(r)
	s := z.d.App.Settings()
	info := z.info(r, "energy")
	if f.Get("action") == "none" {
		s.Sources = nil
		if Save(z.d.App, f, s, nil) {
			z.finished(stepEnergy)
			http.Redirect(w, r, steps[stepCar].Path, http.StatusSeeOther)
			return
		}
		web.Render(w, r, http.StatusUnprocessableEntity, energyChoosePage(info, z.progress(), z.d.App.SourceKinds(), "none", f))
		return
	}
	k, ok := KindByName(z.d.App.SourceKinds(), f.Get("kind"))
	if !ok {
		f.Problem = "There is no source type " + strconv.Quote(f.Get("kind")) + ": choose one from the list."
		web.Render(w, r, http.StatusUnprocessableEntity, energyChoosePage(info, z.progress(), z.d.App.SourceKinds(), "", f))
		return
	}
	var orig *config.Source
	if i := slices.IndexFunc(s.Sources, func(o config.Source) bool { return o.Name == f.Get("orig") }); i >= 0 {
		orig = &s.Sources[i]
	}
	v := PostedSource(f, k, orig)
	v.Action, v.Wizard = steps[stepEnergy].Path, true
	v.Others = max(len(s.Sources)-1, 0)
	if f.Get("action") == "test" {
		v.Test(r.Context(), z.d.App)
		web.Render(w, r, statusOf(f), energySourcePage(info, z.progress(), v))
		return
	}
	if v.Save(z.d.App) {
		z.finished(stepEnergy)
		http.Redirect(w, r, steps[stepCar].Path, http.StatusSeeOther)
		return
	}
	web.Render(w, r, http.StatusUnprocessableEntity, energySourcePage(info, z.progress(), v))
}

func statusOf(f *Form) int {
	if f.HasErrors() {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

func (z *wizard) carActions() CarActions {
	return CarActions{App: z.d.App, Base: steps[stepCar].Path, Wizard: true, Wrap: z.admin,
		Render: func(w http.ResponseWriter, r *http.Request, code int, v CarView) {
			web.Render(w, r, code, carPage(z.info(r, "car"), z.progress(), v))
		}}
}

func (z *wizard) carPage(w http.ResponseWriter, r *http.Request) {
	v := z.carActions().view()
	if r.URL.Query().Get("saved") != "" {
		v.Form.Notice = "Saved. Finish the steps below now, or later in Settings → Car."
	}
	web.Render(w, r, http.StatusOK, carPage(z.info(r, "car"), z.progress(), v))
}

func (z *wizard) carPost(w http.ResponseWriter, r *http.Request) {
	v, ok := CarPost(z.d.App, r, steps[stepCar].Path)
	v.Wizard = true
	if !ok {
		web.Render(w, r, http.StatusUnprocessableEntity, carPage(z.info(r, "car"), z.progress(), v))
		return
	}
	if z.d.App.Settings().Vehicle.Connection == config.CarNone {
		z.finished(stepCar)
		http.Redirect(w, r, steps[stepDone].Path, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, steps[stepCar].Path+"?saved=1", http.StatusSeeOther)
}

// carNext leaves the car step with the connection as it is.
func (z *wizard) carNext(w http.ResponseWriter, r *http.Request) {
	z.finished(stepCar)
	http.Redirect(w, r, steps[stepDone].Path, http.StatusSeeOther)
}

// summary is what the last step shows.
type summary struct {
	Settings config.Settings
	Chargers []string
	Kinds    map[string]string // labels by name
}

func (z *wizard) summary() summary {
	sum := summary{Settings: z.d.App.Settings(), Kinds: map[string]string{}}
	for _, c := range z.d.App.Snapshot().Chargers {
		sum.Chargers = append(sum.Chargers, c.ID.String())
	}
	for _, k := range z.d.App.SourceKinds() {
		sum.Kinds[k.Name] = k.Label
	}
	return sum
}

func modeForm(f *Form) *Form {
	f.Define("policy.mode", Spec{Label: "Start charging in this mode"})
	return f
}

func (z *wizard) donePage(w http.ResponseWriter, r *http.Request) {
	sum := z.summary()
	f := modeForm(NewForm())
	mode := sum.Settings.Policy.Mode
	if mode == config.ModeSchedule {
		mode = config.ModeSolar
	}
	f.Set("policy.mode", string(mode))
	f.SetBool("api.compat_open_writes", sum.Settings.API.CompatOpenWrites)
	web.Render(w, r, http.StatusOK, donePage(z.info(r, "start"), z.progress(), sum, f))
}

func (z *wizard) donePost(w http.ResponseWriter, r *http.Request) {
	f := modeForm(Posted(r))
	s := z.d.App.Settings()
	s.Policy.Mode = config.Mode(f.Choice("policy.mode"))
	s.API.CompatOpenWrites = f.Bool("api.compat_open_writes")
	s.SetupDone = true
	if Save(z.d.App, f, s, nil) {
		z.finished(stepDone)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	web.Render(w, r, http.StatusUnprocessableEntity, donePage(z.info(r, "start"), z.progress(), z.summary(), f))
}
