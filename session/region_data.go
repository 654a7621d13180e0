package session

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
	"unsafe"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/cache"
	"cartago/imaging/region"
	"cartago/imaging/stats"
)

// regionProgressEvery limits partial region spectra, as the reference.
const regionProgressEvery = time.Second

// refreshRegion queues everything region r's requirements ask for; with
// spectra false the spectral profiles are kept (they do not depend on the
// channel).
func (f *frame) refreshRegion(r *regionState, spectra bool) {
	if len(r.stats)+len(r.hists) > 0 {
		f.work.add(job{kind: jobData, run: func(ctx context.Context) {
			f.sendRegionStats(ctx, r)
			f.sendRegionHistograms(ctx, r)
		}})
	}
	f.queueRegionSpatial(r)
	if spectra && len(r.spectral) > 0 {
		f.spectra.add(job{kind: jobLatest, key: regionKey(r.id), run: func(ctx context.Context) {
			f.sendRegionSpectra(ctx, r)
		}})
	}
}

// sendRegionData sends the statistics, histograms and point profiles of
// every region on this image now, on the worker (animation frames).
func (f *frame) sendRegionData(ctx context.Context) {
	for _, r := range f.sess.analysedOn(f.id) {
		f.sendRegionStats(ctx, r)
		f.sendRegionHistograms(ctx, r)
		f.sendRegionSpatial(ctx, r)
	}
}

// refreshRegions re-sends region data after a channel or Stokes change;
// after a Stokes change, the spectra that follow it.
func (f *frame) refreshRegions(stokesChanged bool) {
	for _, r := range f.sess.analysedOn(f.id) { // copies
		r.spectral = followingStokes(r.spectral)
		f.refreshRegion(r, stokesChanged)
	}
}

// regionMask returns r's mask on this image (cached per region and
// image).
func (f *frame) regionMask(r *regionState) (*region.Mask, error) {
	if r.convErr != nil {
		return nil, r.convErr
	}
	m, err := f.sess.masks.MaskOn(int(r.id), int(f.id), r.desc, f.layout.Width, f.layout.Height)
	if err != nil {
		return nil, fmt.Errorf("region %d: %w", r.id, err)
	}
	return m, nil
}

// planeFor returns the current channel's plane of a Stokes index: the
// cached one for the current Stokes. release gives back a plane read for
// another Stokes. Worker only.
func (f *frame) planeFor(ctx context.Context, ch, st, stokes int) (plane imaging.Plane, release func(), err error) {
	if stokes == st {
		return f.plane, func() {}, f.loadPlane(ctx, ch, st)
	}
	return f.px.Plane(ctx, ch, stokes)
}

func (f *frame) sendRegionStats(ctx context.Context, r *regionState) {
	if len(r.stats) == 0 || !r.hasMask() {
		return
	}
	m, err := f.regionMask(r)
	if noPixels(err) {
		f.sendEmptyStats(ctx, r)
		return
	}
	if err != nil {
		f.reportError(ctx, "stats", err)
		return
	}
	f.sendStats(ctx, r.id, r.stats, func(p imaging.Plane, _, _ int) (stats.Basic, error) { return region.Compute(ctx, p, m) })
}

// sendImageStats sends the statistics of the whole current plane.
func (f *frame) sendImageStats(ctx context.Context) {
	f.mu.Lock()
	configs := slices.Clone(f.imgStats)
	f.mu.Unlock()
	if len(configs) > 0 {
		f.sendStats(ctx, regionImage, configs, func(p imaging.Plane, ch, stokes int) (stats.Basic, error) {
			return f.planeStats(ctx, p, ch, stokes)
		})
	}
}

// planeStats returns the statistics of plane, which is (ch, stokes),
// from the server's cache: computed once for every session showing it.
func (f *frame) planeStats(ctx context.Context, p imaging.Plane, ch, stokes int) (stats.Basic, error) {
	ref, err := f.sess.cache.Get(ctx, f.px.key(ch, stokes, "statistics"), cache.Loader{
		What: "image statistics",
		Load: func(ctx context.Context) (any, int64, error) {
			b, err := stats.ComputeParallel(ctx, p.Data)
			return b, int64(unsafe.Sizeof(b)), err
		},
	})
	if err != nil {
		return stats.Basic{}, err
	}
	defer ref.Release()
	return ref.Value().(stats.Basic), nil
}

