package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/budget"
	"cartago/imaging/region"
	"cartago/imaging/stats"
)

// PV previews (PV_REQUEST with preview settings): the PV generator
// dialog shows a small PV image that follows its line while the user
// drags it. Each preview has a goroutine that computes the newest
// position of the line (SET_REGION of the cut, preview_region or not)
// and sends it as PV_PREVIEW_DATA; the first answers the PV_REQUEST.
// A newer position cancels the one being computed: newest wins.
//
// We differ from the reference (RegionHandler::CalculatePvPreviewImage)
// in how the preview is made: it bins a copy of the whole cube once and
// samples that; we sample the source as for a PV image and bin the
// result, so a preview holds no cube-sized copy (with the default
// rebinning of 1 the reference's copy is the cube itself).

// maxPvPreviews bounds the previews of a session: the frontend has one
// per PV generator dialog.
const maxPvPreviews = 8

// pvCutStarted runs as a preview starts computing a cut; tests replace
// it to hold one until it is superseded.
var pvCutStarted = func(context.Context) {}

// pvPreviews are a session's live previews by preview id.
type pvPreviews struct {
	mu sync.Mutex
	m  map[int32]*pvPreview // guarded by mu; at most maxPvPreviews
}

// pvPreview is one live preview.
type pvPreview struct {
	id       int32
	regionID int32 // the cut, a line region
	fileID   int32 // the image the cut's SET_REGION names
	job      *pvJob
	inside   []bool // the preview region's pixels; nil for the whole image
	settings *icd.PvPreviewSettings
	latest   chan pvCut // holds the newest cut not started yet (capacity 1)
	stop     context.CancelFunc
	done     chan struct{}
	c        *Client

	mu      sync.Mutex
	running context.CancelFunc // guarded by mu; cancels the cut being computed, nil when idle
	first   bool               // guarded by mu; the running cut answers the PV_REQUEST
}

// pvCut is one position of the line to preview.
type pvCut struct {
	line      region.Desc
	quick     bool   // while dragging: no histogram, as the reference
	requestID uint32 // the PV_REQUEST to answer; 0 for PV_PREVIEW_DATA
}

func (c *Client) startPvPreview(r request, msg *icd.PvRequest) error {
	set := msg.PreviewSettings
	fail := func(err error) error {
		c.send(r.ctx, icd.EventType_PV_RESPONSE, r.hdr.RequestID, &icd.PvResponse{Message: clientText(err, c.mgr.folder.Redact),
			PreviewData: &icd.PvPreviewData{PreviewId: set.PreviewId}})
		return nil
	}
	job, err := c.preparePV(msg)
	if err != nil {
		return fail(err)
	}
	var inside []bool
	// Region ids above 0 are drawn regions; the image (-1) and the
	// cursor (0) mean the whole image.
	if set.RegionId > 0 {
		pr, err := c.session.region(set.RegionId)
		if err != nil {
			return fail(err)
		}
		m, err := job.src.regionMask(pr)
		if err != nil {
			return fail(fmt.Errorf("PV preview region: %w", err))
		}
		inside = maskPixels(m)
	}
	p := &pvPreview{id: set.PreviewId, regionID: msg.RegionId, job: job, inside: inside, settings: set,
		latest: make(chan pvCut, 1), done: make(chan struct{}), c: c}
	p.fileID = job.src.id
	if rs, err := c.session.region(msg.RegionId); err == nil {
		p.fileID = rs.fileID
	}
	if err := c.session.previews.add(p); err != nil {
		return fail(err)
	}
	p.latest <- pvCut{line: job.line, requestID: r.hdr.RequestID}
	return nil
}

// add starts p in place of any preview of its id.
func (ps *pvPreviews) add(p *pvPreview) error {
	ps.mu.Lock()
	old := ps.m[p.id]
	if old == nil && len(ps.m) >= maxPvPreviews {
		ps.mu.Unlock()
		return fmt.Errorf("at most %d PV previews at a time", maxPvPreviews)
	}
	if ps.m == nil {
		ps.m = make(map[int32]*pvPreview)
	}
	ctx, stop := context.WithCancel(budget.WithPriority(context.Background(), budget.Interactive))
	p.stop = stop
	ps.m[p.id] = p
	ps.mu.Unlock()
	if old != nil {
		old.close()
	}
	go p.loop(ctx)
	return nil
}

