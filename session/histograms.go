package session

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/budget"
	"cartago/imaging/cache"
	"cartago/imaging/stats"
)

// Region ids of the whole image and of the whole cube.
const (
	regionImage = -1
	regionCube  = -2
	// channelAll in a HistogramConfig asks for the whole cube.
	channelAll = -2
	// cubeProgressEvery limits partial cube histograms, as the
	// reference does, so a big cube does not flood the socket.
	cubeProgressEvery = 2 * time.Second
)

// defaultHistogramConfig is what the image histogram answers: automatic
// bins over the current plane's finite range.
func defaultHistogramConfig() *icd.HistogramConfig {
	return &icd.HistogramConfig{Coordinate: "z", Channel: -1, NumBins: stats.AutoBinSize}
}

func isDefaultConfig(c *icd.HistogramConfig) bool {
	return (c.Channel == -1) && !c.FixedBounds && (c.NumBins <= 0)
}

func statsConfig(c *icd.HistogramConfig) stats.Config {
	cfg := stats.Config{FixedNumBins: c.FixedNumBins, NumBins: int(c.NumBins), FixedBounds: c.FixedBounds}
	if c.Bounds != nil {
		cfg.Min, cfg.Max = c.Bounds.Min, c.Bounds.Max
	}
	return cfg
}

// sendImageHistograms sends the image histogram of the current plane,
// which sets the frontend's colour scale, plus any other image histogram
// the client asked for. Worker only.
func (f *frame) sendImageHistograms(ctx context.Context) {
	ch, st := f.current()
	f.mu.Lock()
	extra := slices.Clone(f.imgHists)
	f.mu.Unlock()
	configs := append([]*icd.HistogramConfig{defaultHistogramConfig()}, extra...)
	if !f.histogramsStored(configs, ch, st) { // an IDIA file's statistics need no plane
		if err := f.loadPlane(ctx, ch, st); err != nil {
			f.reportError(ctx, "histogram", err)
			return
		}
	}
	for _, cfg := range configs {
		if err := f.sendImageHistogram(ctx, cfg, ch, st); err != nil {
			f.reportError(ctx, "histogram", err)
		}
	}
	f.prefetchCubeExtrema(st)
}

func (f *frame) sendImageHistogram(ctx context.Context, cfg *icd.HistogramConfig, ch, st int) error {
	if f.sendStoredHistogram(ctx, cfg, ch, st) {
		return nil
	}
	start := time.Now()
	plane := f.plane
	if cfg.Channel >= 0 && int(cfg.Channel) != ch {
		if err := f.checkChannel(int(cfg.Channel), st); err != nil {
			return err
		}
		p, release, err := f.px.Plane(ctx, int(cfg.Channel), st)
		if err != nil {
			return err
		}
		defer release()
		plane, ch = p, int(cfg.Channel)
	}
	h, err := f.planeHistogram(ctx, plane, statsConfig(cfg), ch, st)
	if err != nil {
		return fmt.Errorf("histogram of file %d channel %d: %w", f.id, ch, err)
	}
	f.sess.send(ctx, icd.EventType_REGION_HISTOGRAM_DATA, histogramData(f.id, regionImage, ch, st, h, cfg, 1))
	f.sess.met.Histogram(time.Since(start))
	return nil
}

// planeHistogram returns the histogram of plane, which is (ch, st), from
// the server's cache: every session showing the plane shares it, and
// concurrent requests compute it once.
func (f *frame) planeHistogram(ctx context.Context, plane imaging.Plane, cfg stats.Config, ch, st int) (stats.Histogram, error) {
	ref, err := f.sess.cache.Get(ctx, f.px.key(ch, st, fmt.Sprintf("histogram %+v", cfg)), cache.Loader{
		What: "image histogram",
		Load: func(ctx context.Context) (any, int64, error) {
			h, _, err := stats.PlaneHistogram(ctx, plane, cfg)
			return h, histogramBytes(h), err
		},
	})
	if err != nil {
		return stats.Histogram{}, err
	}
	defer ref.Release() // the value stays valid; it is never modified
	return ref.Value().(stats.Histogram), nil
}

// histogramBytes is what a cached histogram costs.
func histogramBytes(h stats.Histogram) int64 { return 128 + 4*int64(len(h.Bins)) }

