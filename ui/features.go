package ui

// PublicPaths may be read without login when the user made the dashboard
// public (local network only).
var PublicPaths = []string{"/", "/events"}

// Features returns every part of the interface.
func Features() []Feature {
	return []Feature{}
}
