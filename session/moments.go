package session

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/moments"
)

// Moment images (MOMENT_REQUEST): the cube is collapsed along its
// spectral axis on a goroutine owned by the session (one run at a time),
// so STOP_MOMENT_CALC is read while it works; every moment becomes an
// in-memory image opened as a new frame (moment_image.go).

// momentBandBytes bounds the spectra read at once by a moment run
// (a band of rows over the channel range), charged while it runs.
const momentBandBytes = 32 << 20

// progressEvery is how often MOMENT_PROGRESS goes out at most.
const progressEvery = time.Second

// momentStarted runs as a calculation starts; tests replace it to hold
// a run until it is cancelled.
var momentStarted = func(context.Context) {}

// momentRun is the running moment calculation of a session.
type momentRun struct {
	fileID int32
	cancel context.CancelFunc
	done   chan struct{}
}

// momentRuns holds a session's running calculation.
type momentRuns struct {
	mu  sync.Mutex
	run *momentRun // guarded by mu; nil when idle
}

// stop cancels the run (of file id, or any when id is -1) and waits.
func (m *momentRuns) stop(id int32) {
	m.mu.Lock()
	r := m.run
	if r != nil && (id == -1 || r.fileID == id) {
		m.run = nil
	} else {
		r = nil
	}
	m.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
}

func (c *Client) handleMomentRequest(r request) error {
	var msg icd.MomentRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	job, err := c.prepareMoments(&msg)
	if err != nil {
		// The reference answers an unknown file id with a log message only
		// (Session::OnMomentRequest), leaving the dialog waiting; we answer.
		c.send(r.ctx, icd.EventType_MOMENT_RESPONSE, r.hdr.RequestID, &icd.MomentResponse{Message: clientText(err, c.mgr.folder.Redact)})
		return nil
	}
	s := c.session
	s.moments.stop(-1)
	// Bulk: a long calculation yields cores to interactive work.
	ctx, cancel := context.WithCancel(budget.WithPriority(context.Background(), budget.Bulk))
	run := &momentRun{fileID: msg.FileId, cancel: cancel, done: make(chan struct{})}
	s.moments.mu.Lock()
	s.moments.run = run
	s.moments.mu.Unlock()
	go func() {
		defer close(run.done)
		defer cancel()
		momentStarted(ctx)
		c.runMoments(ctx, job, r.hdr.RequestID)
		s.moments.mu.Lock()
		if s.moments.run == run {
			s.moments.run = nil
		}
		s.moments.mu.Unlock()
	}()
	return nil
}

// handleStopMomentCalc cancels the file's calculation; silent, as the
// reference (Session::OnStopMomentCalc). The run itself answers its
// request with cancel=true.
func (c *Client) handleStopMomentCalc(r request) error {
	var msg icd.StopMomentCalc
	if err := decode(r, &msg); err != nil {
		return err
	}
	c.session.moments.stop(msg.FileId)
	return nil
}

// runMoments computes, opens the results and answers the request.
func (c *Client) runMoments(ctx context.Context, mj *momentJob, requestID uint32) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("moment calculation panic", "panic", p)
			c.send(ctx, icd.EventType_MOMENT_RESPONSE, requestID, &icd.MomentResponse{Message: "internal error"})
		}
	}()
	last := time.Now()
	// About once a second (issue 13), where the reference reports every
	// tenth and first after 5 s (MomentGenerator::setStepsCompleted); with
	// the request's id, as the reference (Session::OnMomentRequest).
	progress := func(done float64) {
		if time.Since(last) < progressEvery || done >= 1 {
			return
		}
		last = time.Now()
		c.send(ctx, icd.EventType_MOMENT_PROGRESS, requestID, &icd.MomentProgress{FileId: mj.src.id, Progress: float32(done)})
	}
	acks, frames, err := c.session.computeMoments(ctx, mj, progress)
	// A cancelled run answers success=false, cancel=true; the reference
	// says success=true there (MomentGenerator::CalculateMoments sets it
	// once casacore returns, stopped or not). The frontend reads only
	// cancel and the acks (AppStore.requestMoment).
	resp := &icd.MomentResponse{Success: err == nil, OpenFileAcks: acks}
	switch {
	case errors.Is(err, context.Canceled):
		resp.Cancel = true
		c.log.Info("moment calculation cancelled", "file_id", mj.src.id)
	case err != nil:
		resp.Message = clientText(err, c.mgr.folder.Redact)
		c.log.Info("moment calculation failed", "file_id", mj.src.id, "err", err)
	default:
		c.log.Info("moments computed", "file_id", mj.src.id, "images", len(acks))
	}
	// Not ctx: a cancelled run still answers, so the dialog stops waiting.
	c.send(context.Background(), icd.EventType_MOMENT_RESPONSE, requestID, resp)
	for _, f := range frames {
		// As after OPEN_FILE_ACK: the frontend ignores data of files it
		// does not know yet, and applies the image histogram at the
		// first tile group.
		f.work.add(job{kind: jobData, run: f.sendImageHistograms})
	}
}

