package settingsui

import (
	"net/http"

	"github.com/twcmanager/twcmanager/ui/setup"
	"github.com/twcmanager/twcmanager/ui/web"
)

// The car connection: the same form and steps as the wizard's, plus the
// budget settings.

func (u *ui) carActions() setup.CarActions {
	return setup.CarActions{App: u.d.App, Base: "/settings/car",
		Render: func(w http.ResponseWriter, r *http.Request, code int, v setup.CarView) {
			web.Render(w, r, code, carPage(info(r, "car"), v))
		}}
}

func (u *ui) carPage(w http.ResponseWriter, r *http.Request) {
	v := setup.NewCarView(u.d.App, "/settings/car")
	if r.URL.Query().Get("saved") != "" {
		v.Form.Notice = "Saved."
	}
	web.Render(w, r, http.StatusOK, carPage(info(r, "car"), v))
}

func (u *ui) carPost(w http.ResponseWriter, r *http.Request) {
	v, ok := setup.CarPost(u.d.App, r, "/settings/car")
	if ok {
		saved(w, r, "car")
		return
	}
	web.Render(w, r, http.StatusUnprocessableEntity, carPage(info(r, "car"), v))
}
