package wcs

import (
	"fmt"
	"math"
	"strconv"

	"cartago/imaging/fits"
)

// Celestial is the celestial coordinate system of an image: two pixel
// axes, a linear transformation, a projection and a spherical rotation.
type Celestial struct {
	// LonAxis and LatAxis are the 1-based FITS axis numbers of the
	// longitude and latitude axes.
	LonAxis, LatAxis int
	// LonType and LatType are the coordinate types from CTYPE ("RA" and
	// "DEC", "GLON" and "GLAT", ...).
	LonType, LatType string
	// Projection is the three-letter code: "TAN", "SIN", ... ("SIN" for
	// a header that says "NCP").
	Projection string
	// Frame is the sky frame the coordinates are in.
	Frame Frame
	// RefWorld is (CRVAL of the lon axis, CRVAL of the lat axis) in
	// degrees; RefPixel is the reference pixel, 0-based, as (x, y).
	RefWorld, RefPixel [2]float64

	swap bool // the lat axis is the lower-numbered one, so x is lat
	lin  linear
	proj projection
	rot  rotation
}

// FromHeader reads the celestial WCS of a header. It fails with
// ErrNoCelestial when there are no celestial axes, ErrUnsupported for
// a projection, unit or frame outside this package, and ErrInvalid for
// values that make no transformation. It never panics on any header.
func FromHeader(h *fits.Header) (*Celestial, error) {
	ax, err := findAxes(h)
	if err != nil {
		return nil, err
	}
	c := &Celestial{LonAxis: ax.lon, LatAxis: ax.lat, LonType: ax.lonType, LatType: ax.latType,
		swap: ax.lat < ax.lon}
	var scale [2]float64
	for i, a := range []int{ax.lon, ax.lat} {
		if scale[i], err = unitScale(h, a); err != nil {
			return nil, err
		}
		c.RefWorld[i] = floatOr(h, "CRVAL"+strconv.Itoa(a), 0) * scale[i]
	}
	if c.Frame, err = frameOf(h, ax); err != nil {
		return nil, err
	}
	if c.lin, err = newLinear(h, ax, scale); err != nil {
		return nil, err
	}
	if c.Projection, c.proj, err = projectionOf(h, ax, c.RefWorld[1]); err != nil {
		return nil, err
	}
	if c.rot, err = newRotation(c.RefWorld[0], c.RefWorld[1], c.proj.theta0(),
		poleKeyword(h, "LONPOLE", ax.lon, 3), poleKeyword(h, "LATPOLE", ax.lon, 4)); err != nil {
		return nil, err
	}
	c.RefPixel = c.order(c.lin.crpix[0]-1, c.lin.crpix[1]-1)
	return c, nil
}

// poleKeyword returns LONPOLE or LATPOLE, else PVi_m of the longitude
// axis (their other spelling), else NaN.
func poleKeyword(h *fits.Header, name string, lon, m int) float64 {
	if v, ok := h.Float(name); ok {
		return v
	}
	return floatOr(h, "PV"+strconv.Itoa(lon)+"_"+strconv.Itoa(m), math.NaN())
}

// projectionOf builds the projection named by the CTYPE code, reading
// the SIN slant parameters from PVi_1 and PVi_2 of the latitude axis
// and turning NCP into SIN with η = cot δ0.
func projectionOf(h *fits.Header, ax axisPair, delta0 float64) (string, projection, error) {
	lat := strconv.Itoa(ax.lat)
	switch ax.proj {
	case "TAN":
		return ax.proj, tan, nil
	case "ARC":
		return ax.proj, arc, nil
	case "STG":
		return ax.proj, stg, nil
	case "ZEA":
		return ax.proj, zea, nil
	case "CAR":
		return ax.proj, car{}, nil
	case "AIT":
		return ax.proj, ait{}, nil
	case "SIN":
		p := sinProj{xi: floatOr(h, "PV"+lat+"_1", 0), eta: floatOr(h, "PV"+lat+"_2", 0)}
		if !finite(p.xi, p.eta) {
			return "", nil, fmt.Errorf("%w: SIN parameters PV%s_1 %g, PV%s_2 %g", ErrInvalid, lat, p.xi, lat, p.eta)
		}
		return ax.proj, p, nil
	case "NCP":
		if math.Abs(delta0) < tol {
			return "", nil, fmt.Errorf("%w: NCP projection with reference on the equator", ErrInvalid)
		}
		return "SIN", sinProj{eta: 1 / math.Tan(delta0*d2r)}, nil
	}
	return "", nil, fmt.Errorf("%w: projection %s", ErrUnsupported, ax.proj)
}

// order turns (lon-axis pixel, lat-axis pixel) into (x, y) and back:
// x is the lower-numbered axis.
func (c *Celestial) order(p, q float64) [2]float64 {
	if c.swap {
		return [2]float64{q, p}
	}
	return [2]float64{p, q}
}

// PixelToWorld returns the sky coordinates in degrees (longitude in
// [0, 360)) of the 0-based pixel (x, y); ok is false outside the
// projection's domain or for non-finite input.
func (c *Celestial) PixelToWorld(x, y float64) (lon, lat float64, ok bool) {
	if !finite(x, y) {
		return 0, 0, false
	}
	pq := c.order(x, y)
	ix, iy := c.lin.forward(pq[0], pq[1])
	phi, theta, ok := c.proj.toNative(ix, iy)
	if !ok {
		return 0, 0, false
	}
	lon, lat = c.rot.toCelestial(phi, theta)
	return lon, lat, finite(lon, lat) // extreme keyword values overflow

}

// WorldToPixel returns the 0-based pixel of sky coordinates in degrees;
// ok is false where the projection does not reach (the far side of a
// TAN or SIN image) or for non-finite input.
func (c *Celestial) WorldToPixel(lon, lat float64) (x, y float64, ok bool) {
	if !finite(lon, lat) || math.Abs(lat) > 90+tol {
		return 0, 0, false
	}
	phi, theta := c.rot.toNative(lon, lat)
	ix, iy, ok := c.proj.fromNative(phi, theta)
	if !ok {
		return 0, 0, false
	}
	p, q := c.lin.backward(ix, iy)
	xy := c.order(p, q)
	return xy[0], xy[1], finite(xy[0], xy[1])
}
