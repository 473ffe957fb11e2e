package setup

import (
	"net/http"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/ui/web"
)

// CarView is the car connection form with the connection's state. Base is
// where its forms post: /setup/car in the wizard, /settings/car in the
// settings; the login, finish, test and logout actions hang below it.
type CarView struct {
	Form   *Form
	Car    web.CarView
	Base   string
	Wizard bool
	// Stops are the stop methods to choose from (the wizard asks both).
	Stops []Option
	// Tested is what a test of the connection found.
	Tested string
}

// carSecrets are the secret fields of the car form and where they are kept.
var carSecrets = SecretFields{
	"vehicle.client_secret": config.TeslaClientSecret,
	"vehicle.proxy_token":   config.TeslaProxyToken,
}

// ConnectionOptions are the ways to reach the car.
var ConnectionOptions = []Option{
	{config.CarNone, "None", "Cars are stopped at the charger, as chosen below."},
	{config.CarDirect, "My own Tesla developer app",
		"You register an application at developer.tesla.com (free; Tesla bills the calls beyond $10 a month). twcmanager signs the commands itself."},
	{config.CarProxy, "A command proxy",
		"A proxy that speaks Tesla's Fleet API and signs commands: tesla-http-proxy on your network, a Bluetooth proxy near the car, or a hosted service."},
}

// RegionOptions are the Fleet API's regions.
var RegionOptions = []Option{
	{"na", "North America and Asia-Pacific", ""},
	{"eu", "Europe, Middle East and Africa", ""},
	{"cn", "China", ""},
}

// NewCarView fills the car form from the settings in force.
func NewCarView(app web.App, base string) CarView {
	s := app.Settings()
	f := NewForm()
	v := s.Vehicle
	f.Set("vehicle.connection", v.Connection)
	f.Set("vehicle.client_id", v.ClientID)
	f.Set("vehicle.region", v.Region)
	f.Set("vehicle.domain", v.Domain)
	f.Set("vehicle.redirect_uri", v.RedirectURI)
	f.Set("vehicle.proxy_url", v.ProxyURL)
	f.Set("vehicle.proxy_ca_cert", v.ProxyCACert)
	f.SetBool("vehicle.proxy_insecure", v.ProxyInsecure)
	f.SetNum("vehicle.monthly_budget_usd", v.MonthlyBudget, false)
	f.SetSeconds("vehicle.min_cycle", v.MinCycle, false)
	f.SetSeconds("vehicle.cache_for", v.CacheFor, false)
	f.SetBool("vehicle.respect_schedule", v.RespectSchedule)
	f.Set("policy.stop_method", string(s.Policy.StopMethod))
	carSecrets.Show(app, f)
	return CarView{Form: f, Car: app.Car(), Base: base, Stops: CarStopMethods(s.Policy.StopMethod, v.Connection)}
}

// CarStopMethods are the stop methods, asking the car first when a car
// connection exists or was chosen.
func CarStopMethods(current config.StopMethod, connection string) []Option {
	out := StopMethods(config.StopOfferZero)
	if connection != config.CarNone || current == config.StopCarAPI {
		out = append([]Option{{string(config.StopCarAPI), "Ask the car",
			"The car is asked to stop and start through the connection above; if it cannot be reached, or this month's budget is spent, the charger stops it as chosen by the next option that works."}}, out...)
	}
	return out
}

