package appliance

import (
	"encoding/json"
	"fmt"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/store"
	"github.com/twcmanager/twcmanager/ui/web"
)

// secretName is where a source's secret parameter is kept in the store.
func secretName(source, field string) string { return web.SourceSecretName(source, field) }

// saveSettings stores s with every source secret moved to the secrets
// bucket and replaced by the mask in the stored settings. A mask sent back
// by a form keeps the secret already stored.
func saveSettings(st *store.Store, s config.Settings) error {
	clean := s
	clean.Sources = make([]config.Source, len(s.Sources))
	for i, src := range s.Sources {
		params, fields, err := paramsMap(src)
		if err != nil {
			return err
		}
		for _, f := range fields {
			raw, ok := params[f]
			if !ok {
				continue
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("sources[%d] %q: %s must be text", i, src.Name, f)
			}
			if v != secret.Mask && v != "" {
				if err := st.SetSecret(secretName(src.Name, f), secret.New(v)); err != nil {
					return err
				}
			}
			params[f], _ = json.Marshal(secret.Mask)
		}
		clean.Sources[i] = src
		if params != nil {
			clean.Sources[i].Params, _ = json.Marshal(params)
		}
	}
	return st.SaveSettings(clean)
}

// loadSettings returns the stored settings with source secrets put back, and
// false when nothing is stored yet.
func loadSettings(st *store.Store) (config.Settings, bool, error) {
	s, ok, err := st.Settings()
	if err != nil || !ok {
		return s, ok, err
	}
	for i, src := range s.Sources {
		params, fields, err := paramsMap(src)
		if err != nil {
			return s, true, err
		}
		for _, f := range fields {
			v, err := st.Secret(secretName(src.Name, f))
			if err != nil {
				return s, true, err
			}
			if v.IsSet() {
				params[f], _ = json.Marshal(v.Reveal())
			} else {
				delete(params, f)
			}
		}
		if params != nil {
			s.Sources[i].Params, _ = json.Marshal(params)
		}
	}
	return s, true, nil
}

// paramsMap decodes a source's parameters loosely and names its secrets.
func paramsMap(src config.Source) (map[string]json.RawMessage, []string, error) {
	k, err := energy.Lookup(src.Kind)
	if err != nil {
		return nil, nil, err
	}
	fields := energy.SecretFields(k)
	if len(src.Params) == 0 || len(fields) == 0 {
		return nil, nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(src.Params, &m); err != nil {
		return nil, nil, fmt.Errorf("source %q: settings are not a JSON object: %w", src.Name, err)
	}
	return m, fields, nil
}
