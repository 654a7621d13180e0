package session

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/pv"
	"cartago/imaging/region"
	"cartago/store"
)

// PV images (PV_REQUEST without preview settings): the cube is sampled
// along a line region on a goroutine owned by the session (one run at a
// time, as moments), so STOP_PV_CALC is read while it works; the result
// is an in-memory image opened as a new frame. Previews are pv_preview.go.

// pvProgressEvery is how often PV_PROGRESS goes out at most, as
// MOMENT_PROGRESS; tests lower it.
var pvProgressEvery = progressEvery

// pvStarted runs as a calculation starts; tests replace it to hold a
// run until it is cancelled.
var pvStarted = func(context.Context) {}

// pvState is a session's PV work.
type pvState struct {
	runs momentRuns // the running PV calculation, at most one

	mu    sync.Mutex
	names map[int32]int // guarded by mu; last name index by source file id (image_pv<n>), one entry per source
}

// pvJob is a validated PV request.
type pvJob struct {
	src    *frame
	msg    *icd.PvRequest
	line   region.Desc
	info   *icd.RegionInfo // the line as it was, for the recipe
	stokes int
	from   int
	to     int
}

func (c *Client) handlePvRequest(r request) error {
	var msg icd.PvRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	if msg.PreviewSettings != nil {
		return c.startPvPreview(r, &msg)
	}
	job, err := c.preparePV(&msg)
	if err != nil {
		c.send(r.ctx, icd.EventType_PV_RESPONSE, r.hdr.RequestID, &icd.PvResponse{Message: clientText(err, c.mgr.folder.Redact)})
		return nil
	}
	s := c.session
	s.pv.runs.stop(-1)
	// Bulk: a long calculation yields cores to interactive work.
	ctx, cancel := context.WithCancel(budget.WithPriority(context.Background(), budget.Bulk))
	run := &momentRun{fileID: msg.FileId, cancel: cancel, done: make(chan struct{})}
	s.pv.runs.mu.Lock()
	s.pv.runs.run = run
	s.pv.runs.mu.Unlock()
	go func() {
		defer close(run.done)
		defer cancel()
		pvStarted(ctx)
		c.runPV(ctx, job, r.hdr.RequestID)
		s.pv.runs.mu.Lock()
		if s.pv.runs.run == run {
			s.pv.runs.run = nil
		}
		s.pv.runs.mu.Unlock()
	}()
	return nil
}

// handleStopPvCalc cancels the file's calculation; silent, as the
// reference (Session::OnStopPvCalc). The run answers its request with
// cancel=true.
func (c *Client) handleStopPvCalc(r request) error {
	var msg icd.StopPvCalc
	if err := decode(r, &msg); err != nil {
		return err
	}
	c.session.pv.runs.stop(msg.FileId)
	return nil
}

// runPV computes, opens the result and answers the request.
func (c *Client) runPV(ctx context.Context, pj *pvJob, requestID uint32) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("PV calculation panic", "panic", p)
			c.send(context.Background(), icd.EventType_PV_RESPONSE, requestID, &icd.PvResponse{Message: "internal error"})
		}
	}()
	last := time.Now()
	progress := func(done float64) {
		if time.Since(last) < pvProgressEvery || done >= 1 {
			return
		}
		last = time.Now()
		c.send(ctx, icd.EventType_PV_PROGRESS, 0, &icd.PvProgress{FileId: pj.src.id, Progress: float32(done)})
	}
	start := time.Now()
	f, err := c.session.generatePV(ctx, pj, -1, "", progress)
	if err == nil {
		c.session.putFrame(f)
	}
	resp := &icd.PvResponse{Success: err == nil}
	switch {
	case errors.Is(err, context.Canceled):
		// As the reference's words (RegionHandler::CalculatePvImage).
		resp.Cancel, resp.Message = true, "PV image generator cancelled."
		c.log.Info("PV calculation cancelled", "file_id", pj.src.id)
	case err != nil:
		resp.Message = clientText(err, c.mgr.folder.Redact)
		c.log.Info("PV calculation failed", "file_id", pj.src.id, "err", err)
	default:
		resp.OpenFileAck = pvAck(f)
		c.log.Info("PV image computed", "file_id", f.id, "source", pj.src.id, "width", f.layout.Width,
			"height", f.layout.Height, "took", time.Since(start).Round(time.Millisecond))
	}
	// Not ctx: a cancelled run still answers, so the dialog stops waiting.
	c.send(context.Background(), icd.EventType_PV_RESPONSE, requestID, resp)
	if f != nil {
		// As after OPEN_FILE_ACK: the frontend applies the image
		// histogram at the first tile group.
		f.work.add(job{kind: jobData, run: f.sendImageHistograms})
	}
}

func (c *Client) preparePV(msg *icd.PvRequest) (*pvJob, error) {
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return nil, err
	}
	// Region ids of the cursor (0) and below are no line, as the
	// reference (Session::OnPvRequest: "Invalid region id.").
	if msg.RegionId <= 0 {
		return nil, errors.New("Invalid region id.")
	}
	r, err := c.session.region(msg.RegionId)
	if err != nil {
		return nil, err
	}
	if r.fileID != f.id {
		r = c.session.viewOn(r, f.id)
		if r.convErr != nil {
			return nil, r.convErr
		}
	}
	_, stokes := f.current()
	return newPvJob(f, msg, r.desc, r.info, stokes)
}

