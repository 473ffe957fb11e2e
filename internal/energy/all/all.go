// Package all registers every energy source kind. The appliance imports it
// once; nothing else should.
package all

import (
	_ "github.com/twcmanager/twcmanager/internal/energy/fronius" // Fronius Solar API
	_ "github.com/twcmanager/twcmanager/internal/energy/sim"     // simulated site
)
