// Package openhab reads power values from openHAB items through its REST
// API (GET /rest/items/<item>/state), one item per value.
package openhab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "openhab"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "openHAB items",
		Roles: []energy.Role{energy.RolePV, energy.RoleConsumption, energy.RoleGrid},
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source. Each item is optional; at least one is
// needed.
type Params struct {
	// URL of openHAB, e.g. http://openhab.local:8080.
	URL string `json:"url"`
	// Token is an API token, needed when openHAB refuses anonymous reads.
	Token           secret.String `json:"token,omitempty"`
	PVItem          string        `json:"pv_item,omitempty"`
	ConsumptionItem string        `json:"consumption_item,omitempty"`
	GridItem        string        `json:"grid_item,omitempty"`
	// GridExportPositive is for meters that count export positive.
	GridExportPositive bool `json:"grid_export_positive,omitempty"`
}

var itemName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	c.URL("url", p.URL)
	set := 0
	for _, f := range [][2]string{{"pv_item", p.PVItem}, {"consumption_item", p.ConsumptionItem}, {"grid_item", p.GridItem}} {
		if field, item := f[0], f[1]; item != "" {
			set++
			if !itemName.MatchString(item) {
				c.Fail(field, item, "an item name such as Grid_Power (letters, digits, _)")
			}
		}
	}
	if set == 0 {
		c.Fail("pv_item", "empty", "at least one of pv_item, consumption_item, grid_item")
	}
	return c.Err()
}

// Source reads one openHAB's items.
type Source struct {
	base                              string
	token                             secret.String
	pvItem, consumptionItem, gridItem string
	gridSign                          float64 // +1, or -1 to turn export-positive into Reading's import-positive
}

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	s := &Source{base: strings.TrimSuffix(p.URL, "/") + "/rest/items/", token: p.Token,
		pvItem: p.PVItem, consumptionItem: p.ConsumptionItem, gridItem: p.GridItem, gridSign: 1}
	if p.GridExportPositive {
		s.gridSign = -1
	}
	return s, nil
}

// Format prints the source without its token: fmt cannot call the token's
// own masking Format through an unexported field.
func (s *Source) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "%s source %s", Name, s.base) }

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	var r energy.Reading
	for _, it := range []struct {
		item string
		dst  *units.Watts
		has  *bool
	}{
		{s.pvItem, &r.Generation, &r.Has.Generation},
		{s.consumptionItem, &r.Consumption, &r.Has.Consumption},
		{s.gridItem, &r.Grid, &r.Has.Grid},
	} {
		if it.item == "" {
			continue
		}
		w, err := s.get(ctx, it.item)
		if err != nil {
			return energy.Reading{}, fmt.Errorf("%s: read item %s: %w", Name, it.item, err)
		}
		*it.dst, *it.has = units.Watts(w), true
	}
	r.Grid = r.Grid*units.Watts(s.gridSign) + 0 // + 0: never -0
	return r, nil
}

// get reads an item's state in watts. States are plain text: a number,
// with a unit for items of type Number:Power ("1234.5 W", "1.2 kW"), or
// NULL / UNDEF when the item has no value.
func (s *Source) get(ctx context.Context, item string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+item+"/state", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "text/plain")
	if s.token.IsSet() {
		req.Header.Set("Authorization", "Bearer "+s.token.Reveal())
	}
	text, err := getText(ctx, req)
	var se *energy.StatusError
	switch {
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return 0, fmt.Errorf("HTTP %s: item %s does not exist in openHAB", se.Status, item)
	case errors.As(err, &se) && se.Code == http.StatusUnauthorized:
		return 0, fmt.Errorf("%w; set an API token (openHAB: your profile, API Tokens)", err)
	case err != nil:
		return 0, err
	}
	switch text {
	case "":
		return 0, errors.New("state missing: the answer is empty")
	case "NULL", "UNDEF":
		return 0, fmt.Errorf("item %s is %s: it has no value (is its binding running?)", item, text)
	}
	num, unit, _ := strings.Cut(text, " ")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("state %q of item %s is not a number", text, item)
	}
	switch strings.TrimSpace(unit) {
	case "", "W": // a plain Number item: take W
		return v, nil
	case "kW":
		return v * 1000, nil
	}
	return 0, fmt.Errorf("item %s is in unit %q; a power item in W or kW is needed", item, unit)
}

// maxState bounds an answer; a state is a few bytes.
const maxState = 4096

// getText is energy.GetJSON for a text answer, with the same wording.
func getText(ctx context.Context, req *http.Request) (string, error) {
	resp, err := energy.HTTPClient.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("no answer from %s in time: %w", req.URL.Host, context.DeadlineExceeded)
		}
		return "", fmt.Errorf("cannot reach %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxState+1))
	if err != nil {
		return "", fmt.Errorf("reading the answer from %s: %w", req.URL.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &energy.StatusError{Code: resp.StatusCode, Status: resp.Status}
	}
	if len(body) > maxState {
		return "", fmt.Errorf("answer from %s is larger than %d bytes; not an item state", req.URL.Host, maxState)
	}
	return strings.TrimSpace(string(body)), nil
}
