package tesla

import (
	"fmt"
	"strings"
)

// The two ways to reach the cars, as config.Vehicle.Connection names them.
const (
	Direct = "direct"
	Proxy  = "proxy"
)

// Scopes is what the login asks for: car data and location, charging
// commands, and offline_access for a refresh token.
const Scopes = "openid offline_access vehicle_device_data vehicle_location vehicle_cmds vehicle_charging_cmds"

// Endpoints are the base URLs of Tesla's services. They are fields, not
// constants, so tests point them at package teslatest.
type Endpoints struct {
	// Authorize is the login page the user opens.
	Authorize string
	// Token is where codes and refresh tokens are exchanged.
	Token string
	// FleetAPI is the regional API base; it is also the tokens' audience.
	FleetAPI string
}

// RegionEndpoints returns Tesla's endpoints for a region: na (North America
// and Asia-Pacific), eu (Europe, Middle East, Africa) or cn (China).
func RegionEndpoints(region string) (Endpoints, error) {
	switch strings.ToLower(strings.TrimSpace(region)) {
	case "na":
		return Endpoints{
			Authorize: "https://auth.tesla.com/oauth2/v3/authorize",
			Token:     "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token",
			FleetAPI:  "https://fleet-api.prd.na.vn.cloud.tesla.com",
		}, nil
	case "eu":
		return Endpoints{
			Authorize: "https://auth.tesla.com/oauth2/v3/authorize",
			Token:     "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token",
			FleetAPI:  "https://fleet-api.prd.eu.vn.cloud.tesla.com",
		}, nil
	case "cn":
		return Endpoints{
			Authorize: "https://auth.tesla.cn/oauth2/v3/authorize",
			Token:     "https://auth.tesla.cn/oauth2/v3/token",
			FleetAPI:  "https://fleet-api.prd.cn.vn.cloud.tesla.cn",
		}, nil
	}
	return Endpoints{}, fmt.Errorf("tesla: unknown region %q: choose na, eu or cn in Settings → Car", region)
}
