package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cartago/imaging/budget"
	"cartago/store"
)

// regenerateMoment makes a stored moment image again from its recipe:
// the snapshot keeps how it was made, not its pixels (issue 13 item 4).
// Its source image is reopened first if needed. The reference cannot
// do this: its frontend drops generated images on reconnect.
func (c *Client) regenerateMoment(img *store.Image) (*frame, error) {
	r := img.Moment
	if len(r.GetRequest().GetMoments()) != 1 {
		return nil, errors.New("moment image: stored recipe is incomplete")
	}
	src, err := c.frameFor(r.SourceFileId)
	if err != nil {
		return nil, fmt.Errorf("moment image: source image %d: %w", r.SourceFileId, err)
	}
	if err := src.px.check(int(r.Stokes)); err != nil {
		return nil, fmt.Errorf("moment image: %w", err)
	}
	job, err := newMomentJob(src, r.Request, int(r.Stokes), r.Region)
	if err != nil {
		return nil, fmt.Errorf("moment image: %w", err)
	}
	if len(job.kinds) != 1 {
		return nil, errors.New("moment image: stored recipe makes no image")
	}
	name := r.Name
	if name == "" { // a recipe stored before names were
		name = momentName(src.name, job.kinds[0], 0)
	}
	start := time.Now()
	// The resume waits for it, as for any image it reopens.
	ctx := budget.WithPriority(context.Background(), budget.Bulk)
	planes, bytes, err := c.session.computePlanes(ctx, job, nil)
	if err != nil {
		return nil, err
	}
	f, err := c.session.momentFrame(ctx, job, img.FileId, job.kinds[0], name, planes[0])
	if err != nil {
		c.session.mem.Release(bytes)
		return nil, err
	}
	mem := c.session.mem // not c.session at close: the client may be gone
	f.onClose = func() { mem.Release(bytes) }
	c.log.Info("moment image regenerated from its recipe", "file_id", img.FileId, "source", r.SourceFileId, "took", time.Since(start).Round(time.Millisecond))
	return f, nil
}
