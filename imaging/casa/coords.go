package casa

import (
	"fmt"
	"math"
	"strings"

	"cartago/imaging/fits"
)

// axisInfo is one pixel axis as FITS describes it.
type axisInfo struct {
	ctype, cunit        string
	crval, cdelt, crpix float64 // crpix 1-based
	coord, sub          int     // coordinate number and its axis
	pc                  []float64
	ncoord              int // axes of the coordinate (pc is ncoord×ncoord)
	extra               []fits.Card
	system              string // a direction's reference frame (J2000, ...)
	set                 bool
}

// maxCoordinates bounds the coordinates read (casacore images have at
// most a handful).
const maxCoordinates = 64

// coordAxes maps the coordinate system record (CoordinateSystem::save:
// direction<i>, spectral<i>, stokes<i>, linear<i>, each with
// pixelmap<i> naming the pixel axes of its axes) to one axisInfo per
// pixel axis.
func coordAxes(coords *Record, naxis int) ([]axisInfo, error) {
	axes := make([]axisInfo, naxis)
	if coords == nil {
		return nil, fmt.Errorf("%w: no coordinate system (coords keyword)", ErrNotImage)
	}
	for i := 0; i < maxCoordinates; i++ {
		kind, c := "", (*Record)(nil)
		for _, k := range []string{"direction", "spectral", "stokes", "linear", "tabular"} {
			if s := coords.Sub(fmt.Sprint(k, i)); s != nil {
				kind, c = k, s
			}
		}
		if c == nil {
			break
		}
		pixmap, _ := coords.Floats(fmt.Sprint("pixelmap", i))
		infos, err := coordinate(kind, c)
		if err != nil {
			return nil, fmt.Errorf("coordinate %d (%s): %w", i, kind, err)
		}
		for j, a := range infos {
			if j >= len(pixmap) || pixmap[j] < 0 {
				continue // a world axis without pixel axis
			}
			if !(pixmap[j] < float64(naxis)) || axes[int(pixmap[j])].set {
				return nil, fmt.Errorf("%w: coordinate %d maps to pixel axis %v of %d", ErrFormat, i, pixmap[j], naxis)
			}
			p := int(pixmap[j])
			a.coord, a.sub, a.set = i, j, true
			axes[p] = a
		}
	}
	for p := range axes {
		if !axes[p].set {
			// casacore gives every pixel axis a coordinate; be lenient.
			axes[p] = axisInfo{ctype: fmt.Sprintf("LINEAR%d", p+1), crval: 0, cdelt: 1, crpix: 1, coord: -1 - p, set: true}
		}
	}
	return axes, nil
}

// coordinate turns one coordinate record into its axes.
func coordinate(kind string, c *Record) ([]axisInfo, error) {
	switch kind {
	case "direction":
		return direction(c)
	case "spectral":
		return spectral(c)
	case "stokes":
		return stokes(c)
	}
	return linear(c)
}

// linearParts reads crval, cdelt, crpix, pc of an n-axis coordinate.
func linearParts(c *Record, n int) (crval, cdelt, crpix, pc []float64, err error) {
	crval, _ = c.Floats("crval")
	cdelt, _ = c.Floats("cdelt")
	crpix, _ = c.Floats("crpix")
	pc, _ = c.Floats("pc")
	if len(crval) != n || len(cdelt) != n || len(crpix) != n {
		return nil, nil, nil, nil, fmt.Errorf("%w: crval/cdelt/crpix of %d/%d/%d values for %d axes",
			ErrFormat, len(crval), len(cdelt), len(crpix), n)
	}
	if len(pc) != n*n {
		pc = identity(n)
	}
	return crval, cdelt, crpix, pc, nil
}

func identity(n int) []float64 {
	pc := make([]float64, n*n)
	for i := 0; i < n; i++ {
		pc[i*n+i] = 1
	}
	return pc
}

