package vehicle

import (
	"math"

	"github.com/twcmanager/twcmanager/config"
)

// earthRadiusM is the mean radius of the Earth.
const earthRadiusM = 6_371_000

// distanceM is the great-circle distance between two points in degrees
// (haversine): exact enough at home-radius scale anywhere on Earth, unlike
// TWCManager's square of ±radius in degrees.
func distanceM(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}

// where says whether a car is at home: known is false when either the home
// or the car's location is unknown.
func where(h config.Home, st ChargeState) (home, known bool) {
	if !h.Set() || !st.HasLocation {
		return false, false
	}
	radius := h.RadiusM
	if radius <= 0 {
		radius = defaultRadiusM
	}
	return distanceM(h.Lat, h.Lon, st.Lat, st.Lon) <= radius, true
}

// defaultRadiusM is the home radius when none is set.
const defaultRadiusM = 200