// momentJob is a validated request.
type momentJob struct {
	src    *frame
	msg    *icd.MomentRequest
	kinds  []moments.Kind // what is computed: the request's, less a median coordinate the reference drops
	stokes int
	rect   moments.Rect // the part of the image collapsed
	region []bool       // rect's pixels inside the region; nil for the whole image
	// The named region as it was, for the recipe; nil for the whole image.
	regionInfo *icd.RegionInfo
	axis       momentAxis
	mask       moments.Mask
}

func (c *Client) prepareMoments(msg *icd.MomentRequest) (*momentJob, error) {
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return nil, err
	}
	_, stokes := f.current()
	var info *icd.RegionInfo
	// Region ids above 0 are drawn regions; 0 (cursor) and -1 mean the
	// whole image, as in the reference (Session::OnMomentRequest).
	if msg.RegionId > 0 {
		r, err := c.session.region(msg.RegionId)
		if err != nil {
			return nil, err
		}
		info = proto.CloneOf(r.info)
	}
	return newMomentJob(f, msg, stokes, info)
}

// newMomentJob validates a request (or a stored recipe) against its
// source image.
func newMomentJob(f *frame, msg *icd.MomentRequest, stokes int, region *icd.RegionInfo) (*momentJob, error) {
	if msg.Axis != icd.MomentAxis_SPECTRAL {
		// The reference hands the Stokes axis to casacore
		// (MomentGenerator::SetMomentAxis) over a sub-image of the current
		// Stokes only, so every "moment" is of one value; the frontend
		// only ever asks for SPECTRAL (MomentGeneratorComponent).
		return nil, fmt.Errorf("moments along the Stokes axis are %w", ErrUnsupported)
	}
	if f.layout.Axes.Spectral == 0 || f.layout.Depth < 2 {
		// casacore ImageMoments::createMoments: "Illegal moment axis; it has only 1 pixel"
		return nil, errors.New("the image has no spectral axis to collapse")
	}
	sr := msg.SpectralRange
	if sr == nil || sr.Min < 0 || sr.Max >= int32(f.layout.Depth) || sr.Min > sr.Max {
		return nil, fmt.Errorf("channel range %v outside 0..%d", sr, f.layout.Depth-1)
	}
	job := &momentJob{src: f, msg: msg, stokes: stokes, regionInfo: region, axis: momentAxisOf(f, msg.RestFreq),
		mask: momentMask(msg), rect: moments.Rect{W: f.layout.Width, H: f.layout.Height}}
	kinds, err := momentKinds(msg.Moments, job.mask)
	if err != nil {
		return nil, err
	}
	job.kinds = kinds
	if region != nil {
		d, err := descOf(region)
		if err != nil {
			return nil, fmt.Errorf("region: %w", err)
		}
		m, err := d.Mask(f.layout.Width, f.layout.Height)
		if err != nil {
			return nil, fmt.Errorf("region: %w", err)
		}
		// The reference collapses a SubImage of the region, so the result
		// is the size of the region's bounding box (Frame::CalculateMoments,
		// MomentGenerator::ResetImageMoments).
		b := m.Bounds()
		job.rect, job.region = moments.Rect{X0: b.Min.X, Y0: b.Min.Y, W: b.Dx(), H: b.Dy()}, m.Bools()
	}
	return job, nil
}

// momentMask is the request's pixel range, its ends in either order
// (MomentGenerator::SetPixelRange swaps them).
func momentMask(msg *icd.MomentRequest) moments.Mask {
	pr := msg.PixelRange
	if msg.Mask == icd.MomentMask_None || pr == nil {
		return moments.Mask{}
	}
	return moments.Mask{Mode: int(msg.Mask), Lo: min(pr.Min, pr.Max), Hi: max(pr.Min, pr.Max)}
}

// momentKinds are the moments computed for a request: the reference
// silently drops the median coordinate without a mask or with an
// include range across zero (MomentGenerator::SetMomentTypes), and
// fails a request left with none ("No moments requested",
// casacore MomentsBase::setMoments).
func momentKinds(req []icd.Moment, mask moments.Mask) ([]moments.Kind, error) {
	drop := mask.Mode == 0 || mask.Mode == 1 && mask.Lo*mask.Hi < 0
	var kinds []moments.Kind
	for i, m := range req {
		k := moments.Kind(m)
		if !k.Valid() {
			return nil, fmt.Errorf("unknown moment %d", m)
		}
		if k == moments.MedianCoord && drop && !slices.Contains(req[:i], m) {
			continue // the reference drops one
		}
		kinds = append(kinds, k)
	}
	if len(kinds) == 0 {
		return nil, errors.New("No moments requested")
	}
	return kinds, nil
}

// momentAxis is the spectral axis as casacore's moments use it
// (ImageMoments::createMoments, MomentCalcBase::setUpCoords): radio
// velocity in km/s when the request has a rest frequency, else the
// axis's world value (Hz for frequency axes).
type momentAxis struct {
	unit   string
	coords []float64 // by channel
	width  float64   // the integrated moment's scale
}

