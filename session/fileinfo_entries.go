package session

import (
	"fmt"
	"strconv"
	"strings"

	"cartago/icd"
	"cartago/imaging/fits"
)

// entries collects computed entries in order.
type entries []*icd.HeaderEntry

func (e *entries) str(name, value string) {
	*e = append(*e, &icd.HeaderEntry{Name: name, Value: value})
}

func (e *entries) int(name string, v int) {
	*e = append(*e, &icd.HeaderEntry{Name: name, Value: strconv.Itoa(v), EntryType: icd.EntryType_INT, NumericValue: float64(v)})
}

// computedEntries is the summary of the File Information dialog, with
// the reference's names, order and formats (CARTAvis/carta-backend
// src/FileList/FileExtInfoLoader.cc: AddEntriesFromHeaderStrings,
// AddDataTypeEntry, AddShapeEntries, AddComputedEntriesFromHeaders,
// AddBeamEntry, AddCoordRanges). Entry 2 is "Extension name" when the
// HDU has one: the frontend labels HDUs from it.
func computedEntries(name string, h *fits.HDU) []*icd.HeaderEntry {
	var e entries
	e.str("Name", name)
	e.str("HDU", h.Key())
	if h.ExtName != "" {
		e.str("Extension name", h.ExtName)
	}
	e.str("Data type", dataType(h.Bitpix))
	a := findInfoAxes(h)
	e.shape(h.Naxis, a)
	w := readInfoWCS(h.Header, a)
	e.coordinates(w)
	e.frames(w)
	if b, ok := beamOf(h.Header); ok {
		e.str("Restoring beam", fmt.Sprintf(`%s" X %s", %s deg`, cFloat(b.Major*3600), cFloat(b.Minor*3600), cFloat(b.PA)))
	}
	e.ranges(h, a, w)
	return e
}

// dataType names the pixel type as casacore does; integer data is read
// as float (BSCALE/BZERO applied), which the reference adds.
func dataType(bitpix int) string {
	switch bitpix {
	case 8:
		return "uChar (rescaled to float)"
	case 16:
		return "Short (rescaled to float)"
	case 32:
		return "Int (rescaled to float)"
	case 64:
		return "Int64"
	case -32:
		return "float"
	case -64:
		return "double"
	}
	return strconv.Itoa(bitpix)
}

// shape adds "Shape" ("[64, 64, 8] (RA, DEC, FREQ)") and the channel
// and polarization counts when the image has such axes.
func (e *entries) shape(naxis []int, a infoAxes) {
	lens := make([]string, len(naxis))
	labels := make([]string, len(naxis))
	for i, n := range naxis {
		lens[i], labels[i] = strconv.Itoa(n), a.axisLabel(i)
	}
	e.str("Shape", "["+strings.Join(lens, ", ")+"] ("+strings.Join(labels, ", ")+")")
	if a.spectral >= 0 {
		e.int("Number of channels", naxis[a.spectral])
	}
	if a.stokes >= 0 {
		e.int("Number of polarizations", naxis[a.stokes])
	}
}

// coordinates adds the entries about the two render axes.
func (e *entries) coordinates(w infoWCS) {
	x, y := w.x, w.y
	if x.ctype != "" && y.ctype != "" {
		e.str("Coordinate type", x.name+", "+y.name)
		if w.projection != "" {
			e.str("Projection", w.projection)
		}
	}
	if x.hasCrpix && y.hasCrpix {
		e.str("Image reference pixels", "["+shortest(x.crpix)+", "+shortest(y.crpix)+"]")
	}
	if x.hasCrval && y.hasCrval {
		e.str("Image reference coords", "["+x.angleText()+", "+y.angleText()+"]")
		if x.isAngle() || y.isAngle() {
			e.str("Image ref coords (deg)", "["+x.degText()+", "+y.degText()+"]")
		}
	}
	if x.hasCdelt && y.hasCdelt {
		e.str("Pixel increment", x.incrementText()+", "+y.incrementText())
	}
}

// frames adds the unit and the celestial and spectral frames.
func (e *entries) frames(w infoWCS) {
	if w.bunit != "" {
		e.str("Pixel unit", w.bunit)
	}
	if f := w.celestialFrame(); f != "" {
		e.str("Celestial frame", f)
	}
	if w.specsys != "" {
		e.str("Spectral frame", w.specsys)
	}
	if w.hasVelref {
		// The reference's reading of VELREF (1 LSR, 2 HEL, 3 OBS, +256
		// radio): below 4 optical, above 256 radio.
		switch {
		case w.velref < 4:
			e.str("Velocity definition", "OPTICAL")
		case w.velref > 256:
			e.str("Velocity definition", "RADIO")
		default:
			e.str("Velocity definition", "UNKNOWN")
		}
	}
}

// beamOf returns the restoring beam; like the reference, only when
// BMAJ, BMIN and BPA are all in the header.
func beamOf(h *fits.Header) (fits.Beam, bool) {
	maj, ok1 := h.Float("BMAJ")
	mnr, ok2 := h.Float("BMIN")
	pa, ok3 := h.Float("BPA")
	if !ok1 || !ok2 || !ok3 || !(maj > 0) || !(mnr > 0) {
		return fits.Beam{}, false
	}
	return fits.Beam{Major: maj, Minor: mnr, PA: pa}, true
}
