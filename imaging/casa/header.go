package casa

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"cartago/imaging/fits"
)

// Header returns FITS cards equivalent to the image's keywords: the
// coordinate system (one set of CTYPE/CRVAL/CDELT/CRPIX/CUNIT per pixel
// axis, PC where a coordinate is rotated), the brightness unit, beam,
// object and observation facts, and miscinfo, so the FITS code paths
// (layout, WCS, file information) serve CASA images unchanged. Values
// are converted as casacore's FITS writer does (radians to degrees,
// 0-based to 1-based reference pixels).
func (im *Image) Header() ([]fits.Card, error) {
	h := &headerBuilder{}
	coords := im.Keywords.Sub("coords")
	info := im.Keywords.Sub("imageinfo")
	h.str("OBJECT", strOf(info, "objectname"))
	h.str("TELESCOP", strOf(coords, "telescope"))
	misc := im.Keywords.Sub("miscinfo")
	h.str("INSTRUME", strOf(misc, "instrume"))
	h.str("OBSERVER", strOf(coords, "observer"))
	h.dateObs(coords.Sub("obsdate"))
	unit, _ := im.Keywords.String("units")
	h.str("BUNIT", unit)
	h.str("BTYPE", strOf(info, "imagetype"))
	h.beam(info.Sub("restoringbeam"))
	axes, err := coordAxes(coords, len(im.Shape))
	if err != nil {
		return nil, err
	}
	h.system(axes)
	for i, a := range axes {
		h.axis(i+1, a)
	}
	h.rotation(axes)
	h.misc(misc)
	return h.cards, nil
}

func strOf(r *Record, name string) string {
	s, _ := r.String(name)
	return s
}

type headerBuilder struct {
	cards []fits.Card
	seen  map[string]bool
}

func (h *headerBuilder) add(c fits.Card) {
	if h.seen == nil {
		h.seen = map[string]bool{}
	}
	if h.seen[c.Name] || fits.CheckCard(c) != nil {
		return // a keyword twice, or one FITS cannot hold: left out
	}
	h.seen[c.Name] = true
	h.cards = append(h.cards, c)
}

func (h *headerBuilder) str(name, v string) {
	if v != "" {
		h.add(fits.NewStringCard(name, v, ""))
	}
}

func (h *headerBuilder) float(name string, v float64) {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		h.add(fits.NewFloatCard(name, v, ""))
	}
}

// dateObs writes the observation date, an epoch measure in MJD days.
func (h *headerBuilder) dateObs(m *Record) {
	mjd, unit, ok := m.Quantity("m0")
	if !ok || unit != "d" || mjd <= 0 {
		return
	}
	ms := math.Round((mjd - 40587) * 86400e3)
	t := time.UnixMilli(int64(ms)).UTC()
	h.str("DATE-OBS", t.Format("2006-01-02T15:04:05.000"))
	if ref := strOf(m, "refer"); ref == "UTC" || ref == "TAI" || ref == "TT" {
		h.str("TIMESYS", ref)
	}
}

// angleDeg converts an angle quantity to degrees.
func angleDeg(v float64, unit string) (float64, bool) {
	f, ok := map[string]float64{"rad": 180 / math.Pi, "deg": 1, "arcmin": 1.0 / 60, "arcsec": 1.0 / 3600,
		"mas": 1.0 / 3600e3, "'": 1.0 / 60, "\"": 1.0 / 3600}[unit]
	return v * f, ok
}

// beam writes BMAJ, BMIN (degrees) and BPA (degrees).
func (h *headerBuilder) beam(b *Record) {
	major, mu, ok1 := b.Quantity("major")
	minor, nu, ok2 := b.Quantity("minor")
	pa, pu, ok3 := b.Quantity("positionangle")
	if !ok1 || !ok2 || major <= 0 {
		return
	}
	maj, ok1 := angleDeg(major, mu)
	mnr, ok2 := angleDeg(minor, nu)
	if !ok1 || !ok2 {
		return
	}
	h.float("BMAJ", maj)
	h.float("BMIN", mnr)
	if p, ok := angleDeg(pa, pu); ok3 && ok {
		h.float("BPA", p)
	}
}

// misc writes miscinfo's scalar fields that are valid FITS keywords,
// in name order.
func (h *headerBuilder) misc(m *Record) {
	if m == nil {
		return
	}
	fields := append([]Field(nil), m.Fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	for _, f := range fields {
		name := strings.ToUpper(f.Name)
		if len(name) > 8 {
			continue
		}
		switch v := f.Value.(type) {
		case string:
			h.str(name, v)
		case float64:
			h.float(name, v)
		case int64:
			h.add(fits.NewIntCard(name, v, ""))
		case bool:
			h.add(fits.NewBoolCard(name, v, ""))
		}
	}
}

// Beam is one restoring beam of an image with a beam per plane:
// axes and position angle in degrees.
type Beam struct {
	Channel, Stokes  int
	Major, Minor, PA float64
}

// maxBeams bounds the per-plane beams read (one per channel and Stokes).
const maxBeams = 1 << 20

// Beams returns the per-plane beams (imageinfo.perplanebeams, as
// casacore's ImageBeamSet writes them: nChannels, nStokes and the beams
// "*0", "*1", ... with the channel varying fastest), or nil when the
// image has one beam or none.
func (im *Image) Beams() ([]Beam, error) {
	rec := im.Keywords.Sub("imageinfo").Sub("perplanebeams")
	if rec == nil {
		return nil, nil
	}
	nchan, ok1 := rec.Float("nChannels")
	nstokes, ok2 := rec.Float("nStokes")
	if !ok1 || !ok2 || nchan < 1 || nstokes < 1 || nchan*nstokes > maxBeams {
		return nil, fmt.Errorf("%w: per-plane beams of %v channels and %v Stokes", ErrFormat, nchan, nstokes)
	}
	nc, ns := int(nchan), int(nstokes)
	byName := make(map[string]*Record, len(rec.Fields)) // one pass, not one search per beam
	for _, f := range rec.Fields {
		if r, ok := f.Value.(*Record); ok {
			byName[f.Name] = r
		}
	}
	out := make([]Beam, 0, min(nc*ns, len(byName)))
	for i := 0; i < nc*ns; i++ {
		b := byName[fmt.Sprintf("*%d", i)]
		major, mu, ok1 := b.Quantity("major")
		minor, nu, ok2 := b.Quantity("minor")
		pa, pu, ok3 := b.Quantity("positionangle")
		maj, ok4 := angleDeg(major, mu)
		mnr, ok5 := angleDeg(minor, nu)
		p, ok6 := angleDeg(pa, pu)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
			return nil, fmt.Errorf("%w: per-plane beam %d", ErrFormat, i)
		}
		out = append(out, Beam{Channel: i % nc, Stokes: i / nc, Major: maj, Minor: mnr, PA: p})
	}
	return out, nil
}
