package session

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fit"
	"cartago/imaging/fits"
	"cartago/store"
)

// fitImageName names a model or residual image as the reference does
// (ImageFitter::GetFilename): "_model" or "_residual" before the file's
// extension, a moment image's suffix kept at the end.
func fitImageName(name, suffix string) string {
	moment := ""
	if i := strings.LastIndex(name, ".moment."); i >= 0 {
		name, moment = name[:i], name[i:]
	}
	ext := path.Ext(name)
	if ext == name { // a dot file: no extension
		ext = ""
	}
	return strings.TrimSuffix(name, ext) + "_" + suffix + ext + moment
}

// fitFrame makes the frame of a model (residual false) or residual
// image over the job's box; the caller charges and registers it.
func (s *Session) fitFrame(ctx context.Context, job *fitJob, id int32, residual bool, data []float32, values fit.Params) (*frame, error) {
	src := job.src
	h, err := fitHDU(src, job)
	if err != nil {
		return nil, err
	}
	// As a moment image: a reference to the source's file gives the
	// frame a file identity; the pixels are ours.
	file, err := s.cache.Open(ctx, src.file.Path(), openOptions(s.mem))
	if err != nil {
		return nil, fmt.Errorf("fit image: %w", err)
	}
	suffix := "model"
	if residual {
		suffix = "residual"
	}
	key := fmt.Sprintf("fit %s %d", suffix, momentSeq.Add(1))
	px := newPixelsOf(memSource{w: h.Layout.Width, h: h.Layout.Height, data: data}, h.Layout, key, s.mem, s.cache, file.ID())
	recipe := &store.FitRecipe{SourceFileId: src.id, Request: proto.CloneOf(job.msg), Region: job.regionInfo,
		Channel: int32(job.channel), Stokes: int32(job.stokes), Residual: residual, OffsetValue: values.Offset}
	for _, g := range values.Components {
		recipe.ResultValues = append(recipe.ResultValues, component(g))
	}
	f := &frame{id: id, dir: src.dir, name: fitImageName(src.name, suffix), hdu: key, file: file,
		img: &fits.Image{HDU: h}, px: px, recipe: recipe}
	return f.start(s, src.folder), nil
}

// fitHDU is the header of the source's sub-image the fit covered, as
// casacore's SubImage makes it for the reference (ImageFitter::
// GetImageData): the box's width and height, the fitted channel and
// Stokes as axes of length 1, reference pixels moved with the box.
func fitHDU(src *frame, job *fitJob) (*fits.HDU, error) {
	hdr := src.img.HDU.Header
	naxis := slices.Clone(src.img.HDU.Naxis)
	ax := src.layout.Axes
	b := job.box
	shift := map[int]float64{ax.SpatialX: float64(b.Min.X), ax.SpatialY: float64(b.Min.Y)}
	naxis[ax.SpatialX-1], naxis[ax.SpatialY-1] = b.Dx(), b.Dy()
	if ax.Depth > 0 {
		naxis[ax.Depth-1] = 1
		shift[ax.Depth] = float64(job.channel)
	}
	skip := map[string]bool{}
	var extra []fits.Card
	for axis, by := range shift {
		n := fmt.Sprint(axis)
		if crpix, ok := hdr.Float("CRPIX" + n); ok {
			skip["CRPIX"+n] = true
			extra = append(extra, fits.NewFloatCard("CRPIX"+n, crpix-by, ""))
		}
	}
	if ax.Stokes > 0 {
		naxis[ax.Stokes-1] = 1
		if job.stokes < src.layout.Stokes && job.stokes < len(src.layout.StokesValues) {
			n := fmt.Sprint(ax.Stokes)
			skip["CRVAL"+n], skip["CRPIX"+n] = true, true
			extra = append(extra, fits.NewFloatCard("CRVAL"+n, float64(src.layout.StokesValues[job.stokes]), ""),
				fits.NewFloatCard("CRPIX"+n, 1, ""))
		}
	}
	var cards []fits.Card
	for _, c := range hdr.Cards {
		if !skip[c.Name] && !droppedKeys[c.Name] && fits.CheckCard(c) == nil {
			cards = append(cards, c)
		}
	}
	h, err := fits.DescribeHDU(fits.WriteHDU{Bitpix: -32, Naxis: naxis, Cards: append(cards, extra...)})
	if err != nil {
		return nil, fmt.Errorf("fit image header: %w", err)
	}
	return h, nil
}

// fitResultParams are a recipe's fitted values.
func fitResultParams(r *store.FitRecipe) fit.Params {
	return initialParams(&icd.FittingRequest{InitialValues: r.ResultValues, Offset: r.OffsetValue})
}
