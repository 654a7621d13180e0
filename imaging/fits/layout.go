package fits

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// AxisNumbers gives the role of each axis as a 1-based FITS axis number,
// 0 when the image has no such axis (CARTA's AxesNumbers).
type AxisNumbers struct {
	SpatialX, SpatialY, Spectral, Stokes, Depth int
}

// Layout is the geometry of an image HDU.
type Layout struct {
	// Width and Height are the lengths of the two render (spatial) axes.
	Width, Height int
	// Depth is the length of the depth axis (the spectral axis when
	// there is one), 1 when there is none.
	Depth int
	// Stokes is the length of the Stokes axis, 1 when there is none.
	Stokes int
	// Axes gives the axis number of each role.
	Axes AxisNumbers
	// StokesValues holds the Stokes code of each plane along the Stokes
	// axis (1=I, 2=Q, 3=U, 4=V, -1=RR, ..., -8=YX; see StokesName), from
	// CRVAL/CDELT/CRPIX of that axis; nil when there is no Stokes axis.
	StokesValues []int
}

// spectralTypes are the first four characters of spectral CTYPEs.
var spectralTypes = map[string]bool{
	"FREQ": true, "ENER": true, "WAVN": true, "VRAD": true, "WAVE": true, "VOPT": true,
	"ZOPT": true, "AWAV": true, "VELO": true, "BETA": true, "FELO": true,
}

// IsSpectralCtype reports whether a CTYPE value names a spectral axis
// (FREQ, VRAD, VOPT, VELO, FELO, WAVE, AWAV, WAVN, ZOPT, BETA, ENER;
// prefix match on the first four characters, case-insensitive).
func IsSpectralCtype(ctype string) bool {
	c := strings.ToUpper(strings.TrimSpace(ctype))
	return len(c) >= 4 && spectralTypes[c[:4]]
}

// IsStokesCtype reports whether a CTYPE value names a Stokes axis.
func IsStokesCtype(ctype string) bool {
	return strings.HasPrefix(strings.ToUpper(strings.TrimSpace(ctype)), "STOKES")
}

// newLayout assigns axis roles from CTYPEn. Render axes are the first two
// axes that are neither spectral nor Stokes (falling back to the first
// unused axes, e.g. for a position-velocity image); the depth axis is
// the spectral axis, else the first remaining non-Stokes axis; an axis
// left over without a STOKES CTYPE becomes the Stokes axis. Any further
// axes must be degenerate.
func newLayout(hdr *Header, naxis []int) (Layout, error) {
	for i, n := range naxis {
		if n == 0 {
			return Layout{}, fmt.Errorf("%w: NAXIS%d = 0, the image has no data", ErrUnsupported, i+1)
		}
	}
	spectral, stokes := -1, -1
	for i := range naxis {
		ct, _ := hdr.String("CTYPE" + strconv.Itoa(i+1))
		if spectral < 0 && IsSpectralCtype(ct) {
			spectral = i
		} else if stokes < 0 && IsStokesCtype(ct) {
			stokes = i
		}
	}
	used := make([]bool, len(naxis))
	x := pickAxis(used, func(i int) bool { return i != spectral && i != stokes })
	y := pickAxis(used, func(i int) bool { return i != spectral && i != stokes })
	if y < 0 {
		x, y = fillRender(used, x, stokes)
	}
	if stokes >= 0 && used[stokes] {
		stokes = -1
	}
	depth := -1
	if spectral >= 0 && !used[spectral] {
		depth = spectral
		used[spectral] = true
	} else {
		depth = pickAxis(used, func(i int) bool { return i != stokes })
	}
	if stokes < 0 {
		stokes = pickAxis(used, func(i int) bool { return naxis[i] > 1 })
	} else {
		used[stokes] = true
	}
	if err := checkLeftovers(hdr, naxis, used); err != nil {
		return Layout{}, err
	}
	return buildLayout(hdr, naxis, x, y, spectral, stokes, depth), nil
}

