package session

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/fit"
	"cartago/imaging/region"
)

// Image fitting (FITTING_REQUEST): Gaussians are fitted to the current
// plane of an image, inside a region, the field of view or the whole
// image, on a goroutine owned by the session (one fit at a time), so
// STOP_FITTING is read while it works. The model and residual images,
// when asked for, are in-memory images opened as frames (fit_image.go).

// fitStarted runs as a fit starts; tests replace it to hold a fit until
// it is cancelled.
var fitStarted = func(context.Context) {}

// fitJob is a validated request.
type fitJob struct {
	src             *frame
	msg             *icd.FittingRequest
	channel, stokes int
	// The pixels fitted: the whole plane, or the region's bounding box
	// with mask set.
	box  image.Rectangle
	mask *region.Mask
	// The region or field of view as it was, for the recipe; nil for the
	// whole image.
	regionInfo *icd.RegionInfo
}

func (c *Client) handleFittingRequest(r request) error {
	var msg icd.FittingRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	// A file not open is answered too (the reference only logs it),
	// so the widget stops waiting. The solver field is not used: our
	// solver is gonum's (see imaging/fit).
	job, err := c.prepareFit(&msg)
	if err != nil {
		c.send(r.ctx, icd.EventType_FITTING_RESPONSE, r.hdr.RequestID, &icd.FittingResponse{Message: clientText(err, c.mgr.folder.Redact)})
		return nil
	}
	s := c.session
	s.fits.stop(-1)
	// Bulk: a long fit yields cores to interactive work.
	ctx, cancel := context.WithCancel(budget.WithPriority(context.Background(), budget.Bulk))
	run := &momentRun{fileID: msg.FileId, cancel: cancel, done: make(chan struct{})}
	s.fits.mu.Lock()
	s.fits.run = run
	s.fits.mu.Unlock()
	go func() {
		defer close(run.done)
		defer cancel()
		fitStarted(ctx)
		c.runFit(ctx, job, r.hdr.RequestID)
		s.fits.mu.Lock()
		if s.fits.run == run {
			s.fits.run = nil
		}
		s.fits.mu.Unlock()
	}()
	return nil
}

// handleStopFitting cancels the file's fit; silent, as the reference
// (Session::OnStopFitting). The fit answers its request with "task
// cancelled".
func (c *Client) handleStopFitting(r request) error {
	var msg icd.StopFitting
	if err := decode(r, &msg); err != nil {
		return err
	}
	c.session.fits.stop(msg.FileId)
	return nil
}

// prepareFit validates a request and finds the pixels it names: region
// id -1 the whole image, 0 the field of view in fov_info, above 0 a
// drawn region (carta-backend Session::OnFittingRequest,
// RegionHandler::FitImage).
func (c *Client) prepareFit(msg *icd.FittingRequest) (*fitJob, error) {
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return nil, err
	}
	if len(msg.InitialValues) == 0 {
		return nil, errors.New("no Gaussian component to fit")
	}
	channel, stokes := f.current()
	job := &fitJob{src: f, msg: msg, channel: channel, stokes: stokes, box: image.Rect(0, 0, f.layout.Width, f.layout.Height)}
	switch id := msg.RegionId; {
	case id == -1:
	case id == 0:
		if msg.FovInfo == nil {
			return nil, errors.New("failed to set up field of view region")
		}
		job.regionInfo = proto.CloneOf(msg.FovInfo)
	case id > 0:
		r, err := c.session.region(id)
		if err != nil {
			return nil, errors.New("region id not found")
		}
		job.regionInfo = proto.CloneOf(r.info)
		if job.mask, err = f.regionMask(r); err != nil {
			return nil, fmt.Errorf("region is outside image or is not closed: %w", err)
		}
	default:
		return nil, errors.New("region id not found")
	}
	if err := job.setMask(); err != nil {
		return nil, err
	}
	if n := job.box.Dx() * job.box.Dy(); n > fit.MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d pixels, at most %d", fit.ErrTooLarge, job.box.Dx(), job.box.Dy(), fit.MaxPixels)
	}
	return job, nil
}

// setMask makes the mask of the job's region (when it has none yet) and
// its bounding box; a region without area is refused as the reference
// refuses it.
func (j *fitJob) setMask() error {
	if j.regionInfo == nil {
		return nil
	}
	outside := errors.New("region is outside image or is not closed")
	if j.mask == nil {
		d, err := descOf(j.regionInfo)
		if err != nil || d.Kind.IsAnnotation() || d.Kind.IsLine() || d.Kind == region.KindPoint {
			return outside
		}
		if j.mask, err = d.Mask(j.src.layout.Width, j.src.layout.Height); err != nil {
			return outside
		}
	}
	if j.mask.Count() == 0 {
		return outside
	}
	j.box = j.mask.Bounds()
	return nil
}

