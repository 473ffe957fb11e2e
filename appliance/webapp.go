package appliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/ui/web"
)

// webApp is what the web interface sees of the appliance. Settings leave it
// with every secret masked, and come back with masks replaced by the secrets
// in force, so no page can show or lose one.
type webApp struct {
	a *Appliance

	mu      sync.Mutex // guards secrets
	secrets map[string]secret.String
}

var _ web.App = (*webApp)(nil)

func (w *webApp) Snapshot() bus.Snapshot                          { return w.a.master.Snapshot() }
func (w *webApp) Decisions(n int) []policy.Decision               { return w.a.policy.Recent(n) }
func (w *webApp) SourceKinds() []energy.Kind                      { return energy.Kinds() }
func (w *webApp) Adapters() ([]rs485.Adapter, error)              { return rs485.Detect() }
func (w *webApp) Frames(ctx context.Context) ([]bus.Frame, error) { return w.a.master.Frames(ctx) }

func (w *webApp) StartCapture(ctx context.Context, d time.Duration) error {
	return w.a.master.StartCapture(ctx, d)
}
func (w *webApp) StopCapture(ctx context.Context) error { return w.a.master.StopCapture(ctx) }
func (w *webApp) CaptureStatus(ctx context.Context) (bus.CaptureStatus, error) {
	return w.a.master.CaptureStatus(ctx)
}
func (w *webApp) CaptureFile(ctx context.Context) ([]byte, bus.CaptureStatus, error) {
	return w.a.master.CaptureFile(ctx)
}

func (w *webApp) Query(ctx context.Context, id, op uint16) error {
	return w.a.master.Query(ctx, twc.ID(id), twc.Code(op))
}

func (w *webApp) TestSource(ctx context.Context, kind string, params json.RawMessage) (energy.Reading, error) {
	return energy.Test(ctx, kind, params)
}

func (w *webApp) Energy() web.EnergyView {
	r := w.a.energyReading()
	return web.EnergyView{At: r.At, Generation: float64(r.Generation), Consumption: float64(r.Consumption), Grid: float64(r.Grid),
		Battery: float64(r.Battery), BatterySoC: r.BatterySoC, HasGeneration: r.Has.Generation, HasConsumption: r.Has.Consumption,
		HasGrid: r.Has.Grid, HasBattery: r.Has.Battery, Problem: r.Problem}
}

func (w *webApp) HistoryStatus() history.RecorderStatus {
	if w.a.history == nil {
		return history.RecorderStatus{Problem: "no data directory: history is not kept"}
	}
	return w.a.history.Status()
}

// Problems are the clock's and history's problems in words.
func (w *webApp) Problems() []string {
	var out []string
	if st := w.a.clock.State(); st.Problem != "" {
		out = append(out, "Clock: "+st.Problem)
	} else if st.Managed && !st.Synced {
		out = append(out, "Clock: not synchronised yet; schedules and history wait for it")
	}
	if p := w.HistoryStatus().Problem; p != "" && w.a.history != nil {
		out = append(out, "History: "+p)
	}
	return out
}

func (w *webApp) History() *history.DB {
	if w.a.store == nil {
		return nil
	}
	return history.New(w.a.store)
}

// Settings returns the settings in force with source secrets masked.
func (w *webApp) Settings() config.Settings {
	s := w.a.policy.Settings()
	s.Sources = maskSources(s.Sources)
	return s
}

// SetSettings puts s in force; a masked secret keeps the one in force.
func (w *webApp) SetSettings(s config.Settings) error {
	cur := w.a.policy.Settings()
	merged, err := unmaskSources(s.Sources, cur.Sources)
	if err != nil {
		return err
	}
	s.Sources = merged
	return w.a.SetSettings(s)
}

func (w *webApp) Secret(name string) (secret.String, error) {
	if w.a.store != nil {
		return w.a.store.Secret(name)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.secrets[name], nil
}

func (w *webApp) SetSecret(name string, v secret.String) error {
	if w.a.store != nil {
		return w.a.store.SetSecret(name, v)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.secrets == nil {
		w.secrets = map[string]secret.String{}
	}
	w.secrets[name] = v
	return nil
}

// UsePort switches the bus to the adapter at path and saves the choice.
func (w *webApp) UsePort(ctx context.Context, path string) error {
	if path != "" {
		p, err := rs485.Open(path)
		if err != nil {
			return err
		}
		_ = p.Close() // it opened: the bus master will open it for good
	}
	s := w.a.policy.Settings()
	s.Bus.Port = path
	if err := w.a.SetSettings(s); err != nil {
		return err
	}
	if w.a.cfg.Demo {
		return nil // the demo's chargers are behind the simulator, whatever is chosen
	}
	return w.a.master.SetOpener(ctx, rs485.Opener(path))
}

// maskSources replaces every secret parameter by the mask.
func maskSources(srcs []config.Source) []config.Source {
	out := make([]config.Source, len(srcs))
	for i, src := range srcs {
		out[i] = src
		params, fields, err := paramsMap(src)
		if err != nil || params == nil {
			continue
		}
		for _, f := range fields {
			if _, ok := params[f]; ok {
				params[f], _ = json.Marshal(secret.Mask)
			}
		}
		out[i].Params, _ = json.Marshal(params)
	}
	return out
}

// unmaskSources puts back the secret in force wherever a form sent the
// mask for a source of the same name and kind.
func unmaskSources(srcs, cur []config.Source) ([]config.Source, error) {
	out := make([]config.Source, len(srcs))
	for i, src := range srcs {
		out[i] = src
		params, fields, err := paramsMap(src)
		if err != nil {
			return nil, fmt.Errorf("sources[%d]: %w", i, err)
		}
		if params == nil {
			continue
		}
		var old map[string]json.RawMessage
		for _, c := range cur {
			if c.Name == src.Name && c.Kind == src.Kind {
				_ = json.Unmarshal(c.Params, &old) // checked when it was saved
			}
		}
		for _, f := range fields {
			var v string
			if raw, ok := params[f]; ok && json.Unmarshal(raw, &v) == nil && v == secret.Mask {
				if prev, ok := old[f]; ok {
					params[f] = prev
				} else {
					return nil, errors.New("sources[" + fmt.Sprint(i) + "]: " + f + ": enter the secret again; none is stored for this source")
				}
			}
		}
		out[i].Params, _ = json.Marshal(params)
	}
	return out, nil
}

// FactoryReset wipes settings, secrets and history and puts the defaults in
// force: the next visit starts the wizard again.
func (w *webApp) FactoryReset(ctx context.Context) error { return w.a.FactoryReset(ctx) }

// NewAPIToken makes a new API token, replacing the old one.
func (w *webApp) NewAPIToken() (string, error) { return api.NewToken(w.a.API()) }

// RevokeAPIToken removes the API token.
func (w *webApp) RevokeAPIToken() error { return api.RevokeToken(w.a.API()) }

// HasAPIToken reports whether an API token exists.
func (w *webApp) HasAPIToken() bool { return api.HasToken(w.a.API()) }

// MQTTStatus is the MQTT connection's state.
func (w *webApp) MQTTStatus() web.MQTTView {
	st := w.a.mqtt.Status()
	return web.MQTTView{Enabled: st.Enabled, Connected: st.Connected, Broker: st.Broker, Since: st.Since, Problem: st.Problem}
}
