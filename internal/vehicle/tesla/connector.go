package tesla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/teslamotors/vehicle-command/pkg/connector"
	"github.com/teslamotors/vehicle-command/pkg/protocol"

	"github.com/twcmanager/twcmanager/internal/secret"
)

// fleetConn carries vehicle-command's messages for one car and one command
// over the Fleet API's signed_command endpoint, through the Client's HTTP
// client and with the access token of this attempt.
type fleetConn struct {
	c     *Client
	vin   string
	token secret.String

	mu    sync.Mutex  // guards inbox
	inbox chan []byte // nil once closed
}

var _ connector.Connector = (*fleetConn)(nil)

func newFleetConn(c *Client, vin string, token secret.String) *fleetConn {
	return &fleetConn{c: c, vin: vin, token: token, inbox: make(chan []byte, connector.BufferSize)}
}

// linkError is a failed round trip. vehicle-command retries errors that
// say Temporary; these do not, so a 401, 429 or a sleeping car comes back
// to the Client at once instead of being retried until the deadline.
type linkError struct{ err error }

func (e *linkError) Error() string          { return e.err.Error() }
func (e *linkError) Unwrap() error          { return e.err }
func (e *linkError) MayHaveSucceeded() bool { return false }
func (e *linkError) Temporary() bool        { return false }

// Send posts one RoutableMessage and queues the car's answer.
func (f *fleetConn) Send(ctx context.Context, msg []byte) error {
	body, err := json.Marshal(struct {
		Message []byte `json:"routable_message"` // base64, as Tesla wants
	}{msg})
	if err != nil {
		return &linkError{fmt.Errorf("encode the signed command: %w", err)}
	}
	a, err := f.c.send(ctx, http.MethodPost, "/api/1/vehicles/"+f.vin+"/signed_command", body, f.token)
	if err != nil {
		return &linkError{err}
	}
	if a.status == http.StatusUnprocessableEntity {
		// The car predates signed commands (pre-2021 Model S and X).
		return protocol.ErrProtocolNotSupported
	}
	if a.status != http.StatusOK {
		return &linkError{f.c.apiError(a)}
	}
	reply, err := signedReply(a.body)
	if err != nil {
		return &linkError{fmt.Errorf("%s: %w", f.c.where, err)}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inbox == nil {
		return protocol.ErrNotConnected
	}
	select {
	case f.inbox <- reply:
		return nil
	default:
		return &linkError{errors.New("the car's answers arrive faster than they are read")}
	}
}

// signedReply takes the car's RoutableMessage out of Tesla's answer:
// {"response": "<base64>"}. The nested {"response": {"response": ...}}
// some documentation shows is accepted too.
func signedReply(body []byte) ([]byte, error) {
	var outer struct {
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(body, &outer); err != nil || len(outer.Response) == 0 {
		return nil, errors.New("the answer to a signed command has no response")
	}
	var b []byte
	if err := json.Unmarshal(outer.Response, &b); err == nil && len(b) > 0 {
		return b, nil
	}
	var inner struct {
		Response []byte `json:"response"`
	}
	if err := json.Unmarshal(outer.Response, &inner); err == nil && len(inner.Response) > 0 {
		return inner.Response, nil
	}
	return nil, errors.New("the answer to a signed command is not a base64 message")
}

// Receive returns the queue of the car's answers.
func (f *fleetConn) Receive() <-chan []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inbox
}

// VIN names the car.
func (f *fleetConn) VIN() string { return f.vin }

// Close ends the connection; calling it again does nothing.
func (f *fleetConn) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inbox != nil {
		close(f.inbox)
		f.inbox = nil
	}
}

// PreferredAuthMethod is HMAC: the Fleet API must read a command to check
// it against the login's scopes, so commands are signed, not encrypted.
func (f *fleetConn) PreferredAuthMethod() connector.AuthMethod { return connector.AuthMethodHMAC }

// RetryInterval paces vehicle-command's retries after a busy car.
func (f *fleetConn) RetryInterval() time.Duration { return time.Second }

// AllowedLatency is how old the car's clock reading may be when it
// arrives; a round trip through Tesla's cloud takes a few seconds.
func (f *fleetConn) AllowedLatency() time.Duration { return 10 * time.Second }
