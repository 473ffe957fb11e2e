package tesla

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

const (
	userAgent = "twcmanager"
	// maxBody caps what is read of an answer; vehicle_data is a few kB.
	maxBody = 1 << 20
	// defaultRetryAfter is the wait after a 429 that names none.
	defaultRetryAfter = time.Minute
)

// defaultHTTPClient has no overall timeout: every call carries a context
// deadline instead, which also covers reading the body.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t}
}

// answer is one HTTP answer, read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request to the API base. It holds further calls after a
// 429, whichever call got it.
func (c *Client) send(ctx context.Context, method, path string, body []byte, bearer secret.String) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{}, fmt.Errorf("the API base %q is not a URL: %w", c.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if bearer.IsSet() {
		req.Header.Set("Authorization", "Bearer "+bearer.Reveal())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, transportError(c.where, c.hint, err)
	}
	defer func() { _ = resp.Body.Close() }() // read fully below; nothing to report
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return answer{}, transportError(c.where, c.hint, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	c.log.Debug("tesla: request", "method", method, "path", path, "status", a.status)
	if a.status == http.StatusTooManyRequests {
		c.hold(retryAfter(resp.Header, c.clk.Now()))
	}
	return a, nil
}

// Hints for a service that does not answer.
const (
	hintInternet = "check the appliance's internet connection"
	hintProxy    = "check that the proxy runs and its address in Settings → Car"
)

// transportError wraps a failure to reach a service. A deadline means no
// answer in time; the car connection is then as good as unreachable.
func transportError(where, hint string, err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", where, err)
	}
	return fmt.Errorf("no answer from %s (%w): %s; it retries later: %w", where, err, hint, vehicle.ErrUnreachable)
}

// retryAfter reads Retry-After, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return defaultRetryAfter
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(s)*time.Second, time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), time.Second)
	}
	return defaultRetryAfter
}

// scrub masks secrets in text that is about to become an error message.
func scrub(s string, hide []secret.String) string {
	for _, h := range hide {
		if v := h.Reveal(); v != "" {
			s = strings.ReplaceAll(s, v, secret.Mask)
		}
	}
	return s
}
