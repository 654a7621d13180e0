package session

import (
	"strconv"
	"strings"

	"cartago/imaging/fits"
)

// infoAxes are the axis roles behind the computed entries, 0-based (-1
// when absent), chosen as the reference does (CARTAvis/carta-backend
// src/ImageData/FileLoader.cc FindCoordinateAxes): spectral and Stokes
// axes from CTYPE, then guessed for cubes that do not say: the third
// axis of a 3-D image is spectral; a 4-D image gets both, the longer of
// axes 3 and 4 (over 4 planes) being spectral. They can differ from
// fits.Layout, which is about rendering.
type infoAxes struct {
	ndim           int
	x, y           int // render axes: the first two non-Stokes axes
	spectral       int
	stokes         int
	ctype          []string // CTYPEn as written, "" when missing
	spectralCtyped bool     // the spectral axis is named by its CTYPE
	stokesCtyped   bool
}

func findInfoAxes(h *fits.HDU) infoAxes {
	n := len(h.Naxis)
	a := infoAxes{ndim: n, spectral: -1, stokes: -1, ctype: make([]string, n)}
	for i := range n {
		a.ctype[i], _ = h.Header.String("CTYPE" + strconv.Itoa(i+1))
		switch {
		case a.spectral < 0 && fits.IsSpectralCtype(a.ctype[i]):
			a.spectral = i
		case a.stokes < 0 && fits.IsStokesCtype(a.ctype[i]):
			a.stokes = i
		}
	}
	a.spectralCtyped, a.stokesCtyped = a.spectral >= 0, a.stokes >= 0
	a.x, a.y = -1, -1
	for i := range n {
		if i == a.stokes {
			continue
		}
		if a.x < 0 {
			a.x = i
		} else if a.y < 0 {
			a.y = i
		}
	}
	a.guess(h.Naxis)
	return a
}

// guess fills in the spectral and Stokes axes of cubes whose CTYPEs do
// not name them.
func (a *infoAxes) guess(shape []int) {
	noSpec, noStokes := a.spectral < 0, a.stokes < 0
	switch {
	case a.ndim == 3 && noSpec && noStokes:
		a.spectral = 2
	case a.ndim == 4 && noSpec && !noStokes:
		a.spectral = 3
		if a.stokes == 3 {
			a.spectral = 2
		}
	case a.ndim == 4 && !noSpec && noStokes:
		a.stokes = 3
		if a.spectral == 3 {
			a.stokes = 2
		}
	case a.ndim == 4 && noSpec && noStokes:
		a.spectral, a.stokes = 2, 3
		if shape[2] <= 4 && shape[3] > 4 {
			a.spectral, a.stokes = 3, 2
		}
	}
}

// axisLabel is the short name of axis i in the Shape entry: its CTYPE up
// to the first '-' ("RA", "FREQ"), "NA" when there is none.
func (a infoAxes) axisLabel(i int) string {
	name, _, _ := strings.Cut(a.ctype[i], "-")
	switch {
	case name != "":
		return name
	case i == a.stokes:
		return "STOKES"
	}
	return "NA"
}
