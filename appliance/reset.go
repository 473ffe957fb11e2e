package appliance

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/timesync"
)

// FactoryReset wipes everything the owner set up — settings, the admin
// password and other secrets, history, the saved clock — and puts the
// defaults in force. The chargers stay linked and are offered what the
// defaults allow.
func (a *Appliance) FactoryReset(ctx context.Context) error {
	defaults := config.Defaults()
	if a.cfg.Demo {
		defaults = DemoSettings()
	}
	if a.store != nil {
		if err := a.store.Wipe(); err != nil {
			return err
		}
		if err := os.Remove(timesync.StateFileIn(a.cfg.DataDir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			a.log.Warn("factory reset: saved clock not removed", "err", err)
		}
	}
	a.web.mu.Lock()
	a.web.secrets = nil
	a.web.mu.Unlock()
	if err := a.SetSettings(defaults); err != nil {
		return err
	}
	a.log.Warn("factory reset: settings, secrets and history wiped; the setup wizard starts again")
	return nil
}