func histogramData(fileID, region int32, ch, st int, h stats.Histogram, cfg *icd.HistogramConfig, progress float32) *icd.RegionHistogramData {
	return &icd.RegionHistogramData{
		FileId: fileID, RegionId: region, Channel: int32(ch), Stokes: int32(st), Progress: progress,
		Config: cfg,
		Histograms: &icd.Histogram{
			NumBins: int32(h.NumBins), BinWidth: h.BinWidth, FirstBinCenter: h.FirstBinCenter,
			Bins: h.Bins, Mean: h.Mean, StdDev: h.StdDev,
		},
	}
}

func (c *Client) handleSetHistogramRequirements(r request) error {
	var msg icd.SetHistogramRequirements
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(msg.FileId)
	if err != nil && len(msg.Histograms) == 0 {
		// The reference only cancels on empty requirements and never
		// looks for the file (SessionManager::OnMessage).
		return silentIfNotOpen(err)
	}
	if err != nil {
		return err
	}
	switch msg.RegionId {
	case regionImage:
		f.setImageHistograms(msg.Histograms)
	case regionCube:
		f.setCubeHistogram(msg.Histograms)
	default:
		r, err := c.session.setRequirements(icd.EventType_SET_HISTOGRAM_REQUIREMENTS, f.id, msg.RegionId, len(msg.Histograms), func(r *regionState) {
			r.hists = msg.Histograms
		})
		if r == nil || err != nil {
			return err
		}
		// Answered also when it repeats the last one (see statsreq.go).
		f.work.add(job{kind: jobRefresh, key: "histograms " + regionKey(r.id), run: func(ctx context.Context) { f.sendRegionHistograms(ctx, r) }})
	}
	return nil
}

// setImageHistograms stores the extra image histogram configs and
// answers with every histogram asked for, the default one included, as
// the reference does; a repeated request gets the same answer again.
func (f *frame) setImageHistograms(configs []*icd.HistogramConfig) {
	var extra, want []*icd.HistogramConfig
	for _, c := range configs {
		want = append(want, proto.CloneOf(c))
		if !isDefaultConfig(c) {
			extra = append(extra, proto.CloneOf(c))
		}
	}
	f.mu.Lock()
	f.imgHists = extra
	f.mu.Unlock()
	if len(want) == 0 {
		return
	}
	f.work.add(job{kind: jobRefresh, key: "histograms image", run: func(ctx context.Context) {
		ch, st := f.current()
		if err := f.loadPlane(ctx, ch, st); err != nil {
			f.reportError(ctx, "histogram", err)
			return
		}
		for _, cfg := range want {
			if err := f.sendImageHistogram(ctx, cfg, ch, st); err != nil {
				f.reportError(ctx, "histogram", err)
			}
		}
	}})
}

// cubeRun is the last cube histogram started. Owned by the worker,
// except result, which the run stores just before sending it.
type cubeRun struct {
	cfg    *icd.HistogramConfig
	stokes int
	done   chan struct{}
	result atomic.Pointer[icd.RegionHistogramData] // the final message; nil until then, or if cancelled or failed
}

func (r *cubeRun) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// setCubeHistogram starts (or, with no configs, cancels) the whole-cube
// histogram. It runs beside the worker so tiles keep flowing meanwhile.
// A request equal to the running one leaves it running (its messages
// answer both); equal to a finished one, it is answered from the result
// kept, as the reference caches cube histograms per Stokes.
func (f *frame) setCubeHistogram(configs []*icd.HistogramConfig) {
	var want *icd.HistogramConfig
	if len(configs) > 0 {
		want = proto.CloneOf(configs[0])
	}
	f.mu.Lock()
	f.cubeHist = want
	f.mu.Unlock()
	f.work.add(job{kind: jobRefresh, key: "histograms cube", startsBulk: true, run: func(ctx context.Context) {
		if want == nil {
			f.stopCube()
			f.cube = nil
			return
		}
		_, st := f.current()
		if r := f.cube; r != nil && r.stokes == st && proto.Equal(r.cfg, want) {
			if r.result.Load() == nil && !r.finished() {
				return // its final message, not sent yet, answers this request too
			}
			if msg := r.result.Load(); msg != nil {
				f.sess.send(ctx, icd.EventType_REGION_HISTOGRAM_DATA, msg)
				return
			}
		}
		f.startCube(want, st)
	}})
}