// runFit fits, opens the images asked for and answers the request.
func (c *Client) runFit(ctx context.Context, fj *fitJob, requestID uint32) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("image fitting panic", "panic", p)
			c.send(context.Background(), icd.EventType_FITTING_RESPONSE, requestID, &icd.FittingResponse{Message: "internal error"})
		}
	}()
	// The reference sends progress after every iteration; about once a
	// second is enough for the widget's bar.
	last := time.Now()
	progress := func(done float64) {
		if time.Since(last) < progressEvery || done >= 1 {
			return
		}
		last = time.Now()
		c.send(ctx, icd.EventType_FITTING_PROGRESS, 0, &icd.FittingProgress{FileId: fj.src.id, Progress: float32(done)})
	}
	start := time.Now()
	resp, frames, err := c.session.fitImage(ctx, fj, progress)
	switch {
	case errors.Is(err, context.Canceled):
		resp = &icd.FittingResponse{Message: "task cancelled"} // the reference's words
		c.log.Info("image fitting cancelled", "file_id", fj.src.id)
	case err != nil:
		resp = &icd.FittingResponse{Message: fitMessage(err, c.mgr.folder.Redact)}
		c.log.Info("image fitting failed", "file_id", fj.src.id, "err", err)
	default:
		c.log.Info("image fitted", "file_id", fj.src.id, "components", len(resp.ResultValues),
			"took", time.Since(start).Round(time.Millisecond), "images", len(frames))
	}
	// Not ctx: a cancelled fit still answers, so the widget stops waiting.
	c.send(context.Background(), icd.EventType_FITTING_RESPONSE, requestID, resp)
	for _, f := range frames {
		// As after OPEN_FILE_ACK (see runMoments).
		f.work.add(job{kind: jobData, run: f.sendImageHistograms})
	}
}

// fitData reads the job's pixels: the box of its plane, NaN outside the
// mask. The caller holds the budget for it.
func (j *fitJob) fitData() (fit.Image, error) {
	b := j.box
	img := fit.Image{Width: b.Dx(), Height: b.Dy(), X0: b.Min.X, Y0: b.Min.Y, Pixels: make([]float32, b.Dx()*b.Dy())}
	if err := j.src.px.ReadRect(img.Pixels, j.channel, j.stokes, b.Min.X, b.Min.Y, b.Dx(), b.Dy()); err != nil {
		return fit.Image{}, fmt.Errorf("read channel %d Stokes %d: %w", j.channel, j.stokes, err)
	}
	if j.mask == nil {
		return img, nil
	}
	nan := float32(math.NaN())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pixels[(y-b.Min.Y)*img.Width : (y-b.Min.Y+1)*img.Width]
		x := b.Min.X
		for _, sp := range j.mask.Row(y) {
			for ; x < int(sp.X0); x++ {
				row[x-b.Min.X] = nan
			}
			x = int(sp.X1)
		}
		for ; x < b.Max.X; x++ {
			row[x-b.Min.X] = nan
		}
	}
	return img, nil
}

// fitImage fits and opens the images asked for.
func (s *Session) fitImage(ctx context.Context, job *fitJob, progress fit.Progress) (*icd.FittingResponse, []*frame, error) {
	bytes := 4 * int64(job.box.Dx()) * int64(job.box.Dy())
	// The data, and room for the model and residual planes (which
	// also covers an estimate's scratch, 5 bytes a pixel, before them).
	if err := s.mem.Acquire(3*bytes, "image fitting"); err != nil {
		return nil, nil, err
	}
	kept := int64(0) // charges the new frames took over
	defer func() { s.mem.Release(3*bytes - kept) }()
	img, err := job.fitData()
	if err != nil {
		return nil, nil, err
	}
	req, generated, err := fitRequest(job.msg, img, job.src.bright.Unit)
	if err != nil {
		return nil, nil, err
	}
	res, err := fit.Fit(ctx, img, req, progress)
	if err != nil {
		return nil, nil, err
	}
	resp := fitResponse(job.src, res)
	resp.Log = generated + resp.Log
	if !job.msg.CreateModelImage && !job.msg.CreateResidualImage {
		return resp, nil, nil
	}
	model, residual := res.Images()
	ids := s.nextGeneratedIDs(2)
	var frames []*frame
	for i, want := range []bool{job.msg.CreateModelImage, job.msg.CreateResidualImage} {
		if !want {
			continue
		}
		data := model
		if i == 1 {
			data = residual
		}
		f, err := s.fitFrame(ctx, job, ids[i], i == 1, data, res.Values)
		if err != nil {
			for _, f := range frames { // the model, which nobody will know of
				s.closeFrame(f.id)
			}
			return nil, nil, err
		}
		mem := s.mem
		f.onClose = func() { mem.Release(bytes) }
		kept += bytes
		s.putFrame(f)
		frames = append(frames, f)
		if i == 0 {
			resp.ModelImage = momentAck(f)
		} else {
			resp.ResidualImage = momentAck(f)
		}
	}
	return resp, frames, nil
}
