//go:build gokrazy

package main

// onAppliance: gokrazy builds carry the gokrazy tag; there the program owns
// the system clock.
const onAppliance = true

// On the appliance the web interface is announced as twcmanager.local and
// its address printed on the serial console.
const (
	mdnsDefault = "twcmanager"
	consolePath = "/dev/console"
)
