package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/twcmanager/twcmanager/internal/secret"
)

// TokenSecret is the name of the API token's SHA-256 (hex) in the secrets:
// the token itself is shown once, when it is made, and never stored.
const TokenSecret = "api/token-sha256"

// NewToken makes a new API token, replacing any earlier one, and returns
// it. It is the only time the token can be read.
func NewToken(b Backend) (string, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("api: make token: %w", err)
	}
	tok := "twc_" + base64.RawURLEncoding.EncodeToString(raw)
	if err := b.SetSecret(TokenSecret, secret.New(hashToken(tok))); err != nil {
		return "", fmt.Errorf("api: save token: %w", err)
	}
	return tok, nil
}

// RevokeToken removes the API token: writes need a new one.
func RevokeToken(b Backend) error { return b.SetSecret(TokenSecret, secret.String{}) }

// HasToken reports whether an API token exists.
func HasToken(b Backend) bool {
	h, err := b.Secret(TokenSecret)
	return err == nil && h.IsSet()
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// RequestToken is the token a request carries: "Authorization: Bearer <t>"
// or, for tools that cannot set that header, "X-API-Token: <t>".
func RequestToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return strings.TrimSpace(r.Header.Get("X-API-Token"))
}

// ValidToken reports whether tok is the API token.
func ValidToken(b Backend, tok string) bool {
	if tok == "" {
		return false
	}
	h, err := b.Secret(TokenSecret)
	if err != nil || !h.IsSet() {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashToken(tok)), []byte(h.Reveal())) == 1
}

// TokenProblem is why r may not write, or "" when it carries the token.
func TokenProblem(b Backend, r *http.Request) string {
	tok := RequestToken(r)
	switch {
	case ValidToken(b, tok):
		return ""
	case !HasToken(b):
		return "changing anything through the API needs an API token, and none has been made: make one in Settings → Integrations and send it as \"Authorization: Bearer <token>\""
	case tok == "":
		return "changing anything through the API needs the API token: send it as \"Authorization: Bearer <token>\" (Settings → Integrations)"
	default:
		return "the API token sent is not the current one: make a new one in Settings → Integrations"
	}
}

// Unauthorized answers a write without a valid token: 401, a JSON error
// naming the missing header, nothing changed.
func Unauthorized(w http.ResponseWriter, problem string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="twcmanager"`)
	WriteJSON(w, http.StatusUnauthorized, Error{Error: problem, Field: "Authorization"})
}

// Error is every API's error body: what was wrong, and the field it was in.
type Error struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}
