package wcs

import (
	"fmt"
	"strings"

	"cartago/imaging/fits"
)

// Sky frame systems, as RADESYS spells the equatorial ones.
const (
	ICRS          = "ICRS"
	FK5           = "FK5"
	FK4           = "FK4"
	FK4NoE        = "FK4-NO-E"
	GAPPT         = "GAPPT"
	Galactic      = "GALACTIC"
	Ecliptic      = "ECLIPTIC"
	Supergalactic = "SUPERGALACTIC"
)

// Frame is the reference frame of a celestial coordinate pair.
type Frame struct {
	// System is one of the constants above, or "" for coordinate types
	// with no sky frame this package knows (helioprojective HPLN/HPLT,
	// planetary xLON/xLAT).
	System string
	// Equinox is the equinox in years (2000 for FK5 J2000, 1950 for FK4
	// B1950) for FK4, FK5 and ecliptic coordinates, 0 otherwise.
	Equinox float64
}

// String returns e.g. "FK5 J2000", "ICRS", "GALACTIC".
func (f Frame) String() string {
	switch {
	case f.System == "":
		return "unknown"
	case f.Equinox == 0:
		return f.System
	case f.System == FK4 || f.System == FK4NoE:
		return fmt.Sprintf("%s B%g", f.System, f.Equinox)
	}
	return fmt.Sprintf("%s J%g", f.System, f.Equinox)
}

// frameOf applies the FITS defaults (Paper II sec. 3.1): RADESYS (or
// the older RADECSYS) when given; else FK4 for EQUINOX (or EPOCH)
// before 1984, FK5 from 1984 on, ICRS without either. FK4 defaults to
// equinox 1950, FK5 and ecliptic coordinates to 2000.
func frameOf(h *fits.Header, ax axisPair) (Frame, error) {
	switch ax.lonType {
	case "GLON":
		return Frame{System: Galactic}, nil
	case "SLON":
		return Frame{System: Supergalactic}, nil
	case "RA", "ELON":
	default:
		return Frame{}, nil
	}
	eq, hasEq := h.Float("EQUINOX")
	if !hasEq {
		eq, hasEq = h.Float("EPOCH")
	}
	sys := radesys(h)
	switch {
	case sys != "":
	case hasEq && eq < 1984:
		sys = FK4
	case hasEq:
		sys = FK5
	default:
		sys = ICRS
	}
	f := Frame{System: sys}
	switch sys {
	case FK4, FK4NoE:
		f.Equinox = orDefault(eq, hasEq, 1950)
	case FK5:
		f.Equinox = orDefault(eq, hasEq, 2000)
	case ICRS, GAPPT:
	default:
		return Frame{}, fmt.Errorf("%w: RADESYS %q", ErrUnsupported, sys)
	}
	if ax.lonType == "ELON" {
		f = Frame{System: Ecliptic, Equinox: orDefault(eq, hasEq, 2000)}
	}
	return f, nil
}

func radesys(h *fits.Header) string {
	s, ok := h.String("RADESYS")
	if !ok {
		s, _ = h.String("RADECSYS")
	}
	return strings.ToUpper(strings.TrimSpace(s))
}

func orDefault(v float64, ok bool, def float64) float64 {
	if ok && finite(v) {
		return v
	}
	return def
}
