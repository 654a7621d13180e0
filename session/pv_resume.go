package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cartago/imaging/budget"
	"cartago/store"
)

// regeneratePV makes a stored PV image again from its recipe, as
// regenerateMoment does for moment images: same file id, same name.
func (c *Client) regeneratePV(img *store.Image) (*frame, error) {
	r := img.Pv
	if r.GetRequest() == nil || r.GetRegion() == nil {
		return nil, errors.New("PV image: stored recipe is incomplete")
	}
	src, err := c.frameFor(r.SourceFileId)
	if err != nil {
		return nil, fmt.Errorf("PV image: source image %d: %w", r.SourceFileId, err)
	}
	line, err := descOf(r.Region)
	if err != nil {
		return nil, fmt.Errorf("PV image: line: %w", err)
	}
	job, err := newPvJob(src, r.Request, line, r.Region, int(r.Stokes))
	if err != nil {
		return nil, fmt.Errorf("PV image: %w", err)
	}
	start := time.Now()
	// The resume waits for it, as for any image it reopens.
	ctx := budget.WithPriority(context.Background(), budget.Bulk)
	f, err := c.session.generatePV(ctx, job, img.FileId, r.Name, nil)
	if err != nil {
		return nil, err
	}
	c.session.pv.noteName(src.id, src.name, r.Name)
	c.log.Info("PV image regenerated from its recipe", "file_id", img.FileId, "source", r.SourceFileId, "took", time.Since(start).Round(time.Millisecond))
	return f, nil
}
