//go:build !gokrazy

package main

// onAppliance is false off the SD-card image: the host keeps the clock.
const onAppliance = false

// Elsewhere nothing is announced unless asked, and there is no console.
const (
	mdnsDefault = ""
	consolePath = ""
)
