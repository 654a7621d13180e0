package session

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/store"
)

// Resume merge rules (RESUME_SESSION against what the server holds: the
// live session's open images, or the stored snapshot after a restart):
//
//  1. The message decides which images are open. Images the server holds
//     that the message does not list are closed (and leave the snapshot).
//  2. For what the message carries — directory, file, HDU, channel,
//     Stokes, and the cursor as region 0 — the message wins.
//  3. What the message cannot carry — cursor profile requirements, image
//     and cube histogram requirements, and the cursor when the message
//     has no region 0 — comes from the server's copy of the image, if it
//     has the same file id and the same directory and file.
//  4. An image still open under the same id and path is kept open (case
//     of a network drop): no reopen, its live state stands.
//  5. Everything restored is sent at once (image histogram, cursor
//     profiles, cube histogram), so the view is live before the frontend
//     re-sends its requirements; re-sent requirements equal to the held
//     ones produce nothing new.
//  6. What cannot be restored (missing or unreadable file, bad channel,
//     regions, contours, catalogs this server does not support yet) is
//     listed in the ACK's message and reported in one ERROR_DATA each; the
//     ACK still says success, since frontend 6.0.0 hangs on a failure.
func (c *Client) handleResumeSession(r request) error {
	var msg icd.ResumeSession
	if err := decode(r, &msg); err != nil {
		return err
	}
	stored := c.session.takePending()
	var problems []string
	var sent []<-chan struct{}
	keep := map[int32]bool{}
	for _, img := range msg.Images {
		if err := r.ctx.Err(); err != nil {
			return fmt.Errorf("resume cancelled: %w", err) // the socket dropped again
		}
		keep[img.FileId] = true
		done, ps := c.resumeImage(img, stored[img.FileId])
		if done != nil {
			sent = append(sent, done)
		}
		for _, p := range ps {
			problems = append(problems, p)
			c.warn(r.ctx, "resume", p)
		}
	}
	c.session.closeFramesExcept(keep)
	// The restored data goes out before the ACK, as the reference does,
	// so the view is complete when the frontend's modal closes.
	for _, done := range sent {
		select {
		case <-done:
		case <-r.ctx.Done():
			return fmt.Errorf("resume cancelled: %w", r.ctx.Err())
		}
	}
	for _, p := range c.resumeCatalogs(msg.CatalogFiles) {
		problems = append(problems, p)
		c.warn(r.ctx, "resume", p)
	}
	ack := &icd.ResumeSessionAck{Success: true, Message: "session resumed"}
	if len(problems) > 0 {
		ack.Message = "session resumed; not restored: " + strings.Join(problems, "; ")
	}
	c.log.Info("session resumed", "images", len(msg.Images), "problems", len(problems))
	c.send(r.ctx, icd.EventType_RESUME_SESSION_ACK, r.hdr.RequestID, ack)
	return nil
}

// warn sends a WARNING ERROR_DATA that does not fail anything.
func (c *Client) warn(ctx context.Context, tag, msg string) {
	c.send(ctx, icd.EventType_ERROR_DATA, 0, &icd.ErrorData{
		Severity: icd.ErrorSeverity_WARNING, Tags: []string{"cartago", tag}, Message: c.mgr.folder.Redact(msg),
	})
}

// resumeImage restores one image of a RESUME_SESSION. It returns a
// channel closed once the image's data is sent (nil if it could not be
// opened) and what could not be restored.
func (c *Client) resumeImage(img *icd.ImageProperties, held *store.Image) (<-chan struct{}, []string) {
	name := fmt.Sprintf("image %d (%s)", img.FileId, img.File)
	if img.LelExpr {
		return nil, []string{name + ": image expressions (LEL) are " + ErrUnsupported.Error()}
	}
	var problems []string
	want := &store.Image{FileId: img.FileId, Directory: img.Directory, File: img.File, Hdu: img.Hdu,
		Channel: img.Channel, Stokes: img.Stokes, SupportAipsBeam: img.SupportAipsBeam, StokesFiles: img.StokesFiles}
	live := c.session.frame(img.FileId)
	if live != nil && live.dir == img.Directory && live.name == img.File {
		held = c.session.imageSnapshot(live) // rule 4: the live image is the server's copy
	}
	matches := held != nil && held.Directory == want.Directory && held.File == want.File
	if matches {
		mergeHeld(want, held) // rule 3
	}
	if p, ok := img.Regions[cursorRegion]; ok && len(p.ControlPoints) > 0 {
		want.Cursor = proto.CloneOf(p.ControlPoints[0]) // rule 2
	}
	want.Regions = mergeRegions(img.Regions, held, matches)
	if cs := img.ContourSettings; cs != nil && len(cs.Levels) > 0 { // empty = no contours
		want.Contours = proto.CloneOf(cs)
		want.Contours.FileId, want.Contours.ReferenceFileId = uint32(img.FileId), uint32(img.FileId)
	}
	if vs := img.VectorOverlaySettings; !vectorOff(vs) { // empty = no overlay
		want.VectorOverlay = proto.CloneOf(vs)
		want.VectorOverlay.FileId = uint32(img.FileId)
	}
	if live != nil {
		if matches { // rule 4
			return c.resumeLive(live, want, &problems), problems
		}
		c.session.closeFrame(img.FileId)
	}
	f, err := c.restoreFrame(want, &problems)
	if err != nil {
		return nil, append(problems, fmt.Sprintf("%s: %v", name, c.mgr.folder.Redact(err.Error())))
	}
	return f.restored, problems
}

