package session

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/budget"
	"cartago/imaging/cache"
	"cartago/imaging/fits"
	"cartago/imaging/region"
)

// frame is one open image of a session, under the frontend's file id.
// Work that reads pixels runs on the frame's worker goroutine, in order,
// so histograms go out before tiles and the newest channel wins.
type frame struct {
	// Immutable after openFrame.
	id          int32
	seq         int64 // opening order within the session
	aipsBeam    bool
	restored    <-chan struct{}   // closed once a restored frame's data is sent; nil otherwise
	dir         string            // directory as the client named it
	name        string            // file name
	hdu         string            // HDU key opened
	file        *cache.File       // shared with every frame showing the same file
	parts       []*cache.File     // the other files of a Stokes hypercube (concat.go)
	stokesFiles []*icd.StokesFile // what a Stokes hypercube was made of; nil otherwise
	recipe      proto.Message     // a generated image (pixels in memory): how to make it again (*store.MomentRecipe, *store.FitRecipe, *store.PvRecipe); nil otherwise
	onClose     func()            // releases what the frame owns besides its file; nil if nothing
	momentKeeps atomic.Int32      // moment requests with keep made of this image (moments.go)
	img         *fits.Image
	px          pixels // img by the frontend's Stokes numbers, derived polarizations too
	layout      fits.Layout
	sess        *Session
	folder      *Folder
	log         *slog.Logger
	work        *worker           // tiles, histograms, cursor, statistics
	spectra     *worker           // region spectral profiles, which may take long
	bright      region.Brightness // turns sums into flux densities
	sky         skyStep           // pixel size on the sky, for line profiles

	mu       sync.Mutex
	channel  int                                           // guarded by mu; the client's current channel
	stokes   int                                           // guarded by mu; the client's current Stokes index
	cursor   *icd.Point                                    // guarded by mu; nil until SET_CURSOR
	spatial  []*icd.SetSpatialRequirements_SpatialConfig   // guarded by mu; cursor profiles wanted
	spectral []*icd.SetSpectralRequirements_SpectralConfig // guarded by mu; cursor spectra wanted
	imgHists []*icd.HistogramConfig                        // guarded by mu; extra image histograms
	cubeHist *icd.HistogramConfig                          // guarded by mu; cube histogram wanted, or nil
	imgStats []*icd.SetStatsRequirements_StatsConfig       // guarded by mu; whole-image statistics wanted
	contours *icd.SetContourParameters                     // guarded by mu; nil without contours
	vector   *icd.SetVectorOverlayParameters               // guarded by mu; nil without a vector overlay

	// Owned by the worker goroutine.
	plane      imaging.Plane      // shared through the cache: read only
	planeKey   [2]int             // channel, Stokes of plane; {-1,-1} when empty
	planeRef   func()             // releases plane's cache reference; nil when empty
	levels     tileLevels         // mip levels of plane that tiles are cut from
	cubeCancel context.CancelFunc // running cube histogram, if any
	cubeDone   chan struct{}
	cube       *cubeRun     // the last cube histogram started, with its result
	extrema    cubePrefetch // per-plane extrema found in the background (cube_prefetch.go)
}

// openFrame opens dir/name at hdu for file id and starts its worker.
func openFrame(ctx context.Context, s *Session, folder *Folder, id int32, dir, name, hdu string) (*frame, error) {
	if path, ok := folder.casaPath(dir, name); ok {
		return openCasaFrame(ctx, s, folder, id, dir, name, path)
	}
	_, path, err := folder.File(dir, name)
	if err != nil {
		return nil, errFileAccess(folder, dir, name, err)
	}
	file, err := s.cache.Open(ctx, path, openOptions(s.mem))
	if err != nil {
		return nil, errFileAccess(folder, dir, name, explainOpen(err, s.mem))
	}
	if file.HDF5() != nil {
		f, err := hdf5Frame(s, folder, file, id, dir, name, hdu)
		if err != nil {
			file.Close()
		}
		return f, err
	}
	img, err := file.FITS().Image(hdu)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	px := newPixels(img, s.mem, s.cache, file.ID())
	if err := checkImageFits(s.mem, s.cache, px, name); err != nil {
		file.Close()
		return nil, err
	}
	f := &frame{id: id, dir: dir, name: name, hdu: img.Key(), file: file, img: img, px: px}
	return f.start(s, folder), nil
}

