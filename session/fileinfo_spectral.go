package session

import (
	"math"
	"strconv"
	"strings"

	"cartago/imaging/fits"
)

// lightSpeed is c in m/s.
const lightSpeed = 299792458.0

// spectralAxis is a linear spectral axis (FITS paper III): value(p) =
// CRVAL + CDELT·(p+1-CRPIX) in SI units for 0-based pixel p, and the
// type of that value.
type spectralAxis struct {
	kind                string // FREQ, VRAD, VOPT, ZOPT, FELO, VELO, WAVE
	crval, cdelt, crpix float64
	rest                float64 // Hz, 0 when unknown
}

// spectralScale gives SI multipliers for the units spectral axes use.
var spectralScale = map[string]float64{
	"Hz": 1, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9,
	"m/s": 1, "km/s": 1e3, "m": 1, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "nm": 1e-9, "Angstrom": 1e-10, "": 1,
}

// readSpectral reads the spectral axis (0-based index i); ok is false
// for types it does not convert, and for velocity and redshift axes
// without a rest frequency (no frequency can be derived).
func readSpectral(h *fits.Header, i int, rest float64) (spectralAxis, bool) {
	k := strconv.Itoa(i + 1)
	ctype, _ := h.String("CTYPE" + k)
	s := spectralAxis{kind: strings.ToUpper(ctype), rest: rest}
	if len(s.kind) > 4 {
		s.kind = s.kind[:4]
	}
	unit, _ := h.String("CUNIT" + k)
	scale, ok := spectralScale[normalizeUnit(unit)]
	if !ok {
		return s, false
	}
	s.crval = floatOr(h, "CRVAL"+k, 0) * scale
	s.cdelt = floatOr(h, "CDELT"+k, 1) * scale
	s.crpix = floatOr(h, "CRPIX"+k, 0)
	switch s.kind {
	case "FREQ", "WAVE":
		return s, true
	case "VRAD", "VOPT", "ZOPT", "FELO", "VELO":
		return s, rest > 0
	}
	return s, false
}

// freq is the frequency in Hz at 0-based pixel p.
func (s spectralAxis) freq(p float64) float64 {
	v := s.crval + s.cdelt*(p+1-s.crpix)
	switch s.kind {
	case "VRAD":
		return s.rest * (1 - v/lightSpeed)
	case "VOPT", "FELO":
		return s.rest / (1 + v/lightSpeed)
	case "ZOPT":
		return s.rest / (1 + v)
	case "VELO":
		return s.rest * math.Sqrt((lightSpeed-v)/(lightSpeed+v))
	case "WAVE":
		return lightSpeed / v
	}
	return v
}

// velocity converts a frequency to km/s with the axis's velocity
// definition: optical for optical velocity and redshift axes,
// relativistic for VELO, radio otherwise (casacore's default).
func (s spectralAxis) velocity(f float64) float64 {
	var v float64
	switch s.kind {
	case "VOPT", "FELO", "ZOPT":
		v = lightSpeed * (s.rest/f - 1)
	case "VELO":
		v = lightSpeed * (s.rest*s.rest - f*f) / (s.rest*s.rest + f*f)
	default:
		v = lightSpeed * (1 - f/s.rest)
	}
	return v / 1e3
}