// CarPost saves the posted car form: settings and secrets together, or
// nothing when a field is wrong. It reports whether it saved.
func CarPost(app web.App, r *http.Request, base string) (CarView, bool) {
	f := Posted(r)
	s := app.Settings()
	v := &s.Vehicle
	v.Connection = f.Choice("vehicle.connection")
	v.ClientID = f.Choice("vehicle.client_id")
	v.Region = f.Choice("vehicle.region")
	v.Domain = f.Choice("vehicle.domain")
	v.RedirectURI = f.Choice("vehicle.redirect_uri")
	v.ProxyURL = f.Choice("vehicle.proxy_url")
	v.ProxyCACert = f.Get("vehicle.proxy_ca_cert")
	v.ProxyInsecure = f.Bool("vehicle.proxy_insecure")
	if f.Values.Has("vehicle.monthly_budget_usd") {
		v.MonthlyBudget = f.Num("vehicle.monthly_budget_usd", true)
		v.MinCycle = f.Seconds("vehicle.min_cycle", false)
		v.CacheFor = f.Seconds("vehicle.cache_for", false)
		v.RespectSchedule = f.Bool("vehicle.respect_schedule")
	}
	if f.Values.Has("policy.stop_method") {
		s.Policy.StopMethod = config.StopMethod(f.Choice("policy.stop_method"))
	}
	posted := carSecrets.Take(f)
	view := CarView{Form: f, Base: base, Stops: CarStopMethods(s.Policy.StopMethod, v.Connection)}
	if !Save(app, f, s, nil) {
		carSecrets.Show(app, f) // what was typed is not sent back
		view.Car = app.Car()
		return view, false
	}
	if err := carSecrets.Save(app, posted); err != nil {
		f.Problem = "The settings were saved, but a secret could not be: " + err.Error()
		view.Car = app.Car()
		return view, false
	}
	view.Car = app.Car()
	return view, true
}

// CarActions are the car connection's actions below a page at base; render
// draws that page (the wizard's or the settings').
type CarActions struct {
	App    web.App
	Base   string
	Wizard bool
	Render func(w http.ResponseWriter, r *http.Request, code int, v CarView)
	// Wrap guards each action (the wizard's admin check); nil for none.
	Wrap func(http.HandlerFunc) http.HandlerFunc
}

func (c CarActions) view() CarView {
	v := NewCarView(c.App, c.Base)
	v.Wizard = c.Wizard
	return v
}

// Register adds the actions to mux.
func (c CarActions) Register(mux *http.ServeMux) {
	wrap := c.Wrap
	if wrap == nil {
		wrap = func(h http.HandlerFunc) http.HandlerFunc { return h }
	}
	mux.HandleFunc("POST "+c.Base+"/login", wrap(c.login))
	mux.HandleFunc("POST "+c.Base+"/finish", wrap(c.finish))
	mux.HandleFunc("POST "+c.Base+"/test", wrap(c.test))
	mux.HandleFunc("POST "+c.Base+"/logout", wrap(c.logout))
	mux.HandleFunc("GET "+c.Base+"/public-key.pem", wrap(c.publicKey))
}

// login sends the browser to Tesla's login page.
func (c CarActions) login(w http.ResponseWriter, r *http.Request) {
	u, err := c.App.CarLoginURL()
	if err != nil {
		v := c.view()
		v.Form.Problem = Sentence(err.Error())
		c.Render(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// finish takes the address the login ended at.
func (c CarActions) finish(w http.ResponseWriter, r *http.Request) {
	in := Posted(r)
	pasted := in.Get("paste")
	v := c.view()
	v.Form.Set("paste", pasted)
	if err := c.App.CarLoginFinish(r.Context(), pasted); err != nil {
		v.Form.Fail("paste", "The login did not finish: "+err.Error())
		v.Car = c.App.Car()
		c.Render(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	v = c.view()
	v.Form.Notice = "Logged in to Tesla."
	c.Render(w, r, http.StatusOK, v)
}

func (c CarActions) test(w http.ResponseWriter, r *http.Request) {
	v := c.view()
	found, err := c.App.CarTest(r.Context())
	v.Car = c.App.Car()
	if err != nil {
		v.Form.Problem = "The test failed: " + Sentence(err.Error())
		c.Render(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	v.Tested = found
	c.Render(w, r, http.StatusOK, v)
}

func (c CarActions) logout(w http.ResponseWriter, r *http.Request) {
	v := c.view()
	if err := c.App.CarLogout(); err != nil {
		v.Form.Problem = "Could not log out: " + err.Error()
		c.Render(w, r, http.StatusInternalServerError, v)
		return
	}
	v = c.view()
	v.Form.Notice = "Logged out of Tesla: the tokens are deleted. Cars are stopped at the charger until you log in again."
	c.Render(w, r, http.StatusOK, v)
}

// publicKey downloads the app's public key, named as Tesla wants it hosted.
func (c CarActions) publicKey(w http.ResponseWriter, r *http.Request) {
	pem := c.App.Car().PublicKeyPEM
	if pem == "" {
		http.Error(w, "no app key: choose “My own Tesla developer app” first", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="com.tesla.3p.public-key.pem"`)
	_, _ = w.Write([]byte(pem))
}