// sendStats sends one REGION_STATS_DATA per config. Worker only.
func (f *frame) sendStats(ctx context.Context, id int32, configs []*icd.SetStatsRequirements_StatsConfig, compute func(p imaging.Plane, ch, stokes int) (stats.Basic, error)) {
	ch, st := f.current()
	for _, cfg := range configs {
		_, stokes, err := parseCoordinate(cfg.Coordinate, st, f.layout)
		if err != nil {
			f.reportError(ctx, "stats", err)
			continue
		}
		p, release, err := f.planeFor(ctx, ch, st, stokes)
		if err != nil {
			f.reportError(ctx, "stats", err)
			continue
		}
		b, err := compute(p, ch, stokes)
		release()
		if err != nil {
			f.reportError(ctx, "stats", err)
			continue
		}
		msg := &icd.RegionStatsData{FileId: f.id, RegionId: id, Channel: int32(ch), Stokes: int32(stokes)}
		for _, t := range cfg.StatsTypes {
			msg.Statistics = append(msg.Statistics, &icd.StatisticsValue{StatsType: t, Value: region.Value(b, region.StatsType(t), f.bright)})
		}
		f.sess.send(ctx, icd.EventType_REGION_STATS_DATA, msg)
	}
}

func (f *frame) sendRegionHistograms(ctx context.Context, r *regionState) {
	if len(r.hists) == 0 || !r.hasMask() {
		return
	}
	m, err := f.regionMask(r)
	if noPixels(err) {
		f.sendEmptyHistograms(ctx, r)
		return
	}
	if err != nil {
		f.reportError(ctx, "histogram", err)
		return
	}
	ch, st := f.current()
	for _, cfg := range r.hists {
		p, _, err := f.planeFor(ctx, ch, st, st) // the frame's own plane: nothing to release
		if err != nil {
			f.reportError(ctx, "histogram", err)
			return
		}
		h, _, err := region.Histogram(ctx, p, m, statsConfig(cfg))
		if err != nil {
			f.reportError(ctx, "histogram", fmt.Errorf("histogram of region %d: %w", r.id, err))
			continue
		}
		f.sess.send(ctx, icd.EventType_REGION_HISTOGRAM_DATA, histogramData(f.id, r.id, ch, st, h, cfg, 1))
	}
}

// pointOf returns the pixel of a point region.
func pointOf(r *regionState) (x, y int, ok bool) {
	if r.desc.Kind != region.KindPoint || len(r.desc.Points) == 0 {
		return 0, 0, false
	}
	p := r.desc.Points[0]
	return int(math.Round(p.X)), int(math.Round(p.Y)), true
}

// queueRegionSpatial queues the spatial profiles of region r; only the
// newest position of a region matters while the user drags it.
func (f *frame) queueRegionSpatial(r *regionState) {
	if len(r.spatial) == 0 {
		return
	}
	f.work.add(job{kind: jobLatest, key: "spatial " + regionKey(r.id), run: func(ctx context.Context) {
		f.sendRegionSpatial(ctx, r)
	}})
}

// sendRegionSpatial sends the spatial profiles of a point region, as for
// the cursor, or of a line or polyline region, along it; other shapes
// have none, as in the reference. Worker only.
func (f *frame) sendRegionSpatial(ctx context.Context, r *regionState) {
	if len(r.spatial) == 0 {
		return
	}
	if r.convErr != nil {
		return // warnMismatch told the client when the requirements were set
	}
	if r.desc.Kind == region.KindLine || r.desc.Kind == region.KindPolyline {
		f.sendLineProfiles(ctx, r)
		return
	}
	x, y, ok := pointOf(r)
	if !ok {
		f.reportError(ctx, "spatial", errSpatialType(r.id, icd.RegionType(r.desc.Kind)))
		return
	}
	if x >= 0 && y >= 0 && x < f.layout.Width && y < f.layout.Height {
		f.sendSpatialAt(ctx, r.id, x, y, r.spatial)
	}
}

// planesOfStokes reads one Stokes of the cube, for region spectra and the
// cube histogram; safe for concurrent reads into different buffers.
type planesOfStokes struct {
	f      *frame
	stokes int
}

func (p planesOfStokes) Shape() (int, int, int) {
	return p.f.layout.Width, p.f.layout.Height, p.f.layout.Depth
}

