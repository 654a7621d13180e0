package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/moments"
	"cartago/imaging/region"
)

// Moment images (MOMENT_REQUEST): the cube is collapsed along its
// spectral axis on a goroutine owned by the session (one run at a time),
// so STOP_MOMENT_CALC is read while it works; every moment becomes an
// in-memory image opened as a new frame (moment_image.go).

// momentIDBase is the reference's file id scheme for results:
// (source id + 1) × 1000 + index (MomentController / Session::OnMomentRequest).
const momentIDBase = 1000

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
	progress := func(done float64) {
		if time.Since(last) < progressEvery || done >= 1 {
			return
		}
		last = time.Now()
		c.send(ctx, icd.EventType_MOMENT_PROGRESS, 0, &icd.MomentProgress{FileId: mj.src.id, Progress: float32(done)})
	}
	acks, frames, err := c.session.computeMoments(ctx, mj, progress)
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
	stokes int
	region []bool // nil for the whole image
	// The named region as it was, for the recipe; nil for the whole image.
	regionInfo *icd.RegionInfo
	axis       momentAxis
}

func (c *Client) prepareMoments(msg *icd.MomentRequest) (*momentJob, error) {
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return nil, err
	}
	if err := checkMomentRequest(f, msg); err != nil {
		return nil, err
	}
	_, stokes := f.current()
	job := &momentJob{src: f, msg: msg, stokes: stokes, axis: momentAxisOf(f, msg.RestFreq)}
	// Region ids above 0 are drawn regions; 0 (cursor) and -1 mean the
	// whole image, as in the reference (Frame::CalculateMoments).
	if msg.RegionId > 0 {
		r, err := c.session.region(msg.RegionId)
		if err != nil {
			return nil, err
		}
		m, err := f.regionMask(r)
		if err != nil {
			return nil, err
		}
		job.region, job.regionInfo = maskPixels(m), proto.CloneOf(r.info)
	}
	return job, nil
}

// checkMomentRequest validates a request (or a stored recipe) against
// its source image.
func checkMomentRequest(f *frame, msg *icd.MomentRequest) error {
	if msg.Axis != icd.MomentAxis_SPECTRAL {
		return fmt.Errorf("moments along the Stokes axis are %w", ErrUnsupported)
	}
	if len(msg.Moments) == 0 {
		return errors.New("no moment requested")
	}
	for _, m := range msg.Moments {
		if !moments.Kind(m).Valid() {
			return fmt.Errorf("unknown moment %d", m)
		}
	}
	if f.layout.Axes.Spectral == 0 || f.layout.Depth < 2 {
		return errors.New("the image has no spectral axis to collapse")
	}
	sr := msg.SpectralRange
	if sr == nil || sr.Min < 0 || sr.Max >= int32(f.layout.Depth) || sr.Min > sr.Max {
		return fmt.Errorf("channel range %v outside 0..%d", sr, f.layout.Depth-1)
	}
	if pr := msg.PixelRange; msg.Mask != icd.MomentMask_None && (pr == nil || pr.Min > pr.Max) {
		return fmt.Errorf("mask pixel range %v is empty", pr)
	}
	return nil
}

// maskPixels is a region mask as flags over the whole image.
func maskPixels(m *region.Mask) []bool {
	w, h := m.ImageSize()
	out := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for _, sp := range m.Row(y) {
			for x := int(sp.X0); x < int(sp.X1); x++ {
				out[y*w+x] = true
			}
		}
	}
	return out
}

// momentAxis is the spectral axis as casacore's moments use it: in
// km/s (radio velocity) for a frequency axis with a rest frequency
// and for velocity axes, else in the axis's own unit.
type momentAxis struct {
	unit   string
	coords []float64 // by channel
}

func momentAxisOf(f *frame, rest float64) momentAxis {
	h := f.img.HDU.Header
	i := f.layout.Axes.Spectral - 1
	if rest <= 0 {
		rest = restFrequency(h)
	}
	coords := make([]float64, f.layout.Depth)
	if s, ok := readSpectral(h, i, rest); ok && rest > 0 {
		for p := range coords {
			coords[p] = s.velocity(s.freq(float64(p)))
		}
		return momentAxis{unit: "km/s", coords: coords}
	}
	k := fmt.Sprint(i + 1)
	unit, _ := h.String("CUNIT" + k)
	crval, cdelt, crpix := floatOr(h, "CRVAL"+k, 0), floatOr(h, "CDELT"+k, 1), floatOr(h, "CRPIX"+k, 0)
	for p := range coords {
		coords[p] = crval + cdelt*(float64(p)+1-crpix)
	}
	return momentAxis{unit: unit, coords: coords}
}

// momentPlanes reads one Stokes of the source for moments.Compute.
type momentPlanes struct {
	px     pixels
	stokes int
}

func (m momentPlanes) Shape() (int, int, int) {
	return m.px.layout.Width, m.px.layout.Height, m.px.layout.Depth
}

func (m momentPlanes) ReadRows(dst []float32, i, y0, rows int) error {
	return m.px.ReadRows(dst, i, m.stokes, y0, rows)
}

// computeMoments runs the calculation and opens one frame per moment.
func (s *Session) computeMoments(ctx context.Context, job *momentJob, progress moments.Progress) ([]*icd.OpenFileAck, []*frame, error) {
	planes, plane, err := s.computePlanes(ctx, job, progress)
	if err != nil {
		return nil, nil, err
	}
	f := job.src
	if !job.msg.Keep {
		s.closeFramesWhere(func(id int32) bool { return id >= (f.id+1)*momentIDBase && id < (f.id+2)*momentIDBase })
	}
	return s.openMomentImages(ctx, job, planes, plane)
}

// computePlanes computes the moments; the budget stays charged with
// plane bytes for each plane returned, the caller's to release.
func (s *Session) computePlanes(ctx context.Context, job *momentJob, progress moments.Progress) (planes [][]float32, plane int64, err error) {
	msg, l := job.msg, job.src.layout
	plane = 4 * int64(l.Width) * int64(l.Height)
	n := int64(msg.SpectralRange.Max-msg.SpectralRange.Min) + 1
	band := min(int64(momentBandBytes), plane*n)
	out := plane * int64(len(msg.Moments))
	if err := s.mem.Acquire(band+out, "moment images"); err != nil {
		return nil, 0, err
	}
	defer s.mem.Release(band)
	req := moments.Request{From: int(msg.SpectralRange.Min), To: int(msg.SpectralRange.Max), Coords: job.axis.coords,
		Region: job.region, BandBytes: band}
	if msg.Mask != icd.MomentMask_None {
		req.Mask = moments.Mask{Mode: int(msg.Mask), Lo: msg.PixelRange.Min, Hi: msg.PixelRange.Max}
	}
	for _, m := range msg.Moments {
		req.Kinds = append(req.Kinds, moments.Kind(m))
	}
	planes, err = moments.Compute(ctx, momentPlanes{px: job.src.px, stokes: job.stokes}, req, progress)
	if err != nil {
		s.mem.Release(out)
		return nil, 0, err
	}
	return planes, plane, nil
}

// nextMomentIDs are n free ids of the source's range: the reference's
// (id + 1) × 1000 + i, after any results kept earlier.
func (s *Session) nextMomentIDs(src int32, n int) []int32 {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	var ids []int32
	for id := (src + 1) * momentIDBase; len(ids) < n; id++ {
		if s.frames[id] == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// momentSeq makes the cache keys of every generated image unique in the
// server.
var momentSeq atomic.Int64
