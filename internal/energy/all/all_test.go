package all

import (
	"slices"
	"testing"

	"github.com/twcmanager/twcmanager/internal/energy"
)

// Every kind is registered, declares its parameters, and names its secrets,
// so the store can keep them apart.
func TestKindsAndSecrets(t *testing.T) {
	want := map[string][]string{
		"fronius": nil, "solaredge-cloud": {"api_key"}, "solaredge-modbus": nil, "sunspec": nil, "enphase": {"token"},
		"powerwall": {"password"}, "shelly": nil, "homeassistant": {"token"}, "mqtt": {"password"},
		"httpjson": {"header_value"}, "openhab": {"token"}, "victron": nil, "simulated": nil,
	}
	kinds := energy.Kinds()
	if len(kinds) < len(want) {
		t.Fatalf("%d kinds registered, want %d", len(kinds), len(want))
	}
	for _, k := range kinds {
		w, ok := want[k.Name]
		if !ok {
			continue // a test elsewhere may register its own
		}
		if k.Params == nil || k.Label == "" || len(k.Roles) == 0 {
			t.Errorf("%s: params %T, label %q, roles %v", k.Name, k.Params, k.Label, k.Roles)
		}
		if got := energy.SecretFields(k); !slices.Equal(got, w) {
			t.Errorf("%s: secrets %v, want %v", k.Name, got, w)
		}
		delete(want, k.Name)
	}
	if len(want) != 0 {
		t.Errorf("not registered: %v", want)
	}
}
