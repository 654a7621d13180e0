package session

import (
	"cartago/imaging/fits"
	"cartago/imaging/wcs"
)

// skyMap is the celestial WCS of the render axes, with what the range
// entries need to know about its frame.
type skyMap struct {
	cel        *wcs.Celestial
	lonLen     int  // pixels along the longitude axis
	latLen     int  // and along the latitude axis
	equatorial bool // RA/DEC: ranges in hours and degrees
	ecliptic   bool // longitudes in [-180, 180)
}

// celestialOf returns the sky mapping of the render axes; ok is false
// when they are not a celestial pair in a known frame and projection (the
// reference then has no direction coordinate and no sky ranges).
func celestialOf(h *fits.HDU, a infoAxes) (skyMap, bool) {
	cel, err := wcs.FromHeader(h.Header)
	if err != nil || cel.Frame.System == "" {
		return skyMap{}, false
	}
	lon, lat := cel.LonAxis-1, cel.LatAxis-1
	if !(lon == a.x && lat == a.y) && !(lon == a.y && lat == a.x) {
		return skyMap{}, false
	}
	s := skyMap{cel: cel, lonLen: h.Naxis[lon], latLen: h.Naxis[lat]}
	switch cel.Frame.System {
	case wcs.ICRS, wcs.FK5, wcs.FK4, wcs.FK4NoE, wcs.GAPPT:
		s.equatorial = true
	case wcs.Ecliptic:
		s.ecliptic = true
	}
	return s, true
}

// toWorld converts a pixel given along the (longitude, latitude) axes to
// degrees.
func (s skyMap) toWorld(plon, plat float64) (lon, lat float64, ok bool) {
	if s.cel.LonAxis < s.cel.LatAxis {
		return s.cel.PixelToWorld(plon, plat)
	}
	return s.cel.PixelToWorld(plat, plon)
}
