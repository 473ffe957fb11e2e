package twcsim

import "github.com/twcmanager/twcmanager/internal/twc"

// Profile is a charger firmware generation and what it answers.
type Profile struct {
	Name     string
	Protocol twc.Protocol
	Legacy   [3]byte // FD 1B firmware version
	// Meter is 0 (no FD EB), 16 (older protocol 2: kWh and voltages) or 20
	// (4.5.3: adds phase currents).
	Meter int
	// Extended enables FD EC, FD ED, VIN, FD B4 and the FC B1/B2 relay commands.
	Extended bool
	Version  [4]byte // FD EC version when Extended
	// IdleAmps is the calibration offset reported with no car (0 or 0.25 A).
	IdleAmps twc.Centiamps
}

// Firmware profiles named in the protocol spec.
var (
	// ProfileV1 is an original protocol-1 unit: 7 data bytes, 5 A minimum.
	ProfileV1 = Profile{Name: "v1", Protocol: twc.Protocol1, Legacy: [3]byte{1, 0, 0}, IdleAmps: 25}
	// ProfileV2 is protocol 2 with older firmware: a 16-byte meter reply, no
	// extended queries.
	ProfileV2 = Profile{Name: "v2", Protocol: twc.Protocol2, Legacy: [3]byte{4, 4, 13}, Meter: 16, IdleAmps: 25}
	// Profile453 is firmware 4.5.3: long meter reply, serial, VIN, relay commands.
	Profile453 = Profile{Name: "4.5.3", Protocol: twc.Protocol2, Legacy: [3]byte{4, 5, 3}, Meter: 20,
		Extended: true, Version: [4]byte{4, 5, 3, 2}}
)

// ProfileByName returns the profile called name ("v1", "v2", "4.5.3").
func ProfileByName(name string) (Profile, bool) {
	for _, p := range []Profile{ProfileV1, ProfileV2, Profile453} {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}
