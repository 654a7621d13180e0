package session

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/contour"
)

// contourKey is the worker key of contour work: newer settings or a
// newer channel replace a computation in progress.
const contourKey = "contours"

func (c *Client) handleSetContourParameters(r request) error {
	var msg icd.SetContourParameters
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(int32(msg.FileId))
	if err != nil {
		return silentIfNotOpen(err) // as the reference: nothing to draw on
	}
	if msg.ReferenceFileId != 0 && msg.ReferenceFileId != msg.FileId {
		return fmt.Errorf("contours of file %d from file %d: matched contours are %w", msg.FileId, msg.ReferenceFileId, ErrUnsupported)
	}
	f.setContours(&msg)
	return nil
}

// setContours stores the settings (no levels clears them) and computes.
func (f *frame) setContours(msg *icd.SetContourParameters) {
	var want *icd.SetContourParameters
	if len(msg.Levels) > 0 {
		want = proto.CloneOf(msg)
	}
	f.mu.Lock()
	same := proto.Equal(f.contours, want) && want != nil
	f.contours = want
	f.mu.Unlock()
	if !same { // also stops a computation for settings just cleared
		f.work.add(job{kind: jobLatest, key: contourKey, run: f.sendContours})
	}
}

// sendContours traces the current plane at the stored levels and sends
// each level's polylines in chunks. Worker only.
func (f *frame) sendContours(ctx context.Context) {
	f.mu.Lock()
	cfg := f.contours
	f.mu.Unlock()
	if cfg == nil {
		return
	}
	ch, st := f.current()
	if err := f.loadPlane(ctx, ch, st); err != nil {
		f.reportError(ctx, "contours", err)
		return
	}
	// Smoothing holds up to two planes (a pass and the result); tracing
	// a bit per pixel besides.
	scratch := 8*int64(len(f.plane.Data)) + int64(len(f.plane.Data))/8
	if err := f.sess.mem.Acquire(scratch, "contour smoothing"); err != nil {
		f.reportError(ctx, "contours", fmt.Errorf("contours of file %d: %w", f.id, err))
		return
	}
	defer f.sess.mem.Release(scratch)
	ctx = budget.WithPriority(ctx, budget.Bulk)
	field, err := contour.Smooth(ctx, f.plane, contour.Mode(cfg.SmoothingMode), int(cfg.SmoothingFactor))
	if err != nil {
		f.reportError(ctx, "contours", fmt.Errorf("contours of file %d: %w", f.id, err))
		return
	}
	bounds := &icd.ImageBounds{XMax: int32(f.layout.Width), YMax: int32(f.layout.Height)}
	emit := func(chunk contour.Chunk) error {
		enc := contour.Encode(chunk.Vertices, int(cfg.CompressionLevel), int(cfg.DecimationFactor))
		f.sess.send(f.work.ctx, icd.EventType_CONTOUR_IMAGE_DATA, &icd.ContourImageData{
			FileId: f.id, ReferenceFileId: uint32(f.id), ImageBounds: bounds,
			Channel: int32(ch), Stokes: int32(st), Progress: chunk.Progress,
			ContourSets: []*icd.ContourSet{{
				Level: chunk.Level, DecimationFactor: int32(enc.Decimation),
				RawCoordinates: enc.Coordinates, RawStartIndices: contour.EncodeStarts(chunk.Starts),
				UncompressedCoordinatesSize: int32(enc.UncompressedSize),
			}},
		})
		return nil
	}
	// Once a level has started it is finished: the frontend appends a
	// level's chunks until one says progress 1, so a cut-off level would
	// corrupt the next. Only closing the image stops tracing.
	if err := contour.Stream(budget.WithPriority(f.work.ctx, budget.Bulk), field, cfg.Levels, int(cfg.ContourChunkSize), emit); err != nil {
		f.reportError(ctx, "contours", fmt.Errorf("contours of file %d: %w", f.id, err))
	}
}