// start completes a frame whose image and pixels are set and starts
// its workers.
func (f *frame) start(s *Session, folder *Folder) *frame {
	f.layout, f.sess, f.folder = f.px.layout, s, folder
	f.log, f.planeKey, f.seq = s.log.With("file_id", f.id, "file", f.name), [2]int{-1, -1}, s.seq.Add(1)
	img := f.img
	f.bright = brightnessOf(img.HDU)
	f.sky = skyStepOf(img.HDU)
	f.work = startWorker(func(ctx context.Context) { f.recovered(ctx, "image work") })
	f.spectra = startWorkerAt(budget.Bulk, func(ctx context.Context) { f.recovered(ctx, "spectral profile") })
	return f
}

// close stops the worker, waits for running work and releases its
// references to the file and the plane; the cache frees what nobody
// else uses beyond its size (and has it returned to the OS).
func (f *frame) close() {
	f.spectra.stop()
	f.work.stop()
	if n := f.work.droppedJobs() + f.spectra.droppedJobs(); n > 0 {
		f.log.Warn("image closed; its work queue overflowed", "jobs_dropped", n, "bound", maxQueuedJobs)
	}
	f.stopCube()
	f.extrema.stop()
	f.dropPlane()
	f.file.Close()
	for _, p := range f.parts {
		p.Close()
	}
	if f.onClose != nil {
		f.onClose()
	}
}

// brightnessOf reads what turns sums of pixels into flux densities.
func brightnessOf(h *fits.HDU) region.Brightness {
	b := region.Brightness{}
	b.Unit, _ = h.Header.String("BUNIT")
	if beam, ok := h.Beam(); ok {
		b.BeamMajor, b.BeamMinor = beam.Major, beam.Minor
	}
	b.CDelt1, _ = h.Header.Float(fmt.Sprintf("CDELT%d", h.Layout.Axes.SpatialX))
	b.CDelt2, _ = h.Header.Float(fmt.Sprintf("CDELT%d", h.Layout.Axes.SpatialY))
	return b
}

// current returns the channel and Stokes the client shows.
func (f *frame) current() (channel, stokes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.channel, f.stokes
}

// loadPlane makes f.plane hold (channel, stokes), a reference into the
// cache that the frame keeps until another plane replaces it. The old
// one goes first, so a switch never needs room for both. Worker only.
func (f *frame) loadPlane(ctx context.Context, channel, stokes int) error {
	if f.planeKey == [2]int{channel, stokes} {
		return nil
	}
	f.dropPlane()
	p, release, err := f.px.Plane(ctx, channel, stokes)
	if err != nil {
		return fmt.Errorf("read channel %d Stokes %d: %w", channel, stokes, err)
	}
	f.plane, f.planeKey, f.planeRef = p, [2]int{channel, stokes}, release
	return nil
}

// dropPlane releases the frame's plane. Worker, or close after the
// worker stopped.
func (f *frame) dropPlane() {
	f.levels.drop()
	if f.planeRef != nil {
		f.planeRef()
	}
	f.plane, f.planeKey, f.planeRef = imaging.Plane{}, [2]int{-1, -1}, nil
}

// checkChannel validates a channel/Stokes pair against the image.
func (f *frame) checkChannel(channel, stokes int) error {
	if channel < 0 || channel >= f.layout.Depth {
		return fmt.Errorf("file %d: channel %d outside 0..%d", f.id, channel, f.layout.Depth-1)
	}
	if err := f.px.check(stokes); err != nil {
		return fmt.Errorf("file %d: %w", f.id, err)
	}
	return nil
}