// remove stops and drops preview id (-1: all of them).
func (ps *pvPreviews) remove(id int32) {
	ps.mu.Lock()
	var gone []*pvPreview
	for k, p := range ps.m {
		if id == -1 || k == id {
			gone = append(gone, p)
			delete(ps.m, k)
		}
	}
	ps.mu.Unlock()
	for _, p := range gone {
		p.close()
	}
}

// dropFile stops and drops the previews of source image id, which is
// closing: they read its pixels.
func (ps *pvPreviews) dropFile(id int32) {
	ps.mu.Lock()
	var gone []*pvPreview
	for k, p := range ps.m {
		if p.job.src.id == id {
			gone = append(gone, p)
			delete(ps.m, k)
		}
	}
	ps.mu.Unlock()
	for _, p := range gone {
		p.close()
	}
}

// cancel stops the cut preview id is computing; the preview stays.
func (ps *pvPreviews) cancel(id int32) {
	ps.mu.Lock()
	p := ps.m[id]
	ps.mu.Unlock()
	if p != nil {
		p.mu.Lock()
		if p.running != nil {
			p.running()
		}
		p.mu.Unlock()
	}
}

// moved hands a new position of a region to the previews cutting along
// it. A newer position replaces one not started and cancels one being
// computed, except the first, which the PV_REQUEST waits for.
func (ps *pvPreviews) moved(fileID, regionID int32, line region.Desc, quick bool) {
	ps.mu.Lock()
	var hit []*pvPreview
	for _, p := range ps.m {
		if p.regionID == regionID && p.fileID == fileID {
			hit = append(hit, p)
		}
	}
	ps.mu.Unlock()
	for _, p := range hit {
		p.post(pvCut{line: line, quick: quick})
	}
}

func (p *pvPreview) post(cut pvCut) {
	// Cancel the cut being computed before handing over the new one:
	// afterwards the loop may already be computing the new one, which
	// must not be the one cancelled.
	p.mu.Lock()
	if p.running != nil && !p.first {
		p.running()
	}
	p.mu.Unlock()
	select {
	case old := <-p.latest: // an older position nobody will see
		if old.requestID != 0 {
			cut.requestID, cut.quick = old.requestID, false // its answer still goes out
		}
	default:
	}
	// Room: only the session's handler goroutine sends, and it drained.
	p.latest <- cut
}

func (p *pvPreview) close() {
	p.stop()
	<-p.done
}

// loop computes cuts until the preview is closed.
func (p *pvPreview) loop(ctx context.Context) {
	defer close(p.done)
	enc := &zfpEncoder{} // scratch of this goroutine only
	for {
		select {
		case <-ctx.Done():
			return
		case cut := <-p.latest:
			p.one(ctx, enc, cut)
		}
	}
}

// one computes and sends one cut.
func (p *pvPreview) one(ctx context.Context, enc *zfpEncoder, cut pvCut) {
	c := p.c
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("PV preview panic", "panic", v)
		}
	}()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.mu.Lock()
	p.running, p.first = cancel, cut.requestID != 0
	p.mu.Unlock()
	pvCutStarted(cctx)
	data, err := p.compute(cctx, enc, cut)
	p.mu.Lock()
	p.running, p.first = nil, false
	p.mu.Unlock()
	if err != nil {
		data = &icd.PvPreviewData{PreviewId: p.id}
	}
	if cut.requestID == 0 {
		if errors.Is(err, context.Canceled) {
			return // a newer position follows, or the preview is gone
		}
		if err != nil {
			c.log.Info("PV preview failed", "preview_id", p.id, "err", err)
		}
		// Sent even when it failed, as the reference (Session::SendPvPreview).
		c.send(ctx, icd.EventType_PV_PREVIEW_DATA, 0, data)
		return
	}
	resp := &icd.PvResponse{Success: err == nil, PreviewData: data}
	switch {
	case errors.Is(err, context.Canceled):
		resp.Cancel, resp.Message = true, "PV preview cancelled."
	case err != nil:
		resp.Message = clientText(err, c.mgr.folder.Redact)
	}
	c.send(context.Background(), icd.EventType_PV_RESPONSE, cut.requestID, resp)
}

