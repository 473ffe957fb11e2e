package ui

import (
	"github.com/twcmanager/twcmanager/ui/dashboard"
	"github.com/twcmanager/twcmanager/ui/diagnostics"
	historyui "github.com/twcmanager/twcmanager/ui/history"
	settingsui "github.com/twcmanager/twcmanager/ui/settings"
	"github.com/twcmanager/twcmanager/ui/setup"
)

// PublicPaths may be read without login when the user made the dashboard
// public (local network only).
var PublicPaths = []string{"/", "/events"}

// Features returns every part of the interface.
func Features() []Feature {
	return []Feature{setup.Register, dashboard.Register, historyui.Register, settingsui.Register, diagnostics.Register}
}
