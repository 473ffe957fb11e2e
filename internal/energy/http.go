package energy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// maxBody bounds what a device may send us.
const maxBody = 1 << 20

// HTTPClient is the client sources use unless they need their own (TLS with
// a device's self-signed certificate, for instance). Deadlines come from the
// caller's context.
var HTTPClient = &http.Client{Timeout: 30 * time.Second}

// GetJSON performs req and decodes a JSON body into v. Errors say what
// happened in words a user can act on: the HTTP status, a body that is not
// JSON, a timeout, a refused connection.
func GetJSON(ctx context.Context, client *http.Client, req *http.Request, v any) error {
	if client == nil {
		client = HTTPClient
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer from %s in time: %w", req.URL.Host, context.DeadlineExceeded)
		}
		// url.Error quotes the whole URL, query and all, and some devices
		// take their key in the query: name the host, keep the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("cannot reach %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("reading the answer from %s: %w", req.URL.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &StatusError{Code: resp.StatusCode, Status: resp.Status}
	}
	if len(body) > maxBody {
		return fmt.Errorf("answer from %s is larger than %d bytes", req.URL.Host, maxBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("malformed JSON from %s: %w", req.URL.Host, err)
	}
	return nil
}

// StatusError is an HTTP answer other than 200 OK.
type StatusError struct {
	Code   int
	Status string
}

func (e *StatusError) Error() string {
	switch e.Code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "HTTP " + e.Status + ": the token or password was refused"
	case http.StatusNotFound:
		return "HTTP " + e.Status + ": the device does not offer this address (wrong device type or firmware?)"
	}
	return "HTTP " + e.Status
}
