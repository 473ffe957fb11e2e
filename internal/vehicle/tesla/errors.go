package tesla

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// errUnauthorized is a 401: the access token is expired or revoked. It is
// answered by one renewal and retry, never shown to the user as such.
var errUnauthorized = errors.New("Tesla refused the access token (401)")

// otherRegion finds the right base in a 421 "user out of region" answer.
var otherRegion = regexp.MustCompile(`use base URL: (https://[-a-zA-Z0-9.]+)`)

// apiError explains an answer that is not a 2xx, from the Fleet API or a
// proxy. Proxies such as tesla-http-proxy report car faults as a 500 with
// the car's words, so the words are checked before the status.
func (c *Client) apiError(a answer) error {
	msg := c.message(a.body)
	low := strings.ToLower(msg)
	switch {
	case a.status == http.StatusUnauthorized:
		return errUnauthorized
	case a.status == http.StatusTooManyRequests:
		return &vehicle.RateLimited{RetryAfter: retryAfter(a.header, c.clk.Now())}
	case a.status == http.StatusRequestTimeout || strings.Contains(low, "offline or asleep"):
		return fmt.Errorf("%w: wake it first", vehicle.ErrAsleep)
	case strings.Contains(low, "not been paired") || strings.Contains(low, "unknown key") ||
		strings.Contains(low, "missing_key"):
		return vehicle.ErrNotEnrolled
	case a.status == http.StatusForbidden && strings.Contains(low, "scope"):
		return fmt.Errorf("the login lacks a permission (%s): log in again and allow car data and charging commands: %w", msg, vehicle.ErrLogin)
	case a.status == http.StatusForbidden && strings.Contains(low, "command protocol required"):
		return fmt.Errorf("the car accepts only signed commands but %s sent them unsigned: use the direct connection or a signing proxy", c.where)
	case a.status == http.StatusForbidden:
		return vehicle.ErrNotEnrolled
	case a.status == http.StatusNotFound:
		return vehicle.ErrUnknownVIN
	case a.status == http.StatusPreconditionFailed:
		return fmt.Errorf("the developer app is not registered in this region (%s): register it with Tesla (partner_accounts) for the region in Settings → Car", msg)
	case a.status == http.StatusMisdirectedRequest:
		if m := otherRegion.FindStringSubmatch(msg); m != nil {
			return fmt.Errorf("the Tesla account belongs to another region (%s): change the region in Settings → Car and log in again", m[1])
		}
		return errors.New("the Tesla account belongs to another region: change the region in Settings → Car and log in again")
	case a.status >= 500:
		return fmt.Errorf("%s answered %d (%s); it retries later: %w", c.where, a.status, msg, vehicle.ErrUnreachable)
	}
	return fmt.Errorf("%s answered %d (%s)", c.where, a.status, msg)
}

// message is the reason in an error answer, with any secret masked and
// its length capped, fit for an error string.
func (c *Client) message(body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil {
		msg = strings.TrimSpace(e.Error + " " + e.Description)
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	msg = c.scrub(msg)
	if len(msg) > 200 {
		msg = strings.ToValidUTF8(msg[:200], "") + "…"
	}
	if msg == "" {
		msg = "no reason given"
	}
	return msg
}
