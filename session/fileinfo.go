package session

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"cartago/icd"
	"cartago/imaging/fits"
)

// fileInfo is the FileInfo of an opened file; hdus lists HDU names.
func fileInfo(name string, size int64, mtime int64, hdus []string) *icd.FileInfo {
	return &icd.FileInfo{Name: name, Type: icd.FileType_FITS, Size: size, HDUList: hdus, Date: mtime}
}

// extendedInfo describes one image HDU: shape, header cards (the frontend
// builds its WCS from them) and the summary shown in the file browser.
func extendedInfo(name string, h *fits.HDU) *icd.FileInfoExtended {
	l := h.Layout
	ext := &icd.FileInfoExtended{
		Dimensions: int32(len(h.Naxis)),
		Width:      int32(l.Width),
		Height:     int32(l.Height),
		Depth:      int32(l.Depth),
		Stokes:     int32(l.Stokes),
		AxesNumbers: &icd.AxesNumbers{
			SpatialX: int32(l.Axes.SpatialX), SpatialY: int32(l.Axes.SpatialY),
			Spectral: int32(l.Axes.Spectral), Stokes: int32(l.Axes.Stokes), Depth: int32(l.Axes.Depth),
		},
	}
	for _, code := range l.StokesValues {
		ext.StokesVals = append(ext.StokesVals, fits.StokesName(code))
	}
	for _, c := range h.Header.Cards {
		ext.HeaderEntries = append(ext.HeaderEntries, headerEntry(c))
	}
	ext.ComputedEntries = computedEntries(name, h)
	return ext
}

func headerEntry(c fits.Card) *icd.HeaderEntry {
	e := &icd.HeaderEntry{Name: c.Name, Value: c.Value, Comment: c.Comment}
	switch c.Type {
	case fits.TypeInt:
		e.EntryType, e.NumericValue = icd.EntryType_INT, c.Number
	case fits.TypeFloat:
		e.EntryType, e.NumericValue = icd.EntryType_FLOAT, c.Number
	}
	return e
}

// computedEntries is the human-readable summary of the file browser's
// info tab. Entry 2 must be "Extension name": the frontend labels HDUs
// from it.
func computedEntries(name string, h *fits.HDU) []*icd.HeaderEntry {
	l := h.Layout
	str := func(n, v string) *icd.HeaderEntry { return &icd.HeaderEntry{Name: n, Value: v} }
	out := []*icd.HeaderEntry{
		str("Name", name),
		str("HDU", h.Key()),
		str("Extension name", h.ExtName),
		str("Data type", dataType(h.Bitpix)),
		str("Shape", shape(h.Naxis)),
		{Name: "Number of channels", Value: strconv.Itoa(l.Depth), EntryType: icd.EntryType_INT, NumericValue: float64(l.Depth)},
		{Name: "Number of polarizations", Value: strconv.Itoa(l.Stokes), EntryType: icd.EntryType_INT, NumericValue: float64(l.Stokes)},
	}
	hd := h.Header
	x, y := l.Axes.SpatialX, l.Axes.SpatialY
	ctypeX, _ := hd.String(fmt.Sprintf("CTYPE%d", x))
	ctypeY, _ := hd.String(fmt.Sprintf("CTYPE%d", y))
	if ctypeX != "" || ctypeY != "" {
		out = append(out, str("Coordinate type", strings.TrimRight(axisName(ctypeX)+", "+axisName(ctypeY), ", ")))
		if p := projection(ctypeX); p != "" {
			out = append(out, str("Projection", p))
		}
	}
	out = append(out,
		str("Image reference pixels", pairOf(hd, "CRPIX", x, y)),
		str("Image reference coords", pairOf(hd, "CRVAL", x, y)),
		str("Pixel increment", pairOf(hd, "CDELT", x, y)))
	if u, ok := hd.String("BUNIT"); ok {
		out = append(out, str("Pixel unit", u))
	}
	if frame := celestialFrame(hd); frame != "" {
		out = append(out, str("Celestial frame", frame))
	}
	if s, ok := hd.String("SPECSYS"); ok {
		out = append(out, str("Spectral frame", s))
	}
	if b, ok := h.Beam(); ok {
		out = append(out, str("Restoring beam", fmt.Sprintf(`%.6g" X %.6g", %.4g deg`, b.Major*3600, b.Minor*3600, b.PA)))
	}
	if l.Stokes > 1 {
		names := make([]string, 0, len(l.StokesValues))
		for _, c := range l.StokesValues {
			names = append(names, fits.StokesName(c))
		}
		out = append(out, str("Stokes coverage", "["+strings.Join(names, ", ")+"]"))
	}
	return out
}

func dataType(bitpix int) string {
	switch bitpix {
	case 8:
		return "byte"
	case 16:
		return "short"
	case 32:
		return "int"
	case 64:
		return "long"
	case -32:
		return "float"
	case -64:
		return "double"
	}
	return strconv.Itoa(bitpix)
}

func shape(naxis []int) string {
	parts := make([]string, len(naxis))
	for i, n := range naxis {
		parts[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func axisName(ctype string) string {
	name, _, _ := strings.Cut(ctype, "-")
	return name
}

func projection(ctype string) string {
	if len(ctype) < 8 {
		return ""
	}
	return strings.Trim(ctype[5:], "-")
}

func pairOf(h *fits.Header, key string, x, y int) string {
	a, okA := h.Float(fmt.Sprintf("%s%d", key, x))
	b, okB := h.Float(fmt.Sprintf("%s%d", key, y))
	if !okA && !okB {
		return "[]"
	}
	return fmt.Sprintf("[%s, %s]", num(a), num(b))
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', 10, 64)
}

func celestialFrame(h *fits.Header) string {
	sys, _ := h.String("RADESYS")
	if eq, ok := h.Float("EQUINOX"); ok {
		if sys == "" {
			sys = "FK5"
		}
		return fmt.Sprintf("%s, J%g", sys, eq)
	}
	return sys
}

// statFile returns the size and modification time (Unix seconds).
func statFile(p string) (int64, int64) {
	fi, err := os.Stat(p)
	if err != nil {
		return 0, 0
	}
	return fi.Size(), fi.ModTime().Unix()
}
