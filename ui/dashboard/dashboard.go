package dashboard

import (
	"net/http"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/ui/web"
)

// Register adds the dashboard's routes.
func Register(mux *http.ServeMux, d web.Deps) {
	h := &handler{d: d, now: time.Now, tick: eventEvery}
	mux.HandleFunc("GET /{$}", h.page)
	mux.HandleFunc("GET /events", h.events)
	mux.HandleFunc("POST /mode", h.setMode)
}

type handler struct {
	d        web.Deps
	now      func() time.Time
	tick     time.Duration
	sessions sessionCache
}

// view is the whole dashboard.
type view struct {
	Admin bool
	// Monitor is set in monitor mode: twcmanager only listens.
	Monitor  bool
	Chargers chargersView
	Flow     flowView
	Mode     modeView
	Why      whyView
	Faults   []string
}

// build reads everything the dashboard shows. form and errs, when set, are
// a mode form sent back with its problems.
func (h *handler) build(r *http.Request, form *modeForm, errs modeErrors) view {
	app := h.d.App
	ss := web.SessionOf(r)
	now := h.now()
	snap, s := app.Snapshot(), app.Settings()
	w := why(app.Decisions(1))
	if snap.Monitor {
		w = monitorWhy(snap)
	}
	return view{
		Admin:    ss.Admin(),
		Monitor:  snap.Monitor,
		Chargers: h.chargers(snap, s, now),
		Flow:     flow(app.Energy(), carsWatts(snap, s.Electrical), s, now),
		Mode:     newModeView(ss, s, now, form, errs),
		Why:      w,
		Faults:   append(faults(snap), app.Problems()...),
	}
}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	web.Render(w, r, http.StatusOK, dashboardPage(web.Info(r, "Dashboard", "dashboard"), h.build(r, nil, modeErrors{})))
}

// setMode switches the charging mode. Without JavaScript it answers a
// redirect to the dashboard (or the page with the form's errors); an htmx
// request gets the mode section back. htmx does not swap error answers, so
// it gets its errors with 200.
func (h *handler) setMode(w http.ResponseWriter, r *http.Request) {
	if !web.SessionOf(r).Admin() {
		http.Error(w, "Log in to change the mode.", http.StatusForbidden)
		return
	}
	f := modeForm{Mode: r.PostFormValue("mode"), Amps: r.PostFormValue("amps"), Duration: r.PostFormValue("duration")}
	app := h.d.App
	now := h.now()
	s := app.Settings()
	status := http.StatusUnprocessableEntity
	errs := apply(&s, f, now)
	if !errs.any() {
		if err := app.SetSettings(s); err != nil {
			errs = fieldErrors(err, s, f)
			if _, invalid := config.AsErrors(err); !invalid {
				status = http.StatusInternalServerError
				h.d.Log.Error("dashboard: mode not saved", "err", err)
			}
		} else {
			h.d.Log.Info("dashboard: mode changed", "mode", f.Mode)
		}
	}
	htmx := r.Header.Get("HX-Request") != ""
	if !errs.any() {
		if htmx {
			web.Render(w, r, http.StatusOK, modeSection(newModeView(web.SessionOf(r), app.Settings(), now, nil, modeErrors{})))
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if htmx {
		web.Render(w, r, http.StatusOK, modeSection(newModeView(web.SessionOf(r), app.Settings(), now, &f, errs)))
		return
	}
	web.Render(w, r, status, dashboardPage(web.Info(r, "Dashboard", "dashboard"), h.build(r, &f, errs)))
}
