package wcs

import (
	"fmt"
	"strconv"
	"strings"

	"cartago/imaging/fits"
)

// maxAxes bounds the axis numbers searched for CTYPEn (FITS allows 999;
// no real image has more than a handful).
const maxAxes = 99

// axisPair is a longitude axis and its matching latitude axis, 1-based.
type axisPair struct {
	lon, lat         int
	lonType, latType string // "RA", "DEC", "GLON", ...
	proj             string // three-letter projection code
}

// ctypeParts splits a celestial CTYPE such as "RA---SIN" into its
// coordinate type ("RA") and projection code ("SIN"); ok is false when
// the value has no "-XXX" projection part in columns 5 to 8.
func ctypeParts(ctype string) (typ, proj string, ok bool) {
	c := strings.ToUpper(strings.TrimSpace(ctype))
	if len(c) < 8 || c[4] != '-' {
		return "", "", false
	}
	typ = strings.TrimRight(c[:4], "-")
	proj = strings.TrimRight(c[5:], " ")
	if typ == "" || len(proj) != 3 {
		return "", "", false
	}
	return typ, proj, true
}

// latitudeOf returns the latitude type that pairs with a longitude type
// ("RA" → "DEC", "GLON" → "GLAT", "HPLN" → "HPLT"), or "" when typ is
// not a longitude.
func latitudeOf(typ string) string {
	switch {
	case typ == "RA":
		return "DEC"
	case len(typ) == 4 && strings.HasSuffix(typ, "LON"):
		return typ[:1] + "LAT"
	case len(typ) == 4 && strings.HasSuffix(typ, "LN"):
		return typ[:2] + "LT"
	}
	return ""
}

// findAxes returns the first longitude axis and the latitude axis that
// matches it, which must share its projection code.
func findAxes(h *fits.Header) (axisPair, error) {
	n := axisCount(h)
	types := make([]string, n+1)
	projs := make([]string, n+1)
	for i := 1; i <= n; i++ {
		ct, _ := h.String("CTYPE" + strconv.Itoa(i))
		types[i], projs[i], _ = ctypeParts(ct)
	}
	for i := 1; i <= n; i++ {
		want := latitudeOf(types[i])
		if want == "" {
			continue
		}
		for j := 1; j <= n; j++ {
			if types[j] != want {
				continue
			}
			if projs[j] != projs[i] {
				return axisPair{}, fmt.Errorf("%w: CTYPE%d projection %s differs from CTYPE%d projection %s",
					ErrInvalid, i, projs[i], j, projs[j])
			}
			return axisPair{lon: i, lat: j, lonType: types[i], latType: types[j], proj: projs[i]}, nil
		}
	}
	return axisPair{}, ErrNoCelestial
}

// axisCount is the number of axes to search: the larger of NAXIS and
// WCSAXES, bounded by maxAxes.
func axisCount(h *fits.Header) int {
	n := 0
	for _, k := range []string{"NAXIS", "WCSAXES"} {
		if v, ok := h.Int(k); ok && int(v) > n && v <= maxAxes {
			n = int(v)
		}
	}
	if n < 2 {
		n = 2 // a header without NAXIS may still describe two axes
	}
	return n
}
