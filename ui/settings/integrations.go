package settingsui

import (
	"net"
	"net/http"
	"strings"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/ui/setup"
	"github.com/twcmanager/twcmanager/ui/web"
)

// mqttSecrets is the MQTT password field and where the password is kept.
var mqttSecrets = setup.SecretFields{"mqtt.password": config.MQTTPasswordSecret}

// integrationsView is the Integrations page: who may control charging
// through the APIs, the API token, and the MQTT connection.
type integrationsView struct {
	Form     *setup.Form
	HasToken bool
	// NewToken is set once, on the page that answers "make a token".
	NewToken string
	MQTT     web.MQTTView
	// Host is the address the browser used, to show the API's URLs.
	Host string
}

func (u *ui) integrationsView(r *http.Request, f *setup.Form) integrationsView {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return integrationsView{Form: f, HasToken: u.d.App.HasAPIToken(), MQTT: u.d.App.MQTTStatus(), Host: host}
}

// integrationsForm is the form filled from the settings in force.
func (u *ui) integrationsForm(r *http.Request) *setup.Form {
	s := u.d.App.Settings()
	f := fresh(r)
	f.SetBool("api.compat_open_writes", s.API.CompatOpenWrites)
	m := s.MQTT
	f.SetBool("mqtt.enabled", m.Enabled)
	f.Set("mqtt.broker", m.Broker)
	f.Set("mqtt.username", m.Username)
	mqttSecrets.Show(u.d.App, f)
	f.SetBool("mqtt.tls", m.TLS)
	f.Set("mqtt.ca_cert", m.CACert)
	f.SetBool("mqtt.insecure", m.Insecure)
	f.Set("mqtt.prefix", m.Prefix)
	f.SetBool("mqtt.discovery", m.Discovery)
	f.Set("mqtt.discovery_prefix", m.DiscoveryPrefix)
	if r.URL.Query().Get("token") == "revoked" {
		f.Notice = "The API token is removed: programs that used it can no longer change anything."
	}
	return f
}

func (u *ui) integrationsPage(w http.ResponseWriter, r *http.Request) {
	web.Render(w, r, http.StatusOK, integrationsPage(info(r, "integrations"), u.integrationsView(r, u.integrationsForm(r))))
}

func (u *ui) integrationsPost(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	s := u.d.App.Settings()
	s.API.CompatOpenWrites = f.Bool("api.compat_open_writes")
	s.MQTT = config.MQTT{
		Enabled:         f.Bool("mqtt.enabled"),
		Broker:          f.Choice("mqtt.broker"),
		Username:        f.Choice("mqtt.username"),
		TLS:             f.Bool("mqtt.tls"),
		CACert:          strings.TrimSpace(f.Values.Get("mqtt.ca_cert")),
		Insecure:        f.Bool("mqtt.insecure"),
		Prefix:          f.Choice("mqtt.prefix"),
		Discovery:       f.Bool("mqtt.discovery"),
		DiscoveryPrefix: f.Choice("mqtt.discovery_prefix"),
	}
	// The password is a secret: the form shows the mask for a stored one,
	// and only a changed field replaces it. Nothing is saved unless the
	// settings are valid too.
	posted := mqttSecrets.Take(f)
	if !setup.Save(u.d.App, f, s, nil) {
		mqttSecrets.Show(u.d.App, f) // what was typed is not sent back
		web.Render(w, r, http.StatusUnprocessableEntity, integrationsPage(info(r, "integrations"), u.integrationsView(r, f)))
		return
	}
	if err := mqttSecrets.Save(u.d.App, posted); err != nil {
		f.Problem = "The settings were saved, but the MQTT password could not be: " + err.Error()
		web.Render(w, r, http.StatusInternalServerError, integrationsPage(info(r, "integrations"), u.integrationsView(r, f)))
		return
	}
	saved(w, r, "integrations")
}

// tokenPost makes a new API token and shows it, this once.
func (u *ui) tokenPost(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	tok, err := u.d.App.NewAPIToken()
	if err != nil {
		f.Problem = "No token could be made: " + err.Error()
		web.Render(w, r, http.StatusInternalServerError, integrationsPage(info(r, "integrations"), u.integrationsView(r, f)))
		return
	}
	// Render rather than redirect: the token must not travel in a URL, and
	// this page is the only place it is ever shown.
	v := u.integrationsView(r, u.integrationsForm(r))
	v.NewToken = tok
	w.Header().Set("Cache-Control", "no-store")
	web.Render(w, r, http.StatusOK, integrationsPage(info(r, "integrations"), v))
}

func (u *ui) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	f := setup.Posted(r)
	if err := u.d.App.RevokeAPIToken(); err != nil {
		f.Problem = "The token could not be removed: " + err.Error()
		web.Render(w, r, http.StatusInternalServerError, integrationsPage(info(r, "integrations"), u.integrationsView(r, f)))
		return
	}
	http.Redirect(w, r, "/settings/integrations?token=revoked", http.StatusSeeOther)
}
