package session

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/moments"
	"cartago/store"
)

// momentSuffix names the result of each moment as the reference does
// (MomentGenerator::SetMomentTypeMaps: name.moment.integrated).
var momentSuffix = [...]string{"average", "integrated", "weighted_coord", "weighted_dispersion_coord",
	"median", "median_coord", "standard_deviation", "rms", "abs_mean_dev", "maximum", "maximum_coord",
	"minimum", "minimum_coord"}

// momentName is a result's name: the source's, ".moment.", the suffix,
// and the index of the request when it had keep
// (MomentGenerator::CalculateMoments).
func momentName(src string, k moments.Kind, index int) string {
	name := src + ".moment." + momentSuffix[k]
	if index > 0 {
		name += fmt.Sprint(index)
	}
	return name
}

// momentUnit is BUNIT of a moment image by casacore's rules
// (MomentsBase::_setOutThings): the image's unit for value moments; the
// axis's unit for coordinate moments, its square for the dispersion
// (km/s for both in velocity); their product for the integrated moment.
// A unit that needs an empty one is left empty, as casacore leaves the
// new image's units unset then.
func momentUnit(k moments.Kind, bunit, axisUnit string) string {
	switch k {
	case moments.Integrated:
		if bunit == "" || axisUnit == "" {
			return ""
		}
		return bunit + "." + axisUnit
	case moments.WeightedDispersion:
		if axisUnit == "" || axisUnit == "km/s" {
			return axisUnit
		}
		return axisUnit + "." + axisUnit
	case moments.WeightedCoord, moments.MedianCoord, moments.MaxCoord, moments.MinCoord:
		return axisUnit
	}
	return bunit
}

// openMomentImages opens each plane as a frame; each frame owns the
// budget charge of its plane (bytes) from now on.
func (s *Session) openMomentImages(ctx context.Context, mj *momentJob, planes [][]float32, bytes int64, index int) ([]*icd.OpenFileAck, []*frame, error) {
	ids := s.nextGeneratedIDs(len(planes))
	var acks []*icd.OpenFileAck
	var frames []*frame
	for i, data := range planes {
		k := mj.kinds[i]
		f, err := s.momentFrame(ctx, mj, ids[i], k, momentName(mj.src.name, k, index), data)
		if err != nil {
			s.mem.Release(bytes * int64(len(planes)-i)) // the charges no frame took
			return acks, frames, err
		}
		f.onClose = func() { s.mem.Release(bytes) }
		s.putFrame(f)
		acks, frames = append(acks, momentAck(f)), append(frames, f)
	}
	return acks, frames, nil
}

// momentFrame makes the frame of one moment image.
func (s *Session) momentFrame(ctx context.Context, job *momentJob, id int32, k moments.Kind, name string, data []float32) (*frame, error) {
	src := job.src
	h, err := momentHDU(src, job, k)
	if err != nil {
		return nil, err
	}
	// A reference to the source's file keeps what the frame needs of a
	// file (cache identity, its path for FILE_INFO); the pixels are ours.
	file, err := s.cache.Open(ctx, src.file.Path(), openOptions(s.mem))
	if err != nil {
		return nil, fmt.Errorf("moment image: %w", err)
	}
	key := fmt.Sprintf("moment %d", momentSeq.Add(1))
	px := newPixelsOf(memSource{w: h.Layout.Width, h: h.Layout.Height, data: data}, h.Layout, key, s.mem, s.cache, file.ID())
	recipe := &store.MomentRecipe{SourceFileId: src.id, Request: proto.CloneOf(job.msg), Stokes: int32(job.stokes),
		Region: job.regionInfo, Name: name}
	recipe.Request.Moments, recipe.Request.Keep = []icd.Moment{icd.Moment(k)}, true
	f := &frame{id: id, dir: src.dir, name: name, hdu: key, file: file, img: &fits.Image{HDU: h}, px: px, recipe: recipe}
	return f.start(s, src.folder), nil
}

