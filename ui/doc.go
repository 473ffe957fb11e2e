// Package ui is the appliance's web interface: the first-boot wizard, the
// live dashboard, settings, history and diagnostics, behind a login.
//
// New returns the http.Handler. Pages are templ components (the generated
// _templ.go files are committed); htmx, vendored under static/, adds live
// updates over server-sent events. Everything the pages show or change goes
// through the App interface, which the appliance implements.
//
// Security: one admin account, its password hashed with bcrypt; a session
// cookie (HttpOnly, SameSite=Lax); a CSRF token on every state-changing
// request, on top of Go's cross-origin protection; logins slowed after
// repeated failures; no secret is ever rendered.
package ui
