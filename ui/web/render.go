package web

import (
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
)

// Render writes a component with status code; a rendering failure after
// the header is sent can only be logged.
func Render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		slog.Default().Error("ui: render", "path", r.URL.Path, "err", err)
	}
}

// Info is the PageInfo for a page of the logged-in interface.
func Info(r *http.Request, title, active string) PageInfo {
	return PageInfo{Title: title, Active: active, Session: SessionOf(r)}
}
