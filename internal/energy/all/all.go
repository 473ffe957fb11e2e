// Package all registers every energy source kind. The appliance imports it
// once; nothing else should.
package all

import (
	_ "github.com/twcmanager/twcmanager/internal/energy/enphase"         // Enphase Envoy / IQ Gateway
	_ "github.com/twcmanager/twcmanager/internal/energy/fronius"         // Fronius Solar API
	_ "github.com/twcmanager/twcmanager/internal/energy/homeassistant"   // Home Assistant entities
	_ "github.com/twcmanager/twcmanager/internal/energy/httpjson"        // any HTTP JSON endpoint
	_ "github.com/twcmanager/twcmanager/internal/energy/mqtt"            // MQTT topics
	_ "github.com/twcmanager/twcmanager/internal/energy/openhab"         // openHAB items
	_ "github.com/twcmanager/twcmanager/internal/energy/powerwall"       // Tesla Powerwall gateway
	_ "github.com/twcmanager/twcmanager/internal/energy/shelly"          // Shelly EM / 3EM / Pro 3EM
	_ "github.com/twcmanager/twcmanager/internal/energy/sim"             // simulated site
	_ "github.com/twcmanager/twcmanager/internal/energy/solaredge"       // SolarEdge monitoring cloud
	_ "github.com/twcmanager/twcmanager/internal/energy/solaredgemodbus" // SolarEdge local Modbus TCP
	_ "github.com/twcmanager/twcmanager/internal/energy/sunspec"         // SunSpec Modbus TCP
	_ "github.com/twcmanager/twcmanager/internal/energy/victron"         // Victron GX Modbus TCP
)
