// Package api is what other programs see of the appliance: the native REST
// API under /api/v1/ (Handler, documented in docs/api.md), the Backend every
// integration reads and changes the appliance through, the charging actions
// they share (ChargeNow, CancelChargeNow, SetMode, …) and the API token that
// guards writes.
//
// The integrations live in subpackages: compat (TWCManager's /api/*),
// mqtt (status, control and Home Assistant discovery) and metrics
// (Prometheus).
package api
