package session

import (
	"fmt"
	"strings"

	"cartago/imaging"
	"cartago/imaging/fits"
)

// stokesCodes maps the polarization prefixes of profile coordinates
// ("Ix", "Qz") to FITS Stokes codes.
var stokesCodes = map[string]int{
	"I": 1, "Q": 2, "U": 3, "V": 4,
	"RR": -1, "LL": -2, "RL": -3, "LR": -4,
	"XX": -5, "YY": -6, "XY": -7, "YX": -8,
}

// parseCoordinate splits a profile coordinate into its axis ("x", "y",
// "z") and the Stokes index it reads: the current one without a prefix,
// else the plane whose Stokes code the prefix names.
func parseCoordinate(coord string, current int, l fits.Layout) (axis string, stokes int, err error) {
	if coord == "" {
		return "", 0, fmt.Errorf("empty profile coordinate")
	}
	axis, prefix := coord[len(coord)-1:], coord[:len(coord)-1]
	if !strings.Contains("xyz", axis) {
		return "", 0, fmt.Errorf("profile coordinate %q: axis must be x, y or z", coord)
	}
	stokes, err = parseStokes(prefix, current, l)
	if err != nil {
		return "", 0, fmt.Errorf("profile coordinate %q: %w", coord, err)
	}
	return axis, stokes, nil
}

// parseStokes returns the Stokes index a polarization prefix names: the
// current one for "", else the plane with that Stokes code.
func parseStokes(prefix string, current int, l fits.Layout) (int, error) {
	if prefix == "" {
		return current, nil
	}
	if pol, ok := imaging.PolarizationNamed(prefix); ok {
		if !derivable(iquvOf(l), pol) {
			return 0, fmt.Errorf("%s needs Stokes planes the image does not have", prefix)
		}
		return int(pol), nil
	}
	code, ok := stokesCodes[prefix]
	if !ok {
		return 0, fmt.Errorf("unknown polarization %q", prefix)
	}
	if l.StokesValues == nil && code == 1 {
		return 0, nil // an image without a Stokes axis is Stokes I
	}
	for i, c := range l.StokesValues {
		if c == code {
			return i, nil
		}
	}
	return 0, fmt.Errorf("the image has no %s plane", prefix)
}