// newPvJob validates a request (or a stored recipe) against its source.
func newPvJob(f *frame, msg *icd.PvRequest, line region.Desc, info *icd.RegionInfo, stokes int) (*pvJob, error) {
	if line.Kind != region.KindLine && line.Kind != region.KindPolyline {
		return nil, errors.New("Region type not supported for PV cut.")
	}
	if f.layout.Axes.Spectral == 0 {
		return nil, errors.New("No spectral coordinate for generating PV image.")
	}
	if msg.Width < region.MinLineWidth || msg.Width > region.MaxLineWidth {
		return nil, fmt.Errorf("Invalid averaging width: %d.", msg.Width)
	}
	if err := f.px.check(stokes); err != nil {
		return nil, err
	}
	job := &pvJob{src: f, msg: msg, line: line, info: proto.CloneOf(info), stokes: stokes, to: f.layout.Depth - 1}
	if sr := msg.SpectralRange; sr != nil {
		job.from, job.to = int(sr.Min), int(sr.Max)
	}
	if job.from < 0 || job.to >= f.layout.Depth || job.from > job.to {
		return nil, fmt.Errorf("channel range %d to %d outside 0 to %d", job.from, job.to, f.layout.Depth-1)
	}
	return job, nil
}

// pvPlanes reads one Stokes of the source for pv.Compute.
type pvPlanes struct {
	px     pixels
	stokes int
}

func (p pvPlanes) Shape() (int, int, int) {
	return p.px.layout.Width, p.px.layout.Height, p.px.layout.Depth
}

func (p pvPlanes) ReadRect(dst []float32, ch, x0, y0, w, rows int) error {
	return p.px.ReadRect(dst, ch, p.stokes, x0, y0, w, rows)
}

// computePV samples the source; the budget stays charged with the
// image's bytes (and, for simplicity, with the span buffers pv.Compute
// used, a row's worth per core for most lines), the caller's to release.
func (s *Session) computePV(ctx context.Context, job *pvJob, inside []bool, progress pv.Progress) (pv.Image, int64, error) {
	var size int64 // charged once the line's samples are known
	reserve := func(n int64) error {
		if err := s.mem.Acquire(n, "PV image"); err != nil {
			return err
		}
		size = n
		return nil
	}
	img, err := pv.Compute(ctx, pvPlanes{px: job.src.px, stokes: job.stokes}, pv.Request{Line: job.line, Width: int(job.msg.Width),
		From: job.from, To: job.to, Reverse: job.msg.Reverse, Inside: inside, Reserve: reserve}, progress)
	if err != nil {
		s.mem.Release(size)
		return pv.Image{}, 0, err
	}
	return img, size, nil
}

// generatePV computes a PV image and makes its frame, not yet put in
// the session: as file id
// id and named name when they are given (a regeneration), else as the
// reference names and numbers it.
func (s *Session) generatePV(ctx context.Context, job *pvJob, id int32, name string, progress pv.Progress) (*frame, error) {
	img, size, err := s.computePV(ctx, job, nil, progress)
	if err != nil {
		return nil, err
	}
	src := job.src
	h, err := pvHDU(src, pvShape{positions: img.Positions, channels: job.to - job.from + 1, axis: pvAxisOf(src.sky, job.line, img.Positions),
		from: job.from, binZ: 1, binXY: 1, reverse: job.msg.Reverse, stokes: job.stokes})
	if err != nil {
		s.mem.Release(size)
		return nil, err
	}
	if name == "" {
		name = pvName(src.name, s.pv.nameIndex(src.id, job.msg.Keep), false)
	}
	recipe := &store.PvRecipe{SourceFileId: src.id, Request: proto.CloneOf(job.msg), Stokes: int32(job.stokes), Region: job.info, Name: name}
	if id < 0 {
		id = s.nextGeneratedIDs(1)[0]
	}
	f, err := s.pvFrame(ctx, src, id, name, h, img, recipe)
	if err != nil {
		s.mem.Release(size)
		return nil, err
	}
	mem := s.mem // not s at close: kept simple and independent of the session
	f.onClose = func() { mem.Release(size) }
	return f, nil
}

// nameIndex is the reference's PV name index for a source: the next
// one when keeping earlier images, else 0 (RegionHandler::CalculatePvImage).
func (p *pvState) nameIndex(src int32, keep bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.names == nil {
		p.names = make(map[int32]int)
	}
	i, ok := p.names[src]
	if keep && ok {
		i++
	} else {
		i = 0
	}
	p.names[src] = i
	return i
}

// noteName records that source src has a PV image named name, so that
// a later request keeping it numbers the next one after it.
func (p *pvState) noteName(src int32, srcName, name string) {
	ext := filepath.Ext(srcName)
	digits, ok := strings.CutPrefix(strings.TrimSuffix(name, ext), strings.TrimSuffix(srcName, ext)+"_pv")
	i, err := strconv.Atoi(digits)
	if !ok || (digits != "" && err != nil) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.names == nil {
		p.names = make(map[int32]int)
	}
	if cur, seen := p.names[src]; !seen || i > cur {
		p.names[src] = i
	}
}
