package session

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync/atomic"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/pv"
	"cartago/imaging/region"
	"cartago/store"
)

// pvAxis is the position axis of a PV image: its name, its increment
// per sample and the unit of that increment.
type pvAxis struct {
	ctype string
	inc   float64
	unit  string
}

// pvAxisOf is the position axis of n samples along line, as the
// reference sets it (LineBoxRegions::AdjustIncrementUnit,
// PvGenerator::GetPvImage): OFFSET for a line, DISTANCE for a polyline,
// the increment in the unit that suits the length. An image without a
// celestial coordinate gets pixels; the reference refuses it.
func pvAxisOf(sky skyStep, line region.Desc, n int) pvAxis {
	a := pvAxis{ctype: "OFFSET", inc: 1, unit: "pixel"}
	if line.Kind == region.KindPolyline {
		a.ctype = "DISTANCE"
	}
	if !sky.ok {
		return a
	}
	pts := line.Points
	dx, dy := pts[len(pts)-1].X-pts[len(pts)-2].X, pts[len(pts)-1].Y-pts[len(pts)-2].Y
	l := math.Hypot(dx, dy)
	if l == 0 {
		dx, dy, l = 1, 0, 1
	}
	inc := math.Hypot(dx/l*sky.x, dy/l*sky.y) // arcsec per sample
	length := inc * float64(n)
	switch {
	case length*1e3 < 2:
		a.inc, a.unit = inc*1e3, "mas"
	case length/60 < 2:
		a.inc, a.unit = inc, "arcsec"
	case length/3600 < 2:
		a.inc, a.unit = inc/60, "arcmin"
	default:
		a.inc, a.unit = inc/3600, "deg"
	}
	return a
}

// pvShape is what a PV image header describes.
type pvShape struct {
	positions, channels int
	axis                pvAxis
	from                int  // first source channel
	binZ                int  // source channels per channel (a preview's rebinning), 1 otherwise
	binXY               int  // samples per position (a preview's rebinning), 1 otherwise
	reverse             bool // spectral axis first
	stokes              int  // source Stokes index
}

// pvKeptKeys are the source's cards a PV image keeps: units, beam,
// observation and spectral reference (PvGenerator::SetupPvImage keeps
// units, beam and ObsInfo).
var pvKeptKeys = map[string]bool{
	"BUNIT": true, "BTYPE": true, "BMAJ": true, "BMIN": true, "BPA": true, "OBJECT": true,
	"TELESCOP": true, "INSTRUME": true, "OBSERVER": true, "DATE-OBS": true, "MJD-OBS": true,
	"OBSGEO-X": true, "OBSGEO-Y": true, "OBSGEO-Z": true, "OBSRA": true, "OBSDEC": true,
	"RESTFRQ": true, "RESTFREQ": true, "SPECSYS": true, "SSYSOBS": true, "VELREF": true,
}

// pvHDU is the header of a PV image of src: the position axis, the
// spectral axis as frequency from the first channel (the reference
// makes a casacore SpectralCoordinate, which is frequency, with its
// reference at the first channel), and a degenerate Stokes axis when
// the source has one.
func pvHDU(src *frame, sh pvShape) (*fits.HDU, error) {
	pos := []fits.Card{
		fits.NewStringCard("CTYPE#", sh.axis.ctype, ""),
		fits.NewFloatCard("CRVAL#", 0, ""),
		fits.NewFloatCard("CDELT#", sh.axis.inc*float64(sh.binXY), ""),
		fits.NewFloatCard("CRPIX#", 1, ""),
		fits.NewStringCard("CUNIT#", sh.axis.unit, ""),
	}
	if sh.axis.ctype == "OFFSET" {
		// Reference value 0 at the centre sample, (n-1)/2 in integers.
		pos[3] = fits.NewFloatCard("CRPIX#", float64((sh.positions-1)/2+1), "")
	}
	spec := pvSpectralCards(src, sh)
	naxis := []int{sh.positions, sh.channels}
	axes := [][]fits.Card{pos, spec}
	if sh.reverse {
		naxis[0], naxis[1] = naxis[1], naxis[0]
		axes[0], axes[1] = axes[1], axes[0]
	}
	l := src.layout
	if l.Axes.Stokes > 0 && sh.stokes < len(l.StokesValues) {
		naxis = append(naxis, 1)
		axes = append(axes, []fits.Card{fits.NewStringCard("CTYPE#", "STOKES", ""),
			fits.NewFloatCard("CRVAL#", float64(l.StokesValues[sh.stokes]), ""),
			fits.NewFloatCard("CDELT#", 1, ""), fits.NewFloatCard("CRPIX#", 1, "")})
	}
	var cards []fits.Card
	for i, ax := range axes {
		for _, c := range ax {
			c.Name = strings.Replace(c.Name, "#", fmt.Sprint(i+1), 1)
			cards = append(cards, c)
		}
	}
	for _, c := range src.img.HDU.Header.Cards {
		if pvKeptKeys[c.Name] && fits.CheckCard(c) == nil {
			cards = append(cards, c)
		}
	}
	h, err := fits.DescribeHDU(fits.WriteHDU{Bitpix: -32, Naxis: naxis, Cards: cards})
	if err != nil {
		return nil, fmt.Errorf("PV image header: %w", err)
	}
	return h, nil
}

