package twc

import "errors"

// ErrNoVIN means the charger reported an all-zero VIN: no car, a non-Tesla car,
// or the car's CAN link to the charger is off. Asking again will not help.
var ErrNoVIN = errors.New("twc: charger reports no VIN")

// ErrBadVIN means the VIN parts did not form a valid VIN; ask again.
var ErrBadVIN = errors.New("twc: VIN fails validation")

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinValue is the ISO 3779 transliteration; I, O and Q are not allowed.
func vinValue(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'A' && c <= 'H':
		return int(c-'A') + 1, true
	case c >= 'J' && c <= 'N':
		return int(c-'J') + 1, true
	case c == 'P':
		return 7, true
	case c == 'R':
		return 9, true
	case c >= 'S' && c <= 'Z':
		return int(c-'S') + 2, true
	}
	return 0, false
}

// AssembleVIN joins the three VIN parts and validates the result: 17
// characters from the VIN alphabet with a correct check digit at position 9.
func AssembleVIN(parts [3]VINPart) (string, error) {
	var vin []byte
	empty := true
	for _, p := range parts {
		for _, c := range p.Chars[:p.width()] {
			if c != 0 {
				empty = false
			}
		}
		vin = append(vin, p.Chars[:p.width()]...)
	}
	if empty {
		return "", ErrNoVIN
	}
	s := string(vin)
	if !ValidVIN(s) {
		return "", ErrBadVIN
	}
	return s, nil
}

// ValidVIN reports whether s is a 17-character VIN with a valid check digit.
func ValidVIN(s string) bool {
	if len(s) != 17 {
		return false
	}
	sum := 0
	for i := range 17 {
		v, ok := vinValue(s[i])
		if !ok {
			return false
		}
		sum += v * vinWeights[i]
	}
	check := byte('0' + sum%11)
	if sum%11 == 10 {
		check = 'X'
	}
	return s[8] == check
}