// pickAxis marks and returns the first unused axis accepted by ok, or -1.
func pickAxis(used []bool, ok func(int) bool) int {
	for i := range used {
		if !used[i] && ok(i) {
			used[i] = true
			return i
		}
	}
	return -1
}

// fillRender completes the render axes from unused axes when fewer than
// two non-spectral, non-Stokes axes exist; Stokes is taken last.
func fillRender(used []bool, x, stokes int) (int, int) {
	y := pickAxis(used, func(i int) bool { return i != stokes })
	if x < 0 {
		x, y = y, pickAxis(used, func(i int) bool { return i != stokes })
	}
	if x < 0 {
		x = pickAxis(used, func(int) bool { return true })
	}
	if y < 0 {
		y = pickAxis(used, func(int) bool { return true })
	}
	if y < x {
		x, y = y, x
	}
	return x, y
}

// checkLeftovers fails when an axis without a role is not degenerate.
func checkLeftovers(hdr *Header, naxis []int, used []bool) error {
	for i, n := range naxis {
		if !used[i] && n > 1 {
			ct, _ := hdr.String("CTYPE" + strconv.Itoa(i+1))
			return fmt.Errorf("%w: axis %d (CTYPE %q) has length %d; at most 4 non-degenerate axes are supported",
				ErrUnsupported, i+1, ct, n)
		}
	}
	return nil
}

// buildLayout fills a Layout from 0-based axis indexes (-1 = none).
func buildLayout(hdr *Header, naxis []int, x, y, spectral, stokes, depth int) Layout {
	l := Layout{Width: naxis[x], Height: naxis[y], Depth: 1, Stokes: 1}
	l.Axes = AxisNumbers{SpatialX: x + 1, SpatialY: y + 1, Spectral: spectral + 1, Stokes: stokes + 1, Depth: depth + 1}
	if depth >= 0 {
		l.Depth = naxis[depth]
	}
	if stokes >= 0 {
		l.Stokes = naxis[stokes]
		l.StokesValues = stokesValues(hdr, stokes+1, l.Stokes)
	}
	return l
}

// stokesValues computes the Stokes code of each pixel along axis n
// (1-based) with the FITS defaults CRVAL 0, CDELT 1, CRPIX 0.
func stokesValues(hdr *Header, n, count int) []int {
	s := strconv.Itoa(n)
	crval := hdr.floatOr("CRVAL"+s, 0)
	cdelt := hdr.floatOr("CDELT"+s, 1)
	crpix := hdr.floatOr("CRPIX"+s, 0)
	vals := make([]int, count)
	for i := range vals {
		v := math.Round(crval + (float64(i+1)-crpix)*cdelt)
		if math.IsNaN(v) || math.Abs(v) > 1e6 {
			v = 0
		}
		vals[i] = int(v)
	}
	return vals
}

var stokesNames = map[int]string{
	1: "I", 2: "Q", 3: "U", 4: "V",
	-1: "RR", -2: "LL", -3: "RL", -4: "LR",
	-5: "XX", -6: "YY", -7: "XY", -8: "YX",
}

// StokesName returns the name of a FITS Stokes code ("I", "Q", "U",
// "V", "RR", "LL", "RL", "LR", "XX", "YY", "XY", "YX"), or "" when the
// code is not one of these.
func StokesName(code int) string { return stokesNames[code] }

// Beam is a restoring beam; all angles are in degrees, as in the header.
type Beam struct {
	Major, Minor, PA float64
}

// Beam returns the beam from BMAJ, BMIN and BPA (BPA defaults to 0); ok
// is false unless BMAJ and BMIN are present and positive.
func (h *HDU) Beam() (Beam, bool) {
	maj, ok1 := h.Header.Float("BMAJ")
	mnr, ok2 := h.Header.Float("BMIN")
	if !ok1 || !ok2 || !(maj > 0) || !(mnr > 0) {
		return Beam{}, false
	}
	return Beam{Major: maj, Minor: mnr, PA: h.Header.floatOr("BPA", 0)}, true
}
