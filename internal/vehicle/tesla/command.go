package tesla

import (
	"context"
	"fmt"
	"strings"

	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// Command sends one charging command: signed here for the direct
// connection, as a REST call for a proxy. One command at a time reaches a
// given car.
func (c *Client) Command(ctx context.Context, vin string, cmd vehicle.Command) error {
	if err := checkCommand(cmd); err != nil {
		return fmt.Errorf("tesla: %s for %s: %w", cmd.Kind, vin, err)
	}
	if !validVIN(vin) {
		return fmt.Errorf("tesla: %s for %q: %w", cmd.Kind, vin, vehicle.ErrUnknownVIN)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cmdTimeout)
	defer cancel()
	unlock, err := c.lockCar(ctx, vin)
	if err != nil {
		return fmt.Errorf("tesla: %s for %s: %w", cmd.Kind, vin, err)
	}
	defer unlock()
	if c.direct {
		err = c.signedCommand(ctx, vin, cmd)
	} else {
		err = c.restCommand(ctx, vin, cmd)
	}
	if err != nil {
		return fmt.Errorf("tesla: %s for %s: %w", cmd.Kind, vin, err)
	}
	c.log.Info("tesla: command sent", "vin", vin, "command", string(cmd.Kind), "amps", cmd.Amps)
	return nil
}

// checkCommand refuses what no car accepts before anything is billed.
func checkCommand(cmd vehicle.Command) error {
	switch cmd.Kind {
	case vehicle.ChargeStart, vehicle.ChargeStop:
		return nil
	case vehicle.SetAmps:
		if cmd.Amps < 1 || cmd.Amps > 80 {
			return fmt.Errorf("%d A is outside 1 to 80 A: send charge_stop to stop charging", cmd.Amps)
		}
		return nil
	}
	return fmt.Errorf("unknown command %q", cmd.Kind)
}

// refusal judges a car's refusal. Starting a car that already charges or
// stopping one that does not leaves it as wished, so those are no error.
func refusal(kind vehicle.CommandKind, reason string) error {
	r := strings.ToLower(reason)
	switch {
	case kind == vehicle.ChargeStart && strings.Contains(r, "is_charging"):
		return nil
	case kind == vehicle.ChargeStop && strings.Contains(r, "not_charging"):
		return nil
	case strings.Contains(r, "complete"):
		return fmt.Errorf("the car refused: %s (it is charged to its limit)", reason)
	case strings.Contains(r, "disconnected"):
		return fmt.Errorf("the car refused: %s (it is not plugged in)", reason)
	}
	return fmt.Errorf("the car refused: %s", reason)
}