// momentAck is the OPEN_FILE_ACK of a moment image: a CASA image of
// size 0, as the reference's OnOpenFile for generated images
// (Message::FileInfo(name, CASA)).
func momentAck(f *frame) *icd.OpenFileAck {
	h := f.img.HDU
	ack := &icd.OpenFileAck{Success: true, FileId: f.id, FileInfo: &icd.FileInfo{Name: f.name, Type: icd.FileType_CASA, HDUList: []string{""}},
		FileInfoExtended: extendedInfo(f.name, h)}
	if b, ok := h.Beam(); ok {
		ack.BeamTable = []*icd.Beam{{Channel: -1, Stokes: -1,
			MajorAxis: float32(b.Major * 3600), MinorAxis: float32(b.Minor * 3600), Pa: float32(b.PA)}}
	}
	return ack
}

// momentHDU is the header of a moment image: the source's, cut as the
// reference's SubImage of the region's bounding box, the channel range
// and the current Stokes, with the collapsed axis kept with length 1
// (MomentsBase::_makeOutputCoordinates, removeAxis false), so its one
// pixel sits at the first channel of the range; and BUNIT of the moment.
func momentHDU(src *frame, job *momentJob, k moments.Kind) (*fits.HDU, error) {
	hdr := src.img.HDU.Header
	naxis := slices.Clone(src.img.HDU.Naxis)
	ax := src.layout.Axes
	r := job.rect
	naxis[ax.SpatialX-1], naxis[ax.SpatialY-1], naxis[ax.Spectral-1] = r.W, r.H, 1
	shift := map[int]float64{ax.SpatialX: float64(r.X0), ax.SpatialY: float64(r.Y0), ax.Spectral: float64(job.msg.SpectralRange.Min)}
	skip := map[string]bool{"BUNIT": true}
	var extra []fits.Card
	for axis, by := range shift {
		if by == 0 {
			continue
		}
		n := fmt.Sprint(axis)
		skip["CRPIX"+n] = true
		extra = append(extra, fits.NewFloatCard("CRPIX"+n, floatOr(hdr, "CRPIX"+n, 0)-by, ""))
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
	bunit, _ := hdr.String("BUNIT")
	cards = append(cards, extra...)
	cards = append(cards, momentHistory(job)...)
	if u := momentUnit(k, bunit, job.axis.unit); u != "" {
		cards = append(cards, fits.NewStringCard("BUNIT", u, ""))
	}
	h, err := fits.DescribeHDU(fits.WriteHDU{Bitpix: -32, Naxis: naxis, Cards: cards})
	if err != nil {
		return nil, fmt.Errorf("moment image header: %w", err)
	}
	return h, nil
}

// memSource is a moment image's one plane in memory.
type memSource struct {
	w, h int
	data []float32
}

func (m memSource) check(channel, stokes int) error {
	if channel != 0 || stokes != 0 {
		return fmt.Errorf("%w: channel %d Stokes %d of a single-plane image", fits.ErrOutOfRange, channel, stokes)
	}
	return nil
}

func (m memSource) ReadPlane(dst []float32, channel, stokes int) error {
	if err := m.check(channel, stokes); err != nil {
		return err
	}
	copy(dst, m.data)
	return nil
}

func (m memSource) ReadRows(dst []float32, channel, stokes, y0, rows int) error {
	return m.ReadRect(dst, channel, stokes, 0, y0, m.w, rows)
}

func (m memSource) ReadRect(dst []float32, channel, stokes, x0, y0, w, rows int) error {
	if err := m.check(channel, stokes); err != nil {
		return err
	}
	if x0 < 0 || y0 < 0 || w < 0 || rows < 0 || x0+w > m.w || y0+rows > m.h {
		return fmt.Errorf("%w: rectangle %d,%d %d×%d of %d×%d", fits.ErrOutOfRange, x0, y0, w, rows, m.w, m.h)
	}
	for r := 0; r < rows; r++ {
		copy(dst[r*w:(r+1)*w], m.data[(y0+r)*m.w+x0:])
	}
	return nil
}

func (m memSource) ReadSpectrum(dst []float32, x, y, stokes, from int) error {
	if err := m.check(from, stokes); err != nil {
		return err
	}
	if x < 0 || y < 0 || x >= m.w || y >= m.h {
		return fmt.Errorf("%w: pixel %d,%d of %d×%d", fits.ErrOutOfRange, x, y, m.w, m.h)
	}
	if len(dst) > 0 {
		dst[0] = m.data[y*m.w+x]
	}
	return nil
}
