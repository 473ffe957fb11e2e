package setup

import (
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/ui/web"
)

// SecretFields are form fields whose values are kept as secrets apart from
// the settings, by field name → secret name. A form shows a stored secret
// as the mask and never its value; the mask sent back keeps it, an empty
// field removes it, anything else replaces it.
type SecretFields map[string]string

// Show fills the fields: the mask where a secret is stored, else nothing.
// A refused form calls it too, so that what was typed is not sent back.
func (sf SecretFields) Show(app web.App, f *Form) {
	for field, name := range sf {
		f.Set(field, "")
		if s, err := app.Secret(name); err == nil && s.IsSet() {
			f.Set(field, secret.Mask)
		}
	}
}

// Take reads the posted fields, which the caller saves with Save once the
// settings are saved; the form does not check them.
func (sf SecretFields) Take(f *Form) map[string]string {
	posted := map[string]string{}
	for field := range sf {
		posted[field] = f.Values.Get(field)
		f.Handles(field)
	}
	return posted
}

// Save stores what was posted, keeping a secret whose field came back as
// the mask.
func (sf SecretFields) Save(app web.App, posted map[string]string) error {
	for field, name := range sf {
		if v := posted[field]; v != secret.Mask {
			if err := app.SetSecret(name, secret.New(v)); err != nil {
				return err
			}
		}
	}
	return nil
}
