//go:build gokrazy

package main

// onAppliance: gokrazy builds carry the gokrazy tag; there the program owns
// the system clock.
const onAppliance = true
