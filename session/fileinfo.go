package session

import (
	"os"

	"cartago/icd"
	"cartago/imaging/fits"
)

// fileInfo is the FileInfo of an opened file; hdus lists HDU numbers.
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

// statFile returns the size and modification time (Unix seconds).
func statFile(p string) (int64, int64) {
	fi, err := os.Stat(p)
	if err != nil {
		return 0, 0
	}
	return fi.Size(), fi.ModTime().Unix()
}