// direction: celestial longitude and latitude in a projection.
func direction(c *Record) ([]axisInfo, error) {
	crval, cdelt, crpix, pc, err := linearParts(c, 2)
	if err != nil {
		return nil, err
	}
	units, _ := c.Strings("units")
	if len(units) != 2 {
		units = []string{"rad", "rad"}
	}
	sys, proj := strOf(c, "system"), strOf(c, "projection")
	lon, lat := "RA", "DEC"
	switch sys {
	case "GALACTIC":
		lon, lat = "GLON", "GLAT"
	case "ECLIPTIC", "MECLIPTIC", "TECLIPTIC":
		lon, lat = "ELON", "ELAT"
	case "SUPERGAL":
		lon, lat = "SLON", "SLAT"
	}
	var out []axisInfo
	for j, name := range []string{lon, lat} {
		v, ok1 := angleDeg(crval[j], units[j])
		d, ok2 := angleDeg(cdelt[j], units[j])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: direction axis unit %q", ErrUnsupported, units[j])
		}
		ctype := name + strings.Repeat("-", 5-len(name)) + proj
		if len(proj) > 3 || proj == "" {
			return nil, fmt.Errorf("%w: projection %q", ErrUnsupported, proj)
		}
		out = append(out, axisInfo{ctype: ctype, cunit: "deg", crval: v, cdelt: d, crpix: crpix[j] + 1, pc: pc, ncoord: 2, system: sys})
	}
	// Projection parameters belong to the latitude axis (PVi_m).
	if pv, _ := c.Floats("projection_parameters"); len(pv) > 0 && anyNonZero(pv) {
		for m, v := range pv {
			out[1].extra = append(out[1].extra, fits.NewFloatCard(fmt.Sprintf("PV%%d_%d", m+1), v, ""))
		}
	}
	if lp, ok := c.Float("longpole"); ok && lp != 180 {
		out[0].extra = append(out[0].extra, fits.NewFloatCard("LONPOLE", lp, ""))
	}
	return out, nil
}

func anyNonZero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// specsys maps casacore's frequency reference frames to FITS SPECSYS.
var specsys = map[string]string{"LSRK": "LSRK", "LSRD": "LSRD", "BARY": "BARYCENT", "GEO": "GEOCENTR",
	"TOPO": "TOPOCENT", "GALACTO": "GALACTOC", "LGROUP": "LOCALGRP", "CMB": "CMBDIPOL", "REST": "SOURCE"}

// specVRAD is SpectralCoordinate::VRAD, a native type (FITS code order:
// FREQ, VRAD, VOPT, ...).
const specVRAD = 1

// lightSpeed in m/s, as casacore's QC::c.
const lightSpeed = 299792458.0

// velref is the AIPS VELREF frame number of a casacore frame.
var velref = map[string]int64{"LSRK": 1, "BARY": 2, "TOPO": 3}

// spectral: frequency, from the FITS-like wcs sub-record casacore keeps.
func spectral(c *Record) ([]axisInfo, error) {
	w := c.Sub("wcs")
	if w == nil {
		return nil, fmt.Errorf("%w: spectral coordinate without wcs (tabular)", ErrUnsupported)
	}
	crval, ok1 := w.Float("crval")
	cdelt, ok2 := w.Float("cdelt")
	crpix, ok3 := w.Float("crpix")
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("%w: spectral wcs lacks crval/cdelt/crpix", ErrFormat)
	}
	ctype := strings.TrimRight(strOf(w, "ctype"), "\x00 ")
	if ctype == "" {
		ctype = "FREQ"
	}
	a := axisInfo{ctype: ctype, cunit: "Hz", crval: crval, cdelt: cdelt, crpix: crpix + 1, ncoord: 1, pc: []float64{1}}
	if unit := strOf(c, "unit"); unit != "" && unit != "Hz" {
		return nil, fmt.Errorf("%w: spectral unit %q", ErrUnsupported, unit)
	}
	rest, _ := c.Float("restfreq")
	if rest > 0 {
		a.extra = append(a.extra, fits.NewFloatCard("RESTFRQ", rest, ""))
	}
	if native, _ := c.Float("nativeType"); native == specVRAD && rest > 0 && ctype == "FREQ" {
		// A radio-velocity axis, which casacore keeps in frequency (linear
		// in both): written back as velocity, as casacore's FITS writer
		// does for a velocity native type.
		a.ctype, a.cunit = "VRAD", "m/s"
		a.crval, a.cdelt = lightSpeed*(1-crval/rest), -lightSpeed*cdelt/rest
	}
	sys := strOf(c, "system")
	if s, ok := specsys[sys]; ok {
		a.extra = append(a.extra, fits.NewStringCard("SPECSYS", s, ""))
	}
	if v, ok := velref[sys]; ok {
		if vt, _ := c.Float("velType"); vt == 0 { // radio
			v += 256
		}
		a.extra = append(a.extra, fits.NewIntCard("VELREF", v, ""))
	}
	return []axisInfo{a}, nil
}

