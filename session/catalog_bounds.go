package session

import (
	"math"
	"strings"

	"cartago/imaging/catalog"
	"cartago/imaging/wcs"
)

// worldToPixel maps a catalogue's x/y columns (longitude, latitude in
// the units the columns declare) to 0-based pixels of the image, so
// image bounds select the sources in view. Without the image or a
// celestial WCS on it, or when the columns' units are not angles, it
// returns nil: the box then applies to the columns' values as they are
// (catalogues in pixel coordinates).
func worldToPixel(f *frame, t *catalog.Table, b *catalog.Bounds) func(x, y float64) (float64, float64, bool) {
	if f == nil || f.img == nil {
		return nil
	}
	cel, err := wcs.FromHeader(f.img.Header)
	if err != nil {
		return nil
	}
	xc, yc := t.Column(b.XColumn), t.Column(b.YColumn)
	if xc == nil || yc == nil {
		return nil
	}
	xs, xok := degreesPer(xc.Unit)
	ys, yok := degreesPer(yc.Unit)
	if !xok || !yok {
		return nil
	}
	return func(x, y float64) (float64, float64, bool) {
		return cel.WorldToPixel(x*xs, y*ys)
	}
}

// degreesPer is the degrees in one unit of an angle column; ok is false
// for other units. VOTable and FITS catalogues give positions in deg
// almost always; a column without a unit is taken as degrees.
func degreesPer(unit string) (float64, bool) {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "", "deg", "degree", "degrees":
		return 1, true
	case "rad", "radian", "radians":
		return 180 / math.Pi, true
	case "arcmin":
		return 1.0 / 60, true
	case "arcsec":
		return 1.0 / 3600, true
	case "h", "hour", "hourangle":
		return 15, true
	}
	return 0, false
}
