// Package api is the appliance's native REST API under /api/v1/: JSON, read
// open on the local network. Handler returns it; docs/api.md documents it.
package api
