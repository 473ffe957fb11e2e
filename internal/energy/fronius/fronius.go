// Package fronius reads a Fronius inverter or Datamanager through the Solar
// API v1 (GetPowerFlowRealtimeData): PV, house load, grid and the battery of
// hybrid systems, all at once.
package fronius

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "fronius"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "Fronius Solar API",
		Roles:    []energy.Role{energy.RolePV, energy.RoleConsumption, energy.RoleGrid, energy.RoleBattery},
		Interval: 5 * time.Second,
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source.
type Params struct {
	// URL of the inverter or Datamanager, e.g. http://192.168.1.20.
	URL string `json:"url"`
}

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	c.URL("url", p.URL)
	return c.Err()
}

// Source reads one Fronius system.
type Source struct {
	url    string
	client *http.Client
}

// New validates p and returns the source.
func New(p Params) (*Source, error) { return NewWithClient(p, nil) }

// NewWithClient is New with the HTTP client to use (nil: the default).
func NewWithClient(p Params, client *http.Client) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return &Source{url: strings.TrimSuffix(p.URL, "/") + "/solar_api/v1/GetPowerFlowRealtimeData.fcgi?Scope=System", client: client}, nil
}

// powerFlow is the documented answer; values are pointers because Fronius
// sends null for a quantity it does not have (P_PV at night, P_Akku without
// a battery).
type powerFlow struct {
	Body struct {
		Data struct {
			Site struct {
				PGrid *float64 `json:"P_Grid"`
				PLoad *float64 `json:"P_Load"`
				PPV   *float64 `json:"P_PV"`
				PAkku *float64 `json:"P_Akku"`
			} `json:"Site"`
			Inverters map[string]struct {
				SOC *float64 `json:"SOC"`
			} `json:"Inverters"`
		} `json:"Data"`
	} `json:"Body"`
	Head struct {
		Status struct {
			Code   int    `json:"Code"`
			Reason string `json:"Reason"`
		} `json:"Status"`
	} `json:"Head"`
}

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	req, err := http.NewRequest(http.MethodGet, s.url, nil)
	if err != nil {
		return energy.Reading{}, fmt.Errorf("fronius: %w", err)
	}
	var pf powerFlow
	if err := energy.GetJSON(ctx, s.client, req, &pf); err != nil {
		return energy.Reading{}, fmt.Errorf("fronius: read power flow: %w", err)
	}
	if st := pf.Head.Status; st.Code != 0 {
		return energy.Reading{}, fmt.Errorf("fronius: read power flow: device reports status %d %s", st.Code, st.Reason)
	}
	site := pf.Body.Data.Site
	if site.PGrid == nil || site.PLoad == nil {
		return energy.Reading{}, fmt.Errorf("fronius: read power flow: field Body.Data.Site.P_Grid or P_Load missing; is a Fronius Smart Meter installed?")
	}
	r := energy.Reading{
		Grid:        units.Watts(*site.PGrid),
		Consumption: units.Watts(-*site.PLoad), // Fronius counts consumption negative
		Has:         energy.Has{Grid: true, Consumption: true, Generation: true},
	}
	if site.PPV != nil { // null while the inverter sleeps: no production
		r.Generation = units.Watts(*site.PPV)
	}
	if site.PAkku != nil {
		r.Battery, r.Has.Battery = units.Watts(*site.PAkku), true
		for _, inv := range pf.Body.Data.Inverters {
			if inv.SOC != nil {
				r.BatterySoC, r.Has.BatterySoC = *inv.SOC, true
			}
		}
	}
	return r, nil
}