// momentAxisOf reads the spectral axis. Only the request's rest
// frequency counts: the reference sets it on the image before the
// moments (MomentGenerator::ResetImageMoments) and converts to velocity
// only when it is positive (convertToVelocity_p).
func momentAxisOf(f *frame, rest float64) momentAxis {
	h := f.img.HDU.Header
	i := f.layout.Axes.Spectral - 1
	coords := make([]float64, f.layout.Depth)
	s, ok := readSpectral(h, i, max(rest, 0))
	if ok && rest > 0 {
		// casacore converts with the radio definition whatever the axis's
		// own (MomentsBase velocityType_p); the integrated moment's scale
		// is the velocity width of the reference pixel.
		radio := func(p float64) float64 { return lightSpeed * (1 - s.freq(p)/rest) / 1e3 }
		for p := range coords {
			coords[p] = radio(float64(p))
		}
		ref := s.crpix - 1
		return momentAxis{unit: "km/s", coords: coords, width: math.Abs(radio(ref+0.5) - radio(ref-0.5))}
	}
	if ok && s.kind == "FREQ" { // casacore's spectral coordinate is in Hz
		for p := range coords {
			coords[p] = s.freq(float64(p))
		}
		return momentAxis{unit: "Hz", coords: coords, width: math.Abs(s.cdelt)}
	}
	k := fmt.Sprint(i + 1)
	unit, _ := h.String("CUNIT" + k)
	crval, cdelt, crpix := floatOr(h, "CRVAL"+k, 0), floatOr(h, "CDELT"+k, 1), floatOr(h, "CRPIX"+k, 0)
	for p := range coords {
		coords[p] = crval + cdelt*(float64(p)+1-crpix)
	}
	// casacore scales by |increment²| here (MomentCalcBase::setUpCoords),
	// which disagrees with the unit it writes (BUNIT.unit); we scale by
	// |increment|, deliberately.
	return momentAxis{unit: unit, coords: coords, width: math.Abs(cdelt)}
}

// momentPlanes reads one Stokes of the source for moments.Compute.
type momentPlanes struct {
	px     pixels
	stokes int
}

func (m momentPlanes) Shape() (int, int, int) {
	return m.px.layout.Width, m.px.layout.Height, m.px.layout.Depth
}

func (m momentPlanes) ReadRect(dst []float32, channel, x0, y0, w, rows int) error {
	return m.px.ReadRect(dst, channel, m.stokes, x0, y0, w, rows)
}

// computeMoments runs the calculation and opens one frame per moment.
// Earlier results stay open: without keep the frontend closes them
// itself before asking (AppStore.requestMoment), and the reference
// leaves them (Frame::CalculateMoments).
func (s *Session) computeMoments(ctx context.Context, job *momentJob, progress moments.Progress) ([]*icd.OpenFileAck, []*frame, error) {
	planes, plane, err := s.computePlanes(ctx, job, progress)
	if err != nil {
		return nil, nil, err
	}
	index := 0
	if job.msg.Keep { // Frame::CalculateMoments: name_index
		index = int(job.src.momentKeeps.Add(1))
	}
	return s.openMomentImages(ctx, job, planes, plane, index)
}

// computePlanes computes the moments; the budget stays charged with
// plane bytes for each plane returned, the caller's to release.
func (s *Session) computePlanes(ctx context.Context, job *momentJob, progress moments.Progress) (planes [][]float32, plane int64, err error) {
	msg, r := job.msg, job.rect
	plane = 4 * int64(r.W) * int64(r.H)
	n := int64(msg.SpectralRange.Max-msg.SpectralRange.Min) + 1
	band := min(int64(momentBandBytes), plane*n)
	out := plane * int64(len(job.kinds))
	if err := s.mem.Acquire(band+out, "moment images"); err != nil {
		return nil, 0, err
	}
	defer s.mem.Release(band)
	req := moments.Request{Kinds: job.kinds, From: int(msg.SpectralRange.Min), To: int(msg.SpectralRange.Max),
		Coords: job.axis.coords, Scale: job.axis.width, Mask: job.mask, Rect: r, Region: job.region, BandBytes: band}
	planes, err = moments.Compute(ctx, momentPlanes{px: job.src.px, stokes: job.stokes}, req, progress)
	if err != nil {
		s.mem.Release(out)
		return nil, 0, err
	}
	return planes, plane, nil
}

// nextGeneratedIDs are n free ids following the image opened last, as
// the reference numbers every generated image, moments, PV and fit
// images alike (Session::GetNextFileId: last file id + 1); the frontend
// counts its own ids on past them (AppStore.requestMoment, requestPV,
// requestFitting: fileCounter++ per image). An id still in use is
// skipped rather than replaced.
func (s *Session) nextGeneratedIDs(n int) []int32 {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	var ids []int32
	for id := s.lastID + 1; len(ids) < n; id++ {
		if s.frames[id] == nil && s.pending[id] == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// momentSeq makes the cache keys of every generated image unique in the
// server.
var momentSeq atomic.Int64
