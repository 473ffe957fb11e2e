package vehicle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Refusals made before calling: nothing is billed.
var (
	errBudget = errors.New("this month's car API budget is spent")
	errPaused = errors.New("Tesla's rate limit is in force")
)

// call makes one billed call of kind k through fn, after checking the rate
// limit and the budget; restart marks the start of a car this appliance
// stopped, which may use the reserve. It counts the call and records what
// the error says about the connection.
func (m *Manager) call(ctx context.Context, k callKind, restart bool, fn func(context.Context) error) error {
	now := m.clk.Now()
	if now.Before(m.block.rateUntil) {
		return errPaused
	}
	if !affordable(m.usage, m.cfg.Settings().Vehicle.MonthlyBudget, k, restart) {
		return errBudget
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	err := fn(cctx)
	cancel()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	now = m.clk.Now()
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: no answer within %v", ErrUnreachable, callTimeout)
	}
	// A call that never reached Tesla is not billed; every answer is.
	if !errors.Is(err, ErrUnreachable) {
		m.usage.count(k)
		m.save()
	}
	var rl *RateLimited
	switch {
	case err == nil:
		m.block.login, m.block.downUntil, m.block.downErr, m.block.lastOK = nil, time.Time{}, nil, now
	case errors.As(err, &rl):
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = defaultRetryAfter
		}
		m.block.rateUntil = now.Add(wait)
		m.log.Warn("vehicle: rate limited", "until", m.block.rateUntil, "err", err)
	case errors.Is(err, ErrLogin):
		m.block.login, m.block.loginAt = err, now
		m.log.Warn("vehicle: login no longer valid", "err", err)
	case errors.Is(err, ErrUnreachable):
		m.block.downUntil, m.block.downErr = now.Add(unreachablePause), err
		m.log.Warn("vehicle: connection unreachable", "err", err)
	}
	m.publish(now)
	return err
}

// readCars reads the account's car list.
func (m *Manager) readCars(ctx context.Context, api API) error {
	var list []Car
	err := m.call(ctx, dataCall, false, func(ctx context.Context) error {
		var err error
		list, err = api.Cars(ctx)
		return err
	})
	m.listTried = m.clk.Now()
	if err != nil {
		return fmt.Errorf("vehicle: read the car list: %w", err)
	}
	m.listAt = m.listTried
	for _, c := range m.cars {
		c.listed = false
	}
	m.order = m.order[:0]
	for _, l := range list {
		c := m.car(l.VIN)
		c.Car, c.listed = l, true
		m.order = append(m.order, l.VIN)
	}
	return nil
}

// state returns the car's charge state, read again only when the cached one
// is older than CacheFor. A car found asleep is taken to stay asleep for as
// long; ErrAsleep then comes with the last state read, if any.
func (m *Manager) state(ctx context.Context, api API, c *car, restart bool) (ChargeState, error) {
	now := m.clk.Now()
	cache := m.cfg.Settings().Vehicle.CacheFor
	if !c.asleepAt.IsZero() && now.Sub(c.asleepAt) < cache {
		return c.state, ErrAsleep
	}
	if !c.stateAt.IsZero() && now.Sub(c.stateAt) < cache {
		return c.state, nil
	}
	var st ChargeState
	err := m.call(ctx, dataCall, restart, func(ctx context.Context) error {
		var err error
		st, err = api.ChargeState(ctx, c.VIN)
		return err
	})
	switch {
	case errors.Is(err, ErrAsleep):
		c.asleepAt, c.Online = now, false
		return c.state, ErrAsleep
	case err != nil:
		return c.state, fmt.Errorf("vehicle: read %s: %w", c.VIN, err)
	}
	if st.At.IsZero() {
		st.At = now
	}
	c.state, c.stateAt, c.asleepAt, c.Online, c.wakeRounds = st, now, time.Time{}, true, 0
	return st, nil
}

// command sends one command to c and records it for Status.
func (m *Manager) command(ctx context.Context, api API, c *car, k CommandKind, restart bool) error {
	err := m.call(ctx, commandCall, restart, func(ctx context.Context) error {
		return api.Command(ctx, c.VIN, Command{Kind: k})
	})
	if errors.Is(err, errBudget) || errors.Is(err, errPaused) || errors.Is(err, context.Canceled) {
		return err // not sent
	}
	now := m.clk.Now()
	c.lastCmd, c.lastCmdAt, c.result = k, now, "done"
	if err != nil {
		c.result = err.Error()
		if errors.Is(err, ErrAsleep) {
			c.asleepAt, c.Online = now, false
		}
		m.log.Warn("vehicle: command failed", "vin", c.VIN, "command", string(k), "err", err)
		return fmt.Errorf("vehicle: %s to %s: %w", k, c.VIN, err)
	}
	m.log.Info("vehicle: command sent", "vin", c.VIN, "command", string(k))
	c.Online = true
	return nil
}

// wake wakes c.
func (m *Manager) wake(ctx context.Context, api API, c *car, restart bool) error {
	err := m.call(ctx, wakeCall, restart, func(ctx context.Context) error { return api.Wake(ctx, c.VIN) })
	if err != nil {
		return fmt.Errorf("vehicle: wake %s: %w", c.VIN, err)
	}
	m.log.Info("vehicle: waking the car", "vin", c.VIN)
	c.wakeReads, c.asleepAt = 0, time.Time{}
	return nil
}