func (p planesOfStokes) ReadPlane(dst []float32, channel int) error {
	if testReadHook != nil {
		testReadHook(channel)
	}
	return p.f.px.ReadPlane(dst, channel, p.stokes)
}

// testReadHook, set only by tests before any image is opened, runs
// before each read of planesOfStokes: inside the fan-out goroutines of
// cube histograms and region spectra.
var testReadHook func(channel int)

// ReadRows lets region spectra read only the region's rows, and cube
// histograms read planes in bands.
func (p planesOfStokes) ReadRows(dst []float32, channel, y0, rows int) error {
	if testReadHook != nil {
		testReadHook(channel)
	}
	return p.f.px.ReadRows(dst, channel, p.stokes, y0, rows)
}

// ReadRect lets region spectra read only the region's bounding box.
func (p planesOfStokes) ReadRect(dst []float32, channel, x0, y0, w, rows int) error {
	if testReadHook != nil {
		testReadHook(channel)
	}
	return p.f.px.ReadRect(dst, channel, p.stokes, x0, y0, w, rows)
}

// sendRegionSpectra sends the per-channel statistics of region r through
// the cube, one profile per requested statistic; partial results go out
// about every second. Runs on the frame's spectra worker.
func (f *frame) sendRegionSpectra(ctx context.Context, r *regionState) {
	if x, y, ok := pointOf(r); ok {
		if f.outside(x, y) {
			f.sendEmptySpectra(ctx, r)
		} else {
			f.sendSpectraAt(ctx, r.id, x, y, r.spectral)
		}
		return
	}
	if !r.hasMask() {
		return
	}
	m, err := f.regionMask(r)
	if noPixels(err) {
		f.sendEmptySpectra(ctx, r)
		return
	}
	if err != nil {
		f.reportError(ctx, "spectral", err)
		return
	}
	_, st := f.current()
	for _, cfg := range r.spectral {
		_, stokes, err := parseCoordinate(cfg.Coordinate, st, f.layout)
		if err != nil {
			f.reportError(ctx, "spectral", err)
			continue
		}
		last := time.Now()
		progress := func(done int, profile []stats.Basic) {
			if time.Since(last) < regionProgressEvery || done == f.layout.Depth {
				return
			}
			last = time.Now()
			f.sess.send(ctx, icd.EventType_SPECTRAL_PROFILE_DATA, f.regionSpectrum(r.id, stokes, cfg, profile, float32(done)/float32(f.layout.Depth)))
		}
		src, release := f.spectralPlanes(ctx, stokes, m) // an IDIA file's swizzled copy, or the planes
		profile, err := f.chargedProfile(ctx, src, m, progress)
		release()
		if err != nil {
			f.reportError(ctx, "spectral", fmt.Errorf("spectral profile of region %d: %w", r.id, err))
			continue
		}
		f.sess.send(ctx, icd.EventType_SPECTRAL_PROFILE_DATA, f.regionSpectrum(r.id, stokes, cfg, profile, 1))
	}
}

func (f *frame) regionSpectrum(id int32, stokes int, cfg *icd.SetSpectralRequirements_SpectralConfig, profile []stats.Basic, progress float32) *icd.SpectralProfileData {
	msg := &icd.SpectralProfileData{FileId: f.id, RegionId: id, Stokes: int32(stokes), Progress: progress}
	for _, t := range cfg.StatsTypes {
		msg.Profiles = append(msg.Profiles, &icd.SpectralProfile{
			Coordinate: cfg.Coordinate, StatsType: t,
			RawValuesFp64: float64Bytes(region.Values(profile, region.StatsType(t), f.bright)),
		})
	}
	return msg
}

// float64Bytes encodes values little-endian, as raw_values_fp64 wants.
func float64Bytes(values []float64) []byte {
	out := make([]byte, 0, 8*len(values))
	for _, v := range values {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
	}
	return out
}

// chargedProfile is region.SpectralProfile with its plane buffers
// charged to the budget while it runs.
func (f *frame) chargedProfile(ctx context.Context, src region.Planes, m *region.Mask, progress region.Progress) ([]stats.Basic, error) {
	scratch := region.ProfileScratchBytes(src, m)
	if err := f.sess.mem.Acquire(scratch, "spectral profile planes"); err != nil {
		return nil, err
	}
	defer f.sess.mem.Release(scratch)
	return region.SpectralProfile(ctx, src, m, progress)
}
