package settingsui

import (
	"net/http"
	"strings"

	"github.com/twcmanager/twcmanager/ui/web"
)

// resetWord must be typed to confirm a factory reset: a click alone is too
// easy to make by mistake.
const resetWord = "RESET"

func (u *ui) resetPage(w http.ResponseWriter, r *http.Request) {
	web.Render(w, r, http.StatusOK, resetPage(info(r, "reset"), "", ""))
}

func (u *ui) resetPost(w http.ResponseWriter, r *http.Request) {
	typed := r.PostFormValue("confirm")
	if strings.TrimSpace(typed) != resetWord {
		web.Render(w, r, http.StatusUnprocessableEntity, resetPage(info(r, "reset"), typed,
			"Confirmation: type "+resetWord+" in capitals to wipe everything; nothing was changed."))
		return
	}
	if err := u.d.App.FactoryReset(r.Context()); err != nil {
		web.Render(w, r, http.StatusInternalServerError, resetPage(info(r, "reset"), typed, "The reset failed: "+err.Error()))
		return
	}
	u.d.Sessions.Logout(w, r, web.SessionOf(r))
	http.Redirect(w, r, "/setup", http.StatusSeeOther)
}
