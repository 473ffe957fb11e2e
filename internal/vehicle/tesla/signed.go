package tesla

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/teslamotors/vehicle-command/pkg/protocol"
	universal "github.com/teslamotors/vehicle-command/pkg/protocol/protobuf/universalmessage"
	vc "github.com/teslamotors/vehicle-command/pkg/vehicle"

	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// infotainment is the car's domain for charging commands; VCSEC (locks)
// is never needed, and skipping its handshake saves a billed round trip.
var infotainment = []universal.Domain{protocol.DomainInfotainment}

// signedCommand signs cmd with the app key and sends it through the Fleet
// API. The session from earlier commands is reused from the cache; a car
// that rebooted since answers with fresh session info and vehicle-command
// retries on its own.
func (c *Client) signedCommand(ctx context.Context, vin string, cmd vehicle.Command) error {
	err := c.authed(ctx, func(tok secret.String) error {
		return c.signedOnce(ctx, vin, cmd, tok)
	})
	if errors.Is(err, protocol.ErrProtocolNotSupported) {
		c.log.Info("tesla: car predates signed commands, sending the plain command", "vin", vin)
		return c.restCommand(ctx, vin, cmd)
	}
	return err
}

func (c *Client) signedOnce(ctx context.Context, vin string, cmd vehicle.Command, tok secret.String) error {
	conn := newFleetConn(c, vin, tok)
	car, err := vc.NewVehicle(conn, c.key, c.sessions)
	if err != nil {
		conn.Close()
		return fmt.Errorf("open a session: %w", err)
	}
	if err := car.Connect(ctx); err != nil {
		car.Disconnect()
		return fmt.Errorf("open a session: %w", err)
	}
	defer car.Disconnect()
	if err := car.StartSession(ctx, infotainment); err != nil {
		return c.commandError(ctx, cmd.Kind, err)
	}
	// Even a refused command moved the session's counter on; keep it.
	defer func() { _ = car.UpdateCachedSessions(c.sessions) }() // the cache only stores; it cannot fail
	switch cmd.Kind {
	case vehicle.ChargeStart:
		err = car.ChargeStart(ctx)
	case vehicle.ChargeStop:
		err = car.ChargeStop(ctx)
	case vehicle.SetAmps:
		err = car.SetChargingAmps(ctx, int32(cmd.Amps))
	}
	return c.commandError(ctx, cmd.Kind, err)
}

// commandError maps what vehicle-command returns onto the vehicle errors.
func (c *Client) commandError(ctx context.Context, kind vehicle.CommandKind, err error) error {
	var nominal *protocol.NominalError
	var fault *protocol.RoutableMessageError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, protocol.ErrKeyNotPaired):
		return vehicle.ErrNotEnrolled
	case errors.As(err, &nominal):
		return refusal(kind, strings.TrimPrefix(nominal.Error(), "car could not execute command: "))
	case errors.As(err, &fault):
		return c.faultError(fault)
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return fmt.Errorf("the car did not answer in time; it is tried again later: %w", vehicle.ErrUnreachable)
	}
	return err
}

// faultError explains a protocol-level refusal by the car.
func (c *Client) faultError(f *protocol.RoutableMessageError) error {
	switch f.Code {
	case universal.MessageFault_E_MESSAGEFAULT_ERROR_UNKNOWN_KEY_ID,
		universal.MessageFault_E_MESSAGEFAULT_ERROR_INACTIVE_KEY:
		return vehicle.ErrNotEnrolled
	case universal.MessageFault_E_MESSAGEFAULT_ERROR_REMOTE_ACCESS_DISABLED:
		return fmt.Errorf("the car has Mobile Access turned off (%s): turn it on in the car under Controls → Safety", f)
	case universal.MessageFault_E_MESSAGEFAULT_ERROR_INSUFFICIENT_PRIVILEGES:
		return fmt.Errorf("the car does not let this key charge (%s): enrol the key again with the enrolment link", f)
	}
	return fmt.Errorf("the car rejected the signed command (%s)", f)
}