// startCube stops a running cube histogram and starts one for cfg. Worker
// only.
func (f *frame) startCube(cfg *icd.HistogramConfig, st int) {
	f.stopCube()
	run := &cubeRun{cfg: cfg, stokes: st, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(budget.WithPriority(f.work.ctx, budget.Bulk))
	f.cubeCancel, f.cubeDone, f.cube = cancel, run.done, run
	go func() {
		defer close(run.done)
		defer f.recovered(ctx, "cube histogram")
		f.runCubeHistogram(ctx, run)
	}()
}

// stopCube cancels a running cube histogram and waits for it. Worker, or
// close after the worker stopped.
func (f *frame) stopCube() {
	if f.cubeCancel != nil {
		f.cubeCancel()
		<-f.cubeDone
		f.cubeCancel, f.cubeDone = nil, nil
	}
}

// cubeHistogram returns the cube histogram of Stokes st from the
// server's cache, computing it once for every session asking meanwhile;
// only the session computing it sees progress.
func (f *frame) cubeHistogram(ctx context.Context, cfg stats.Config, st int, progress stats.Progress) (stats.Histogram, error) {
	if h, ok := f.storedCubeHistogram(cfg, st); ok {
		return h, nil
	}
	ref, err := f.sess.cache.Get(ctx, f.px.key(channelAll, st, fmt.Sprintf("cube histogram %+v", cfg)), cache.Loader{
		What: "cube histogram",
		Load: func(ctx context.Context) (any, int64, error) {
			ext, release, err := f.cubeExtrema(ctx, st, progress)
			if err != nil {
				return nil, 0, err
			}
			defer release()
			scratch := stats.CubeScratchBytes(f.layout.Width, f.layout.Height, f.layout.Depth)
			if err := f.sess.mem.Acquire(scratch, "cube histogram planes"); err != nil {
				return nil, 0, err
			}
			defer f.sess.mem.Release(scratch)
			h, _, err := stats.CubeHistogram(ctx, planesOfStokes{f: f, stokes: st}, cfg, ext, progress)
			return h, histogramBytes(h), err
		},
	})
	if err != nil {
		return stats.Histogram{}, err
	}
	defer ref.Release()
	return ref.Value().(stats.Histogram), nil
}

// cubeExtrema returns the extrema of every plane of Stokes st, the first
// pass of a cube histogram, from the server's cache: a cube histogram
// with other bins or bounds, or one asked again after its result was
// evicted, reads the cube once instead of twice. release gives back the
// reference.
func (f *frame) cubeExtrema(ctx context.Context, st int, progress stats.Progress) (ext stats.CubeExtrema, release func(), err error) {
	ref, err := f.sess.cache.Get(ctx, f.px.key(channelAll, st, "cube extrema"), cache.Loader{
		What: "cube extrema",
		Load: func(ctx context.Context) (any, int64, error) {
			scratch := stats.CubeScratchBytes(f.layout.Width, f.layout.Height, f.layout.Depth)
			if err := f.sess.mem.Acquire(scratch, "cube histogram planes"); err != nil {
				return nil, 0, err
			}
			defer f.sess.mem.Release(scratch)
			ext, err := stats.CubeExtremaOf(ctx, planesOfStokes{f: f, stokes: st}, func(done float64) {
				if progress != nil {
					progress(done/2, nil) // the first half of the cube histogram
				}
			})
			return ext, 64 + 64*int64(len(ext)), err
		},
	})
	if err != nil {
		return nil, nil, err
	}
	return ref.Value().(stats.CubeExtrema), ref.Release, nil
}

// runCubeHistogram sends the cube histogram, with partial results while
// it runs; the final message is kept in run.result before it is sent.
func (f *frame) runCubeHistogram(ctx context.Context, run *cubeRun) {
	cfg, st := run.cfg, run.stokes
	last := time.Now()
	progress := func(done float64, h *stats.Histogram) {
		if h == nil || time.Since(last) < cubeProgressEvery {
			return
		}
		last = time.Now()
		part := *h
		part.Bins = slices.Clone(h.Bins)
		f.sess.send(ctx, icd.EventType_REGION_HISTOGRAM_DATA, histogramData(f.id, regionCube, channelAll, st, part, cfg, float32(done)))
	}
	h, err := f.cubeHistogram(ctx, statsConfig(cfg), st, progress)
	if err != nil {
		f.reportError(ctx, "histogram", fmt.Errorf("cube histogram of file %d: %w", f.id, err))
		return
	}
	msg := histogramData(f.id, regionCube, channelAll, st, h, cfg, 1)
	run.result.Store(msg)
	f.sess.send(ctx, icd.EventType_REGION_HISTOGRAM_DATA, msg)
}
