//go:build !gokrazy

package main

// onAppliance is false off the SD-card image: the host keeps the clock.
const onAppliance = false
