package tesla

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/secret"
)

// Tokens are one login's OAuth tokens.
type Tokens struct {
	Access secret.String
	// Refresh is single-use: each renewal returns a new one and spends
	// this one.
	Refresh secret.String
	// Expiry is when Access stops working.
	Expiry time.Time
	// Scopes are what the user granted; the UI shows missing ones.
	Scopes []string
}

// TokenStore keeps the tokens across restarts; the appliance backs it with
// its secrets store. Save must be durable when it returns: the refresh
// token it is handed is the only one that still works.
type TokenStore interface {
	Load() (Tokens, error)
	Save(Tokens) error
}

// scopesOf reads the granted scopes. Tesla's access tokens are JWTs whose
// "scp" claim lists them; the token answer's scope field is the fallback.
// The claim is only shown to the user, so it is not verified.
func scopesOf(access, scope string) []string {
	if parts := strings.Split(access, "."); len(parts) == 3 {
		if raw, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			var claims struct {
				Scp []string `json:"scp"`
			}
			if json.Unmarshal(raw, &claims) == nil && len(claims.Scp) > 0 {
				return claims.Scp
			}
		}
	}
	return strings.Fields(scope)
}
