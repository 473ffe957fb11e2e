package teslatest_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/teslamotors/vehicle-command/pkg/connector"
	"github.com/teslamotors/vehicle-command/pkg/protocol"
	universal "github.com/teslamotors/vehicle-command/pkg/protocol/protobuf/universalmessage"
	vc "github.com/teslamotors/vehicle-command/pkg/vehicle"

	"github.com/twcmanager/twcmanager/internal/vehicle/tesla/teslatest"
)

const (
	vinA = "5YJ3E1EA7KF000011"
	vinB = "5YJ3E1EA7KF000022"
)

// link is a bare connector to the fake's signed_command endpoint, with
// hooks to misbehave: the fake must refuse what a car would refuse.
type link struct {
	s      *teslatest.Server
	token  string
	vin    string // the VIN the client signs for
	target string // the VIN whose endpoint gets the messages
	method connector.AuthMethod
	// tamper, if set, changes each authenticated message before sending.
	tamper func(*universal.RoutableMessage)
	inbox  chan []byte
}

func (l *link) Send(ctx context.Context, msg []byte) error {
	if l.tamper != nil {
		var m universal.RoutableMessage
		if err := proto.Unmarshal(msg, &m); err != nil {
			return err
		}
		if m.GetSignatureData() != nil {
			l.tamper(&m)
		}
		var err error
		if msg, err = proto.Marshal(&m); err != nil {
			return err
		}
	}
	body, err := json.Marshal(map[string][]byte{"routable_message": msg})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.s.URL()+"/api/1/vehicles/"+l.target+"/signed_command", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := l.s.Client().Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var out struct {
		Response []byte `json:"response"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return err
	}
	l.inbox <- out.Response
	return nil
}

func (l *link) Receive() <-chan []byte                    { return l.inbox }
func (l *link) VIN() string                               { return l.vin }
func (l *link) Close()                                    {}
func (l *link) PreferredAuthMethod() connector.AuthMethod { return l.method }
func (l *link) RetryInterval() time.Duration              { return 50 * time.Millisecond }
func (l *link) AllowedLatency() time.Duration             { return 5 * time.Second }

// rig starts the fake with two cars and a key enrolled on both.
func rig(t *testing.T) (*teslatest.Server, protocol.ECDHPrivateKey, string) {
	t.Helper()
	s := teslatest.New(teslatest.Options{})
	t.Cleanup(s.Close)
	s.AddCar(teslatest.Car{VIN: vinA})
	s.AddCar(teslatest.Car{VIN: vinB})
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	for _, vin := range []string{vinA, vinB} {
		if err := s.Enroll(vin, pub); err != nil {
			t.Fatal(err)
		}
	}
	scalar, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return s, protocol.UnmarshalECDHPrivateKey(scalar), s.Login().Access
}

// charge opens a session over l and sends one set_charging_amps.
func charge(t *testing.T, l *link, key protocol.ECDHPrivateKey, timeout time.Duration) error {
	t.Helper()
	l.inbox = make(chan []byte, connector.BufferSize)
	car, err := vc.NewVehicle(l, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := car.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer car.Disconnect()
	if err := car.StartSession(ctx, []universal.Domain{protocol.DomainInfotainment}); err != nil {
		return err
	}
	return car.SetChargingAmps(ctx, 11)
}

func TestEncryptedCommandIsDecrypted(t *testing.T) {
	s, key, tok := rig(t)
	l := &link{s: s, token: tok, vin: vinA, target: vinA, method: connector.AuthMethodGCM}
	if err := charge(t, l, key, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	got := s.Commands()
	want := teslatest.Recorded{VIN: vinA, Via: "signed_command", Domain: "infotainment", Auth: "gcm", Kind: "set_charging_amps", Amps: 11}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("recorded %+v, want %+v", got, want)
	}
	if s.Car(vinA).RequestAmps != 11 {
		t.Errorf("the car draws %d A, want 11", s.Car(vinA).RequestAmps)
	}
}

func TestTamperedCommandIsRefused(t *testing.T) {
	for name, tamper := range map[string]func(*universal.RoutableMessage){
		"payload": func(m *universal.RoutableMessage) {
			p := bytes.Clone(m.GetProtobufMessageAsBytes())
			p[len(p)-1] ^= 1
			m.Payload = &universal.RoutableMessage_ProtobufMessageAsBytes{ProtobufMessageAsBytes: p}
		},
		"flags": func(m *universal.RoutableMessage) { m.Flags ^= 1 },
		"expiry": func(m *universal.RoutableMessage) {
			m.GetSignatureData().GetHMAC_PersonalizedData().ExpiresAt += 60
		},
	} {
		t.Run(name, func(t *testing.T) {
			s, key, tok := rig(t)
			l := &link{s: s, token: tok, vin: vinA, target: vinA, method: connector.AuthMethodHMAC, tamper: tamper}
			if err := charge(t, l, key, 500*time.Millisecond); err == nil {
				t.Fatal("a tampered command went through")
			}
			if got := s.Commands(); len(got) != 0 {
				t.Fatalf("the car obeyed a tampered command: %+v", got)
			}
		})
	}
}

// TestCommandForAnotherCarIsRefused: a command is bound to its VIN; one
// signed for car A and delivered to car B must not move B.
func TestCommandForAnotherCarIsRefused(t *testing.T) {
	s, key, tok := rig(t)
	l := &link{s: s, token: tok, vin: vinA, target: vinB, method: connector.AuthMethodHMAC}
	if err := charge(t, l, key, 500*time.Millisecond); err == nil {
		t.Fatal("a command signed for another car went through")
	}
	if got := s.Commands(); len(got) != 0 {
		t.Fatalf("car B obeyed car A's command: %+v", got)
	}
}

func TestReplayedCommandIsRefused(t *testing.T) {
	s, key, tok := rig(t)
	var sent []byte
	l := &link{s: s, token: tok, vin: vinA, target: vinA, method: connector.AuthMethodHMAC,
		tamper: func(m *universal.RoutableMessage) {
			sent, _ = proto.Marshal(m) // a RoutableMessage always encodes
		}}
	if err := charge(t, l, key, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string][]byte{"routable_message": sent})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/api/1/vehicles/"+vinA+"/signed_command", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Response []byte `json:"response"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var reply universal.RoutableMessage
	if err := proto.Unmarshal(out.Response, &reply); err != nil {
		t.Fatal(err)
	}
	if f := reply.GetSignedMessageStatus().GetSignedMessageFault(); f != universal.MessageFault_E_MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER {
		t.Errorf("replayed command: fault %v, want INVALID_TOKEN_OR_COUNTER", f)
	}
	if n := len(s.Commands()); n != 1 {
		t.Errorf("%d commands recorded, want the original only", n)
	}
}

func TestAPIChecksTokensAndScopes(t *testing.T) {
	s := teslatest.New(teslatest.Options{GrantScopes: []string{"openid", "vehicle_device_data"}})
	defer s.Close()
	s.AddCar(teslatest.Car{VIN: vinA})
	tok := s.Login().Access
	call := func(method, path, token string) int {
		req, err := http.NewRequest(method, s.URL()+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{http.MethodGet, "/api/1/vehicles", tok, http.StatusOK},
		{http.MethodGet, "/api/1/vehicles", "forged", http.StatusUnauthorized},
		{http.MethodGet, "/api/1/vehicles/" + vinB + "/vehicle_data", tok, http.StatusNotFound},
		{http.MethodPost, "/api/1/vehicles/" + vinA + "/signed_command", tok, http.StatusForbidden},
	} {
		if got := call(tc.method, tc.path, tc.token); got != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, got, tc.want)
		}
	}
	if s.Calls(teslatest.Data) != 3 || s.Billed(teslatest.Data) != 3 || s.Calls(teslatest.Command) != 1 {
		t.Errorf("counted %d/%d data and %d command calls", s.Calls(teslatest.Data), s.Billed(teslatest.Data), s.Calls(teslatest.Command))
	}
}

func TestAuthorizeRedirectsWithCode(t *testing.T) {
	s := teslatest.New(teslatest.Options{})
	defer s.Close()
	q := url.Values{
		"response_type": {"code"}, "client_id": {s.ClientID()}, "redirect_uri": {s.RedirectURI()},
		"scope": {"openid offline_access"}, "state": {"xyz"}, "code_challenge": {"abc"}, "code_challenge_method": {"S256"},
	}
	hc := s.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(s.AuthorizeURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	to, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || to.Query().Get("state") != "xyz" || to.Query().Get("code") == "" {
		t.Fatalf("authorize: %d to %v", resp.StatusCode, resp.Header.Get("Location"))
	}
	q.Del("code_challenge")
	if _, err := s.Approve(s.AuthorizeURL() + "?" + q.Encode()); err == nil {
		t.Error("a login without PKCE was approved for an app without a secret")
	}
}
