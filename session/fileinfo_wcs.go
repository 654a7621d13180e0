package session

import (
	"strconv"
	"strings"

	"cartago/imaging/fits"
)

// infoAxis is what the header says about one render axis.
type infoAxis struct {
	ctype string // CTYPE up to any '/', "" when missing
	name  string // "Right Ascension", "Declination", "Longitude", "Latitude" or the CTYPE's type part
	unit  string // CUNIT normalised, "deg" when missing

	crpix, crval, cdelt          float64
	hasCrpix, hasCrval, hasCdelt bool
}

// infoWCS is the header's coordinate description behind the computed
// entries, read as the reference reads it (FileExtInfoLoader.cc
// AddComputedEntriesFromHeaders).
type infoWCS struct {
	x, y       infoAxis
	projection string // from the x axis CTYPE ("SIN"), "" when none

	spectralCtype string
	specsys       string // SPECSYS, else the spectral CTYPE's suffix
	restFreq      float64
	velref        int
	hasVelref     bool

	equinox    string // first EQUINOX, TELEQUIN or EPOCH value, as text
	hasEquinox bool
	radesys    string
	bunit      string
}

func readInfoWCS(h *fits.Header, a infoAxes) infoWCS {
	var w infoWCS
	if a.x >= 0 {
		w.x = readInfoAxis(h, a.x)
	}
	if a.y >= 0 {
		w.y = readInfoAxis(h, a.y)
	}
	if a.spectral >= 0 {
		w.spectralCtype = a.ctype[a.spectral]
	}
	w.radesys, _ = h.String("RADESYS")
	w.bunit, _ = h.String("BUNIT")
	w.bunit = normalizeUnit(w.bunit)
	w.specsys, _ = h.String("SPECSYS")
	if _, ok := h.Get("SPECSYS"); !ok {
		_, w.specsys = splitCtype(w.spectralCtype)
	}
	if v, ok := h.Float("VELREF"); ok {
		w.velref, w.hasVelref = int(v), true
	}
	w.restFreq = restFrequency(h)
	w.equinox, w.hasEquinox = equinoxOf(h)
	if w.x.ctype != "" && w.y.ctype != "" {
		w.nameAxes()
	}
	return w
}

func readInfoAxis(h *fits.Header, i int) infoAxis {
	n := strconv.Itoa(i + 1)
	ax := infoAxis{unit: "deg"}
	ax.ctype, _ = h.String("CTYPE" + n)
	ax.ctype, _, _ = strings.Cut(ax.ctype, "/")
	ax.ctype = strings.TrimSpace(ax.ctype)
	ax.name = ax.ctype
	if u, ok := h.String("CUNIT" + n); ok {
		ax.unit = normalizeUnit(u)
	}
	ax.crpix, ax.hasCrpix = h.Float("CRPIX" + n)
	ax.crval, ax.hasCrval = h.Float("CRVAL" + n)
	ax.cdelt, ax.hasCdelt = h.Float("CDELT" + n)
	return ax
}

// celestialNames are the reference's names of celestial axis types.
var celestialNames = map[string]string{
	"RA": "Right Ascension", "DEC": "Declination", "GLON": "Longitude", "GLAT": "Latitude",
}

// nameAxes splits the CTYPEs into axis names and the projection.
func (w *infoWCS) nameAxes() {
	typ, proj := splitCtype(w.x.ctype)
	w.projection = proj
	if w.radesys == "" && typ == "GLON" {
		w.radesys = "GALACTIC"
	}
	w.x.name = nameOr(typ)
	typ, _ = splitCtype(w.y.ctype)
	w.y.name = nameOr(typ)
}

func nameOr(typ string) string {
	if n, ok := celestialNames[typ]; ok {
		return n
	}
	return typ
}

// splitCtype splits "RA---SIN" into "RA" and "SIN".
func splitCtype(ctype string) (typ, rest string) {
	typ, rest, _ = strings.Cut(ctype, "-")
	return typ, strings.TrimLeft(rest, "-")
}

// celestialFrame is "FK5, J2000" and the like: the equinox wins over
// RADESYS, as in the reference.
func (w infoWCS) celestialFrame() string {
	if w.hasEquinox {
		switch w.equinox {
		case "J2000":
			return "FK5, J2000"
		case "B1950":
			return "FK4, B1950"
		case "ICRS":
			return "ICRS, J2000"
		}
		return w.equinox
	}
	return w.radesys
}

// equinoxOf returns the first of EQUINOX, TELEQUIN and EPOCH in header
// order, "J2000" or "B1950" when it names one of those years.
func equinoxOf(h *fits.Header) (string, bool) {
	for _, c := range h.Cards {
		if !strings.HasPrefix(c.Name, "EQUINOX") && !strings.HasPrefix(c.Name, "TELEQUIN") && !strings.HasPrefix(c.Name, "EPOCH") {
			continue
		}
		v := c.Value
		if c.Type == fits.TypeInt || c.Type == fits.TypeFloat {
			v = shortest(c.Number)
		}
		switch {
		case strings.Contains(v, "2000"):
			return "J2000", true
		case strings.Contains(v, "1950"):
			return "B1950", true
		}
		return v, true
	}
	return "", false
}

// restFrequency is RESTFRQ (or the older RESTFREQ) in Hz, 0 when absent.
func restFrequency(h *fits.Header) float64 {
	for _, c := range h.Cards {
		if strings.HasPrefix(c.Name, "RESTFREQ") || strings.HasPrefix(c.Name, "RESTFRQ") {
			return c.Number
		}
	}
	return 0
}

// unitFixes are the spellings the reference corrects in unit strings.
var unitFixes = strings.NewReplacer(
	"JY", "Jy", "jy", "Jy", "Beam", "beam", "BEAM", "beam", "Jypb", "Jy/beam", "JyPB", "Jy/beam",
	"Jy beam-1", "Jy/beam", "Jy beam^-1", "Jy/beam", "beam-1 Jy", "Jy/beam", "beam^-1 Jy", "Jy/beam",
	"Pixel", "pixel", "DEGREE", "deg", `"`, "")

// upperUnits are FITS upper-case unit names and their casacore forms.
var upperUnits = map[string]string{"DEG": "deg", "RAD": "rad", "HZ": "Hz", "M/S": "m/s", "KM/S": "km/s", "ARCSEC": "arcsec", "ARCMIN": "arcmin"}

func normalizeUnit(u string) string {
	u = unitFixes.Replace(strings.TrimSpace(u))
	if v, ok := upperUnits[u]; ok {
		return v
	}
	return u
}
