package wcs

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"cartago/imaging/fits"
)

// linear maps 0-based pixel offsets along the lon and lat pixel axes to
// intermediate world coordinates in degrees (Paper I, eq. 1-3).
type linear struct {
	crpix [2]float64    // 1-based FITS reference pixel of the lon, lat axes
	m     [2][2]float64 // rows: world lon, lat; columns: pixel lon, lat axis
	inv   [2][2]float64
}

// unitScale returns the factor from the unit CUNITn to degrees.
func unitScale(h *fits.Header, axis int) (float64, error) {
	u, _ := h.String("CUNIT" + strconv.Itoa(axis))
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "", "deg", "degree", "degrees":
		return 1, nil
	case "rad":
		return 180 / math.Pi, nil
	case "arcmin":
		return 1.0 / 60, nil
	case "arcsec":
		return 1.0 / 3600, nil
	case "mas":
		return 1.0 / 3600e3, nil
	}
	return 0, fmt.Errorf("%w: CUNIT%d = %q is not an angle unit", ErrUnsupported, axis, u)
}

// newLinear reads CRPIX and the matrix from PCi_j with CDELT, else
// CDi_j, else CROTA with CDELT (the precedence wcslib gives them).
// scale holds the unit factors of the lon and lat axes.
func newLinear(h *fits.Header, ax axisPair, scale [2]float64) (linear, error) {
	axes := [2]int{ax.lon, ax.lat}
	var l linear
	for i, a := range axes {
		l.crpix[i] = floatOr(h, "CRPIX"+strconv.Itoa(a), 0)
	}
	switch {
	case hasMatrix(h, "PC", axes):
		l.m = pcMatrix(h, axes)
	case hasMatrix(h, "CD", axes):
		l.m = cdMatrix(h, axes)
	default:
		l.m = crotaMatrix(h, ax)
	}
	for i := range 2 {
		for j := range 2 {
			l.m[i][j] *= scale[i]
		}
	}
	return l, l.invert()
}

// hasMatrix reports whether any PREFIXi_j keyword between the two
// celestial axes is present.
func hasMatrix(h *fits.Header, prefix string, axes [2]int) bool {
	for _, i := range axes {
		for _, j := range axes {
			if _, ok := h.Float(matrixKey(prefix, i, j)); ok {
				return true
			}
		}
	}
	return false
}

func matrixKey(prefix string, i, j int) string {
	return prefix + strconv.Itoa(i) + "_" + strconv.Itoa(j)
}

// pcMatrix is diag(CDELT)·PC; PC defaults to the unit matrix.
func pcMatrix(h *fits.Header, axes [2]int) [2][2]float64 {
	var m [2][2]float64
	for r, i := range axes {
		cdelt := floatOr(h, "CDELT"+strconv.Itoa(i), 1)
		for c, j := range axes {
			def := 0.0
			if r == c {
				def = 1
			}
			m[r][c] = cdelt * floatOr(h, matrixKey("PC", i, j), def)
		}
	}
	return m
}

// cdMatrix is CD; missing elements are 0.
func cdMatrix(h *fits.Header, axes [2]int) [2][2]float64 {
	var m [2][2]float64
	for r, i := range axes {
		for c, j := range axes {
			m[r][c] = floatOr(h, matrixKey("CD", i, j), 0)
		}
	}
	return m
}

// crotaMatrix is diag(CDELT) times the rotation by CROTA of the latitude
// axis (that of the longitude axis when the latitude has none), the
// AIPS convention as wcslib reads it.
func crotaMatrix(h *fits.Header, ax axisPair) [2][2]float64 {
	dl := floatOr(h, "CDELT"+strconv.Itoa(ax.lon), 1)
	dt := floatOr(h, "CDELT"+strconv.Itoa(ax.lat), 1)
	rho, ok := h.Float("CROTA" + strconv.Itoa(ax.lat))
	if !ok {
		rho = floatOr(h, "CROTA"+strconv.Itoa(ax.lon), 0)
	}
	s, c := math.Sincos(rho * math.Pi / 180)
	return [2][2]float64{{dl * c, -dt * s}, {dl * s, dt * c}}
}

// invert fills inv, failing on a singular or non-finite matrix.
func (l *linear) invert() error {
	m := l.m
	det := m[0][0]*m[1][1] - m[0][1]*m[1][0]
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) || !finite(l.crpix[0], l.crpix[1]) {
		return fmt.Errorf("%w: singular or non-finite pixel matrix %v (CRPIX %v)", ErrInvalid, m, l.crpix)
	}
	l.inv = [2][2]float64{{m[1][1] / det, -m[0][1] / det}, {-m[1][0] / det, m[0][0] / det}}
	if !finite(l.inv[0][0], l.inv[0][1], l.inv[1][0], l.inv[1][1]) {
		return fmt.Errorf("%w: pixel matrix %v cannot be inverted", ErrInvalid, m)
	}
	return nil
}

// forward maps 0-based pixels (p along the lon axis, q along the lat
// axis) to intermediate coordinates in degrees.
func (l *linear) forward(p, q float64) (x, y float64) {
	dp, dq := p+1-l.crpix[0], q+1-l.crpix[1]
	return l.m[0][0]*dp + l.m[0][1]*dq, l.m[1][0]*dp + l.m[1][1]*dq
}

// backward is the inverse of forward.
func (l *linear) backward(x, y float64) (p, q float64) {
	return l.inv[0][0]*x + l.inv[0][1]*y + l.crpix[0] - 1, l.inv[1][0]*x + l.inv[1][1]*y + l.crpix[1] - 1
}

// floatOr returns the numeric keyword name, or def when it is absent.
func floatOr(h *fits.Header, name string, def float64) float64 {
	if v, ok := h.Float(name); ok {
		return v
	}
	return def
}

// finite reports whether every value is neither NaN nor ±Inf.
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
