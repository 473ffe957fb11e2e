package tesla

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// restCommand sends cmd as Fleet API's plain REST command, which a proxy
// signs on the way (or which a car too old for signing takes directly).
func (c *Client) restCommand(ctx context.Context, vin string, cmd vehicle.Command) error {
	var body []byte
	if cmd.Kind == vehicle.SetAmps {
		body = []byte(fmt.Sprintf(`{"charging_amps":%d}`, cmd.Amps))
	}
	var out struct {
		Response *struct {
			Result bool   `json:"result"`
			Reason string `json:"reason"`
		} `json:"response"`
	}
	path := "/api/1/vehicles/" + vin + "/command/" + string(cmd.Kind)
	err := c.authed(ctx, func(tok secret.String) error {
		a, err := c.send(ctx, http.MethodPost, path, body, tok)
		if err != nil {
			return err
		}
		if a.status != http.StatusOK {
			return c.apiError(a)
		}
		if err := json.Unmarshal(a.body, &out); err != nil || out.Response == nil {
			return fmt.Errorf("%s answered the command with something other than a result", c.where)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !out.Response.Result {
		reason := strings.TrimPrefix(out.Response.Reason, "car could not execute command: ")
		if strings.Contains(strings.ToLower(reason), "not been paired") {
			return vehicle.ErrNotEnrolled
		}
		return refusal(cmd.Kind, c.scrub(reason))
	}
	return nil
}
