package appliance

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/store"
)

// A source's token is kept in the secrets bucket, never in the stored
// settings; loading puts it back; a form that sends the mask keeps it.
func TestSourceSecretsKeptApart(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const token = "eyJhbGciOi.super-secret-long-lived-token"
	s := config.Defaults()
	s.Sources = []config.Source{{Name: "ha", Kind: "homeassistant", Roles: []string{"grid"},
		Params: json.RawMessage(`{"url": "http://ha.local:8123", "token": "` + token + `", "grid_entity": "sensor.grid_power"}`)}}
	if err := saveSettings(st, s); err != nil {
		t.Fatal(err)
	}
	raw, _, _ := st.Settings()
	if b, _ := json.Marshal(raw); strings.Contains(string(b), token) || !strings.Contains(string(b), secret.Mask) {
		t.Fatalf("stored settings carry the token: %s", b)
	}
	if v, _ := st.Secret("source/ha/token"); v.Reveal() != token {
		t.Fatalf("secret not stored: %q", v.Reveal())
	}
	back, ok, err := loadSettings(st)
	if err != nil || !ok || !strings.Contains(string(back.Sources[0].Params), token) {
		t.Fatalf("loaded %s, %v", back.Sources[0].Params, err)
	}
	// Saving again with the mask (as a settings form echoes it) keeps it.
	if err := saveSettings(st, raw); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Secret("source/ha/token"); v.Reveal() != token {
		t.Fatalf("mask overwrote the secret: %q", v.Reveal())
	}
	names, _ := st.SecretNames()
	if len(names) != 1 || names[0] != "source/ha/token" {
		t.Fatalf("secret names %v", names)
	}
}
