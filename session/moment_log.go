package session

import (
	"fmt"
	"strings"

	"cartago/icd"
	"cartago/imaging/fits"
)

// momentHistory is the log the reference adds to every moment image,
// which its header shows as HISTORY (MomentGenerator::
// SetMomentImageLogger): input image, region, spectral range, Stokes
// and mask. The whole image is the rectangle from pixel 0,0 to the last
// one (Frame::CalculateMoments).
func momentHistory(job *momentJob) []fits.Card {
	src, msg := job.src, job.msg
	lines := []string{"CARTA MOMENT MAP GENERATOR LOG", "Input image: " + src.name, momentRegionLog(job)}
	zmin, zmax := msg.SpectralRange.Min, msg.SpectralRange.Max
	spec := fmt.Sprintf("Spectral range: [%d, %d](channel)", zmin, zmax)
	if s, ok := readSpectral(src.img.HDU.Header, src.layout.Axes.Spectral-1, max(msg.RestFreq, 0)); ok {
		f0, f1 := s.freq(float64(zmin)), s.freq(float64(zmax))
		spec += fmt.Sprintf(", [%.4f, %.4f](GHz)", f0/1e9, f1/1e9)
		if msg.RestFreq > 0 {
			v := func(f float64) float64 { return lightSpeed * (1 - f/msg.RestFreq) / 1e3 }
			spec += fmt.Sprintf(", [%.4f, %.4f](km/s)", v(f0), v(f1))
		}
	}
	lines = append(lines, spec, "Polarization: "+momentStokesName(src, job.stokes))
	bunit, _ := src.img.HDU.Header.String("BUNIT")
	switch m := job.mask; m.Mode {
	case 1:
		lines = append(lines, fmt.Sprintf("Mask: include pixels [%.4f, %.4f](%s)", msg.PixelRange.Min, msg.PixelRange.Max, bunit))
	case 2:
		lines = append(lines, fmt.Sprintf("Mask: exclude pixels [%.4f, %.4f](%s)", msg.PixelRange.Min, msg.PixelRange.Max, bunit))
	default:
		lines = append(lines, "Mask: none")
	}
	cards := make([]fits.Card, len(lines))
	for i, l := range lines {
		cards[i] = fits.NewCommentCard("HISTORY", l)
	}
	return cards
}

// momentRegionLog is the reference's "Region:" line.
func momentRegionLog(job *momentJob) string {
	r := job.regionInfo
	if r == nil {
		w, h := job.src.layout.Width, job.src.layout.Height
		r = &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{}, {X: float32(w - 1), Y: float32(h - 1)}}}
	}
	kind := map[icd.RegionType]string{icd.RegionType_RECTANGLE: "rotbox", icd.RegionType_ELLIPSE: "ellipse", icd.RegionType_POLYGON: "poly"}[r.RegionType]
	var pts []string
	for _, p := range r.ControlPoints {
		pts = append(pts, fmt.Sprintf("[%.4fpix, %.4fpix]", p.X, p.Y))
	}
	if r.RegionType == icd.RegionType_POLYGON {
		return "Region: " + kind + "[" + strings.Join(pts, ", ") + "]"
	}
	return fmt.Sprintf("Region: %s[%s, %.4fdeg]", kind, strings.Join(pts, ", "), r.Rotation)
}

// momentStokesName names the Stokes the moments were computed from.
func momentStokesName(src *frame, stokes int) string {
	if stokes < len(src.layout.StokesValues) {
		return fits.StokesName(src.layout.StokesValues[stokes])
	}
	if src.layout.Axes.Stokes == 0 {
		return "I" // an image without a Stokes axis is taken as Stokes I
	}
	return fmt.Sprint(stokes)
}
