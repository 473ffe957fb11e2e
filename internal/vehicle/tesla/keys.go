package tesla

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/teslamotors/vehicle-command/pkg/protocol"

	"github.com/twcmanager/twcmanager/internal/secret"
)

// NewAppKey makes the app's command key: a P-256 key pair. The private
// half (SEC 1 PEM) is stored as a secret; the public half (PKIX PEM) is
// what the user hosts at PublicKeyURL for cars to fetch.
func NewAppKey() (private secret.String, public string, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return secret.String{}, "", fmt.Errorf("tesla: make the app key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return secret.String{}, "", fmt.Errorf("tesla: encode the app key: %w", err)
	}
	public, err = publicPEM(k)
	if err != nil {
		return secret.String{}, "", err
	}
	return secret.New(string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))), public, nil
}

// PublicKeyPEM derives the public key to host from the stored private key,
// so the UI can show it again.
func PublicKeyPEM(private secret.String) (string, error) {
	k, err := parseKey(private)
	if err != nil {
		return "", fmt.Errorf("tesla: app key: %w", err)
	}
	return publicPEM(k)
}

// PublicKeyURL is where Tesla and the cars fetch the app's public key.
func PublicKeyURL(domain string) string {
	return "https://" + cleanDomain(domain) + "/.well-known/appspecific/com.tesla.3p.public-key.pem"
}

// EnrollURL is the link the user opens on their phone to add the app's
// key to a car in the Tesla app.
func EnrollURL(domain string) string {
	return "https://tesla.com/_ak/" + cleanDomain(domain)
}

// cleanDomain accepts a domain typed with a scheme or trailing slash.
func cleanDomain(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(strings.TrimPrefix(d, "https://"), "http://")
	return strings.TrimRight(d, "/")
}

func publicPEM(k *ecdsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", fmt.Errorf("tesla: encode the public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// parseKey reads a P-256 private key in SEC 1 or PKCS #8 PEM, as
// NewAppKey and tesla-keygen write them.
func parseKey(private secret.String) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(private.Reveal()))
	if block == nil {
		return nil, errors.New("no PEM private key: make one in Settings → Car or paste the whole -----BEGIN EC PRIVATE KEY----- block")
	}
	var k *ecdsa.PrivateKey
	switch block.Type {
	case "EC PRIVATE KEY":
		ec, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("the EC private key does not parse: paste it again or make a new one")
		}
		k = ec
	case "PRIVATE KEY":
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		ec, ok := parsed.(*ecdsa.PrivateKey)
		if err != nil || !ok {
			return nil, errors.New("the private key is not an EC key: Tesla wants a P-256 (prime256v1) key")
		}
		k = ec
	default:
		return nil, fmt.Errorf("a %q PEM block is not a private key: paste the private key", block.Type)
	}
	if k.Curve != elliptic.P256() {
		return nil, errors.New("the key is not on P-256 (prime256v1), the only curve Tesla accepts: make a new one")
	}
	return k, nil
}

// commandKey turns the stored PEM into vehicle-command's signing key.
func commandKey(private secret.String) (protocol.ECDHPrivateKey, error) {
	k, err := parseKey(private)
	if err != nil {
		return nil, err
	}
	scalar, err := k.Bytes()
	if err != nil {
		return nil, fmt.Errorf("the private key cannot be used: %w", err)
	}
	sk := protocol.UnmarshalECDHPrivateKey(scalar)
	if sk == nil {
		return nil, errors.New("the private key is out of range: make a new one")
	}
	return sk, nil
}
