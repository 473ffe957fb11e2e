package appliance

import (
	"context"
	"hash/fnv"
	"net"
	"os"
	"sort"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// apiBackend is what the REST APIs, MQTT and metrics see of the appliance.
// Settings go through webApp, so secrets are masked the same way.
type apiBackend struct{ w *webApp }

var _ api.Backend = apiBackend{}

// API is the appliance as the APIs, MQTT and metrics see it.
func (a *Appliance) API() api.Backend { return apiBackend{a.web} }

func (b apiBackend) Now() time.Time                      { return b.w.a.cfg.Clock.Now() }
func (b apiBackend) Snapshot() bus.Snapshot              { return b.w.Snapshot() }
func (b apiBackend) Decisions(n int) []policy.Decision   { return b.w.Decisions(n) }
func (b apiBackend) Settings() config.Settings           { return b.w.Settings() }
func (b apiBackend) SetSettings(s config.Settings) error { return b.w.SetSettings(s) }
func (b apiBackend) History() *history.DB                { return b.w.History() }
func (b apiBackend) Secret(name string) (secret.String, error) {
	return b.w.Secret(name)
}
func (b apiBackend) SetSecret(name string, v secret.String) error { return b.w.SetSecret(name, v) }
func (b apiBackend) Cars() vehicle.Status                         { return b.w.a.vehicles.Status() }
func (b apiBackend) DeviceID() uint64                             { return deviceID() }

func (b apiBackend) StartCharging(ctx context.Context, id twc.ID) error {
	return b.w.a.master.Start(ctx, id)
}

func (b apiBackend) StopCharging(ctx context.Context, id twc.ID, m bus.StopMethod) error {
	return b.w.a.master.Stop(ctx, id, m)
}

func (b apiBackend) Query(ctx context.Context, id twc.ID, op twc.Code) error {
	return b.w.a.master.Query(ctx, id, op)
}

func (b apiBackend) Frames(ctx context.Context) ([]bus.Frame, error) {
	return b.w.a.master.Frames(ctx)
}

func (b apiBackend) Energy() api.Energy {
	a := b.w.a
	e := api.Energy{Reading: a.energyReading()}
	p := a.energy.Load()
	if p == nil {
		return e
	}
	srcs := a.policy.Settings().Sources
	for _, pl := range p.pollers {
		st := api.SourceState{Name: pl.Name(), Status: pl.Status()}
		for _, sc := range srcs {
			if sc.Name == pl.Name() {
				st.Kind, st.Roles = sc.Kind, sc.Roles
			}
		}
		e.Sources = append(e.Sources, st)
	}
	return e
}

// deviceID is the MAC address of the first network interface that has one,
// as a number, as TWCManager's getUUID (Python's uuid.getnode) gives it; the
// Home Assistant integration keys its entities on it. Without any interface
// it is made from the host name, with the multicast bit set as getnode does
// for a made-up node.
func deviceID() uint64 {
	ifs, _ := net.Interfaces()
	sort.Slice(ifs, func(i, j int) bool { return ifs[i].Index < ifs[j].Index })
	for _, f := range ifs {
		if f.Flags&net.FlagLoopback != 0 || len(f.HardwareAddr) != 6 {
			continue
		}
		var v uint64
		for _, b := range f.HardwareAddr {
			v = v<<8 | uint64(b)
		}
		if v != 0 {
			return v
		}
	}
	h := fnv.New64a()
	name, _ := os.Hostname()
	h.Write([]byte(name))
	return h.Sum64()&(1<<48-1) | 1<<40
}