// mergeRegions takes the message's regions (the cursor and temporary
// negative ids aside) with the analysis requirements the held copy has
// for the same ids (rules 2 and 3).
func mergeRegions(regions map[int32]*icd.RegionInfo, held *store.Image, matches bool) map[int32]*store.Region {
	out := map[int32]*store.Region{}
	for id, info := range regions {
		if id <= 0 {
			continue
		}
		r := &store.Region{Info: proto.CloneOf(info)}
		if h := held.GetRegions()[id]; matches && h != nil {
			r.Stats, r.Histograms, r.Spectral, r.Spatial, r.Matched = h.Stats, h.Histograms, h.Spectral, h.Spatial, h.Matched
		}
		out[id] = r
	}
	return out
}

// resumeLive brings an image that stayed open up to the message's
// channel, Stokes and cursor, and re-sends its data.
func (c *Client) resumeLive(f *frame, want *store.Image, problems *[]string) <-chan struct{} {
	ch, st := int(want.Channel), int(want.Stokes)
	if err := f.checkChannel(ch, st); err != nil {
		*problems = append(*problems, fmt.Sprintf("image %d (%s): %v", f.id, f.name, err))
		ch, st = f.current()
	}
	f.mu.Lock()
	f.channel, f.stokes = ch, st
	if want.Cursor != nil {
		f.cursor = want.Cursor
	}
	f.mu.Unlock()
	*problems = append(*problems, c.session.setRegions(f, want.Regions)...)
	f.setContours(orEmpty(want.Contours))
	f.setVectorOverlay(want.VectorOverlay)
	return f.work.addWait(job{kind: jobChannel, run: func(ctx context.Context) {
		f.sendImageHistograms(ctx)
		f.sendImageStats(ctx)
		f.sendCursorProfiles(ctx, true)
	}})
}

// orEmpty gives "no contours" for nil settings.
func orEmpty(c *icd.SetContourParameters) *icd.SetContourParameters {
	if c == nil {
		return &icd.SetContourParameters{}
	}
	return c
}

// mergeHeld copies into want what a RESUME_SESSION cannot carry.
func mergeHeld(want, held *store.Image) {
	want.Cursor = held.Cursor
	want.CursorSpatial = held.CursorSpatial
	want.CursorSpectral = held.CursorSpectral
	want.ImageHistograms = held.ImageHistograms
	want.CubeHistogram = held.CubeHistogram
	want.ImageStats = held.ImageStats
	want.Moment = held.Moment
	want.Fit = held.Fit
	want.Pv = held.Pv
}

// restoreFrame opens a stored image with its state and queues the data
// that state calls for. A channel out of range falls back to 0 and is
// added to problems (when not nil).
func (c *Client) restoreFrame(img *store.Image, problems *[]string) (*frame, error) {
	var f *frame
	var err error
	switch {
	case img.Moment != nil:
		f, err = c.regenerateMoment(img)
	case img.Fit != nil:
		f, err = c.regenerateFit(img)
	case img.Pv != nil:
		f, err = c.regeneratePV(img)
	default:
		f, err = openStored(c.session, c.mgr.folder, img)
	}
	if err != nil {
		return nil, err
	}
	f.aipsBeam = img.SupportAipsBeam
	ch, st := int(img.Channel), int(img.Stokes)
	if err := f.checkChannel(ch, st); err != nil {
		if problems != nil {
			*problems = append(*problems, fmt.Sprintf("image %d (%s): %v; showing channel 0", img.FileId, img.File, err))
		}
		ch, st = 0, 0
	}
	f.channel, f.stokes = ch, st
	f.cursor = img.Cursor
	f.spatial = slices.Clone(img.CursorSpatial)
	f.spectral = slices.Clone(img.CursorSpectral)
	f.imgHists = slices.Clone(img.ImageHistograms)
	f.imgStats = slices.Clone(img.ImageStats)
	c.session.putFrame(f)
	if ps := c.session.setRegions(f, img.Regions); problems != nil {
		*problems = append(*problems, ps...)
	}
	f.setContours(orEmpty(img.Contours))
	f.setVectorOverlay(img.VectorOverlay)
	f.restored = f.work.addWait(job{kind: jobData, run: func(ctx context.Context) {
		f.sendImageHistograms(ctx)
		f.sendImageStats(ctx)
		f.sendCursorProfiles(ctx, true)
	}})
	if img.CubeHistogram != nil {
		f.setCubeHistogram([]*icd.HistogramConfig{img.CubeHistogram})
	}
	return f, nil
}
