package session

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"cartago/imaging/fits"
)

// ranges adds what the image covers: the sky ("RA range", "DEC range"),
// the spectral axis ("Frequency range", "Velocity range") and the Stokes
// planes, as the reference's AddCoordRanges does (FileExtInfoLoader.cc).
func (e *entries) ranges(h *fits.HDU, a infoAxes, w infoWCS) {
	e.skyRanges(h, a)
	if a.spectralCtyped {
		e.spectralRanges(h, a, w)
	}
	if a.stokesCtyped && h.Naxis[a.stokes] > 0 {
		e.str("Stokes coverage", "["+strings.Join(stokesNames(h.Header, a.stokes, h.Naxis[a.stokes]), ", ")+"]")
	}
}

// skyRanges adds the extent of the image corners in both sky
// coordinates: hours and degrees (precision 9) for RA/DEC, degrees with
// 6 decimals for galactic and ecliptic coordinates.
func (e *entries) skyRanges(h *fits.HDU, a infoAxes) {
	sky, ok := celestialOf(h, a)
	if !ok {
		return
	}
	xmax, ymax := float64(sky.lonLen-1), float64(sky.latLen-1)
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, p := range [][2]float64{{0, 0}, {xmax, ymax}, {0, ymax}, {xmax, 0}} {
		lon, lat, ok := sky.toWorld(p[0], p[1])
		if !ok {
			return
		}
		lo[0], hi[0] = min(lo[0], lon), max(hi[0], lon)
		lo[1], hi[1] = min(lo[1], lat), max(hi[1], lat)
	}
	lonName, latName := "LON", "LAT"
	if sky.equatorial {
		lonName, latName = "RA", "DEC"
	}
	e.str(lonName+" range", "["+sky.lonText(lo[0])+", "+sky.lonText(hi[0])+"]")
	e.str(latName+" range", "["+sky.latText(lo[1])+", "+sky.latText(hi[1])+"]")
}

// lonText formats a longitude as casacore's DirectionCoordinate does by
// default: hours for right ascension, else degrees in [0, 360) (ecliptic:
// [-180, 180)).
func (s skyMap) lonText(deg float64) string {
	if s.equatorial {
		return sexagesimal(deg, angleStyle{hours: true}, 9)
	}
	if s.ecliptic {
		deg = math.Mod(deg+180, 360)
		if deg < 0 {
			deg += 360
		}
		return strconv.FormatFloat(deg-180, 'f', 6, 64)
	}
	deg = math.Mod(deg, 360)
	if deg < 0 {
		deg += 360
	}
	return strconv.FormatFloat(deg, 'f', 6, 64)
}

func (s skyMap) latText(deg float64) string {
	if s.equatorial {
		return sexagesimal(deg, angleStyle{twoDigs: true}, 9)
	}
	return strconv.FormatFloat(deg, 'f', 6, 64)
}

// spectralRanges adds the frequency (GHz) of the first and last
// channels and, with a rest frequency, their velocity (km/s).
func (e *entries) spectralRanges(h *fits.HDU, a infoAxes, w infoWCS) {
	s, ok := readSpectral(h.Header, a.spectral, w.restFreq)
	if !ok {
		return
	}
	last := float64(h.Naxis[a.spectral] - 1)
	f0, f1 := s.freq(0)/1e9, s.freq(last)/1e9
	if last > 0 {
		e.str("Frequency range", fmt.Sprintf("[%.4f, %.4f] (GHz)", f0, f1))
	} else {
		e.str("Frequency", fmt.Sprintf("%.4f (GHz)", f0))
	}
	if w.restFreq == 0 {
		return
	}
	v0, v1 := s.velocity(f0*1e9), s.velocity(f1*1e9)
	if last > 0 {
		e.str("Velocity range", fmt.Sprintf("[%.4f, %.4f] (km/s)", v0, v1))
	} else {
		e.str("Velocity", fmt.Sprintf("%.4f (km/s)", v0))
	}
}

// stokesNames names the planes of the Stokes axis (0-based index i).
func stokesNames(h *fits.Header, i, n int) []string {
	k := strconv.Itoa(i + 1)
	crval := floatOr(h, "CRVAL"+k, 0)
	cdelt := floatOr(h, "CDELT"+k, 1)
	crpix := floatOr(h, "CRPIX"+k, 0)
	names := make([]string, n)
	for p := range n {
		code := int(math.Round(crval + cdelt*(float64(p+1)-crpix)))
		names[p] = fits.StokesName(code)
		if names[p] == "" {
			names[p] = strconv.Itoa(code)
		}
	}
	return names
}

func floatOr(h *fits.Header, key string, def float64) float64 {
	if v, ok := h.Float(key); ok {
		return v
	}
	return def
}