// compute makes the preview data of one cut.
func (p *pvPreview) compute(ctx context.Context, enc *zfpEncoder, cut pvCut) (*icd.PvPreviewData, error) {
	job := *p.job
	job.line = cut.line
	s := p.c.session
	img, size, err := s.computePV(ctx, &job, p.inside, nil)
	if err != nil {
		return nil, err
	}
	defer s.mem.Release(size) // the binned copy below is small next to it
	bxy, bz := max(int(p.settings.RebinXy), 1), max(int(p.settings.RebinZ), 1)
	bx, by := bxy, bz
	if job.msg.Reverse {
		bx, by = bz, bxy
	}
	data, w, h := binImage(img.Data, img.Width, img.Height, bx, by)
	positions, channels := w, h
	if job.msg.Reverse {
		positions, channels = h, w
	}
	src := job.src
	hdu, err := pvHDU(src, pvShape{positions: positions, channels: channels, axis: pvAxisOf(src.sky, job.line, img.Positions),
		from: job.from, binZ: bz, binXY: bxy, reverse: job.msg.Reverse, stokes: job.stokes})
	if err != nil {
		return nil, err
	}
	out := &icd.PvPreviewData{PreviewId: p.id, Width: int32(w), Height: int32(h),
		ImageInfo: pvExtendedInfo(pvName(src.name, int(p.id), true), hdu)}
	hist, basic, err := stats.PlaneHistogram(ctx, imaging.Plane{Width: w, Height: h, Data: data}, stats.Config{})
	if err != nil {
		return nil, err
	}
	if basic.Count > 0 {
		out.HistogramBounds = &icd.FloatBounds{Min: basic.Min, Max: basic.Max}
		if !cut.quick {
			out.Histogram = &icd.Histogram{NumBins: int32(hist.NumBins), BinWidth: hist.BinWidth,
				FirstBinCenter: hist.FirstBinCenter, Bins: hist.Bins, Mean: hist.Mean, StdDev: hist.StdDev}
		}
	}
	p.encode(out, enc, data, cut.quick)
	return out, nil
}

// encode fills the image data as the settings ask: ZFP at the image
// (or, while dragging, animation) quality, or raw float32.
func (p *pvPreview) encode(out *icd.PvPreviewData, enc *zfpEncoder, data []float32, quick bool) {
	set := p.settings
	if set.CompressionType == icd.CompressionType_NONE {
		raw := make([]byte, 4*len(data))
		for i, v := range data {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		out.ImageData, out.CompressionType = raw, icd.CompressionType_NONE
		return
	}
	q := set.ImageCompressionQuality
	if quick && set.AnimationCompressionQuality > 0 {
		q = set.AnimationCompressionQuality
	}
	td := &icd.TileData{Width: out.Width, Height: out.Height}
	ct, prec := enc.encode(td, data, q)
	// Copies: the encoder's scratch is reused for the next cut.
	out.ImageData, out.NanEncodings = bytes.Clone(td.ImageData), bytes.Clone(td.NanEncodings)
	out.CompressionType, out.CompressionQuality = ct, prec
}

// binImage averages bx×by blocks of finite values of a w×h image
// (partial blocks at the edges included); NaN where a block has none.
func binImage(data []float32, w, h, bx, by int) ([]float32, int, int) {
	if bx == 1 && by == 1 {
		return data, w, h
	}
	ow, oh := (w+bx-1)/bx, (h+by-1)/by
	out := make([]float32, ow*oh)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			var sum float64
			n := 0
			for y := oy * by; y < min((oy+1)*by, h); y++ {
				for _, v := range data[y*w+ox*bx : y*w+min((ox+1)*bx, w)] {
					if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
						sum += float64(v)
						n++
					}
				}
			}
			out[oy*ow+ox] = float32(math.NaN())
			if n > 0 {
				out[oy*ow+ox] = float32(sum / float64(n))
			}
		}
	}
	return out, ow, oh
}

func (c *Client) handleStopPvPreview(r request) error {
	var msg icd.StopPvPreview
	if err := decode(r, &msg); err != nil {
		return err
	}
	c.session.previews.cancel(msg.PreviewId)
	return nil
}

func (c *Client) handleClosePvPreview(r request) error {
	var msg icd.ClosePvPreview
	if err := decode(r, &msg); err != nil {
		return err
	}
	c.session.previews.remove(msg.PreviewId)
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