// pvSpectralCards describe the PV image's spectral axis: frequency in
// Hz when the source's axis converts to it, else the source's axis
// shifted to the first channel. A bin of channels sits at their mean.
func pvSpectralCards(src *frame, sh pvShape) []fits.Card {
	h := src.img.HDU.Header
	i := src.layout.Axes.Spectral - 1
	first := float64(sh.from) + float64(sh.binZ-1)/2
	if s, ok := readSpectral(h, i, restFrequency(h)); ok && (s.kind == "FREQ" || s.rest > 0) {
		f0, f1 := s.freq(first), s.freq(first+float64(sh.binZ))
		if !math.IsNaN(f0) && !math.IsNaN(f1) && !math.IsInf(f0, 0) && !math.IsInf(f1, 0) {
			return []fits.Card{fits.NewStringCard("CTYPE#", "FREQ", ""), fits.NewFloatCard("CRVAL#", f0, ""),
				fits.NewFloatCard("CDELT#", f1-f0, ""), fits.NewFloatCard("CRPIX#", 1, ""), fits.NewStringCard("CUNIT#", "Hz", "")}
		}
	}
	k := fmt.Sprint(i + 1)
	ctype, _ := h.String("CTYPE" + k)
	unit, _ := h.String("CUNIT" + k)
	crval, cdelt, crpix := floatOr(h, "CRVAL"+k, 0), floatOr(h, "CDELT"+k, 1), floatOr(h, "CRPIX"+k, 0)
	return []fits.Card{fits.NewStringCard("CTYPE#", ctype, ""), fits.NewFloatCard("CRVAL#", crval+cdelt*(first+1-crpix), ""),
		fits.NewFloatCard("CDELT#", cdelt*float64(sh.binZ), ""), fits.NewFloatCard("CRPIX#", 1, ""), fits.NewStringCard("CUNIT#", unit, "")}
}

// pvName names a PV image as the reference (PvGenerator::SetPvImageName):
// image.fits → image_pv.fits, image_pv1.fits for index 1, and
// image_pv_preview<id>.fits for a preview.
func pvName(src string, index int, preview bool) string {
	ext := filepath.Ext(src)
	name := strings.TrimSuffix(src, ext) + "_pv"
	if preview {
		name += "_preview"
	}
	if index > 0 {
		name += fmt.Sprint(index)
	}
	return name + ext
}

// pvSeq makes the cache keys of PV images unique in the server.
var pvSeq atomic.Int64

// pvFrame opens a computed PV image as the frame id.
func (s *Session) pvFrame(ctx context.Context, src *frame, id int32, name string, h *fits.HDU, img pv.Image, recipe *store.PvRecipe) (*frame, error) {
	// A reference to the source's file keeps what the frame needs of a
	// file (cache identity, its path for FILE_INFO); the pixels are ours.
	file, err := s.cache.Open(ctx, src.file.Path(), openOptions(s.mem))
	if err != nil {
		return nil, fmt.Errorf("PV image: %w", err)
	}
	key := fmt.Sprintf("pv %d", pvSeq.Add(1))
	px := newPixelsOf(memSource{w: img.Width, h: img.Height, data: img.Data}, h.Layout, key, s.mem, s.cache, file.ID())
	f := &frame{id: id, dir: src.dir, name: name, hdu: key, file: file, img: &fits.Image{HDU: h}, px: px, recipe: recipe}
	return f.start(s, src.folder), nil
}

// pvAck is the OPEN_FILE_ACK of a PV image.
func pvAck(f *frame) *icd.OpenFileAck {
	ack := momentAck(f)
	pvAxesNumbers(ack.FileInfoExtended, f.img.HDU)
	return ack
}

// pvExtendedInfo is the FileInfoExtended of a PV image.
func pvExtendedInfo(name string, h *fits.HDU) *icd.FileInfoExtended {
	info := extendedInfo(name, h)
	pvAxesNumbers(info, h)
	return info
}

// pvAxesNumbers gives a PV image's position axis as its one spatial
// axis, as the reference reports it: casacore finds a single linear
// axis, so spatial_y is 0 (FileLoader::FindCoordinateAxes).
func pvAxesNumbers(info *icd.FileInfoExtended, h *fits.HDU) {
	ax := info.GetAxesNumbers()
	if ax == nil {
		return
	}
	pos := int32(h.Layout.Axes.SpatialX)
	if h.Layout.Axes.Spectral == h.Layout.Axes.SpatialX {
		pos = int32(h.Layout.Axes.SpatialY) // reversed: spectral first
	}
	ax.SpatialX, ax.SpatialY = pos, 0
}