// stokesCodes are the FITS codes of casacore's Stokes names.
var stokesCodes = map[string]float64{"I": 1, "Q": 2, "U": 3, "V": 4, "RR": -1, "LL": -2, "RL": -3, "LR": -4,
	"XX": -5, "YY": -6, "XY": -7, "YX": -8}

// stokes: the Stokes axis, its planes named.
func stokes(c *Record) ([]axisInfo, error) {
	names, _ := c.Strings("stokes")
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: Stokes coordinate without values", ErrFormat)
	}
	codes := make([]float64, len(names))
	for i, n := range names {
		v, ok := stokesCodes[n]
		if !ok {
			return nil, fmt.Errorf("%w: Stokes %q", ErrUnsupported, n)
		}
		codes[i] = v
	}
	step := 1.0
	if len(codes) > 1 {
		step = codes[1] - codes[0]
		for i := 2; i < len(codes); i++ {
			if codes[i]-codes[i-1] != step {
				return nil, fmt.Errorf("%w: Stokes %v not evenly spaced in FITS codes", ErrUnsupported, names)
			}
		}
	}
	return []axisInfo{{ctype: "STOKES", crval: codes[0], cdelt: step, crpix: 1, ncoord: 1, pc: []float64{1}}}, nil
}

// linear: plain axes with names and units.
func linear(c *Record) ([]axisInfo, error) {
	names, _ := c.Strings("axes")
	n := len(names)
	if n == 0 || n > 32 {
		return nil, fmt.Errorf("%w: linear coordinate of %d axes", ErrFormat, n)
	}
	crval, cdelt, crpix, pc, err := linearParts(c, n)
	if err != nil {
		return nil, err
	}
	units, _ := c.Strings("units")
	out := make([]axisInfo, n)
	for j := range out {
		out[j] = axisInfo{ctype: strings.ToUpper(names[j]), crval: crval[j], cdelt: cdelt[j], crpix: crpix[j] + 1, pc: pc, ncoord: n}
		if j < len(units) {
			out[j].cunit = units[j]
		}
	}
	return out, nil
}

// system writes RADESYS and EQUINOX of an equatorial frame.
func (h *headerBuilder) system(axes []axisInfo) {
	for _, a := range axes {
		switch a.system {
		case "J2000":
			h.float("EQUINOX", 2000)
			h.str("RADESYS", "FK5")
		case "B1950", "B1950_VLA":
			h.float("EQUINOX", 1950)
			h.str("RADESYS", "FK4")
		case "ICRS":
			h.str("RADESYS", "ICRS")
		}
	}
}

// axis writes the cards of pixel axis n.
func (h *headerBuilder) axis(n int, a axisInfo) {
	h.str(fmt.Sprint("CTYPE", n), a.ctype)
	h.float(fmt.Sprint("CRVAL", n), a.crval)
	h.float(fmt.Sprint("CDELT", n), a.cdelt)
	h.float(fmt.Sprint("CRPIX", n), a.crpix)
	if a.cunit != "" || a.ctype == "STOKES" {
		h.add(fits.NewStringCard(fmt.Sprint("CUNIT", n), a.cunit, ""))
	}
	for _, c := range a.extra {
		if strings.Contains(c.Name, "%d") {
			c.Name = fmt.Sprintf(c.Name, n)
		}
		h.add(c)
	}
}

// rotation writes PCi_j for axes of one coordinate whose pc is not the
// identity.
func (h *headerBuilder) rotation(axes []axisInfo) {
	for i, a := range axes {
		for j, b := range axes {
			if a.coord != b.coord || a.ncoord < 2 || len(a.pc) != a.ncoord*a.ncoord {
				continue
			}
			// casacore's pc is a Matrix (world axis, pixel axis) stored
			// in Fortran order.
			v := a.pc[a.sub+b.sub*a.ncoord]
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(v-want) > 1e-15 {
				h.float(fmt.Sprintf("PC%d_%d", i+1, j+1), v)
			}
		}
	}
}
