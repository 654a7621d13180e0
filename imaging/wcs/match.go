package wcs

import (
	"fmt"
	"math"
)

// galactic is the rotation between FK5 J2000 and galactic coordinates:
// the galactic north pole at (α, δ) = (192.8594812065348°,
// 27.12825118085622°) and the celestial pole at l = 122.9319185680026°
// (the IAU 1958 system carried to J2000, as astropy and casacore use
// it). Native coordinates are galactic, "celestial" ones FK5.
var galactic = func() rotation {
	r := rotation{alphaP: 192.8594812065348, deltaP: 27.12825118085622, phiP: 122.9319185680026}
	r.sdp, r.cdp = math.Sincos(r.deltaP * d2r)
	return r
}()

// toFK5 returns a function from frame f to FK5 J2000 and its inverse.
// ICRS is taken as FK5 J2000: they differ by the frame bias, below
// 0.03 arcsec, which casacore applies and we do not.
func toFK5(f Frame) (to, from func(lon, lat float64) (float64, float64), ok bool) {
	id := func(lon, lat float64) (float64, float64) { return lon, lat }
	switch {
	case f.System == ICRS, f.System == FK5 && f.Equinox == 2000:
		return id, id, true
	case f.System == Galactic:
		return galactic.toCelestial, galactic.toNative, true
	}
	return nil, nil, false
}

// Convert returns a function taking sky coordinates in degrees from
// frame from to frame to. Identical frames need nothing; FK5 J2000,
// ICRS (taken as FK5 J2000) and galactic convert into one another;
// other pairs (FK4, other equinoxes, ecliptic, supergalactic, unknown
// systems) fail with ErrUnsupported.
func Convert(from, to Frame) (func(lon, lat float64) (float64, float64), error) {
	if from == to && from.System != "" {
		return func(lon, lat float64) (float64, float64) { return lon, lat }, nil
	}
	in, _, ok1 := toFK5(from)
	_, out, ok2 := toFK5(to)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: no conversion from %v to %v", ErrUnsupported, from, to)
	}
	return func(lon, lat float64) (float64, float64) {
		lon, lat = out(in(lon, lat))
		return wrap360(lon), lat
	}, nil
}

// PixelMap returns a function taking a pixel of the image described by
// from to the pixel of the image described by to that shows the same
// sky position; ok is false where either projection does not reach. It
// fails when the frames do not convert (see Convert).
func PixelMap(from, to *Celestial) (func(x, y float64) (float64, float64, bool), error) {
	conv, err := Convert(from.Frame, to.Frame)
	if err != nil {
		return nil, err
	}
	return func(x, y float64) (float64, float64, bool) {
		lon, lat, ok := from.PixelToWorld(x, y)
		if !ok {
			return 0, 0, false
		}
		lon, lat = conv(lon, lat)
		return to.WorldToPixel(lon, lat)
	}, nil
}
