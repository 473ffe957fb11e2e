package vehicle

// Charging states a ChargeState reports, as the Fleet API spells them.
const (
	StateCharging     = "Charging"
	StateStarting     = "Starting"
	StateStopped      = "Stopped"
	StateComplete     = "Complete"
	StateDisconnected = "Disconnected"
	StateNoPower      = "NoPower"
)

// charging reports whether the car draws, or is about to.
func charging(st ChargeState) bool {
	return st.Charging == StateCharging || st.Charging == StateStarting || st.Amps >= 1
}
