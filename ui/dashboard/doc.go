// Package dashboard is the appliance's home page: every charger with its
// car, the site's power flow, the charging mode with one-tap switching, why
// the chargers get the current they get, and the faults to act on.
//
// Register adds GET / (the page), GET /events (server-sent events that keep
// the page live through htmx's SSE extension) and POST /mode (the mode
// form; it works with and without JavaScript). A visitor of a public
// dashboard who has not logged in sees the same page without controls.
package dashboard
