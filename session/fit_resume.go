package session

import (
	"context"
	"errors"
	"fmt"
	"image"
	"time"

	"cartago/imaging/budget"
	"cartago/imaging/fit"
	"cartago/store"
)

// regenerateFit makes a stored model or residual image again from its
// recipe: the source's plane and the fitted values it keeps, without
// fitting again, so the pixels are the same. Its source image is
// reopened first if needed. The reference cannot do this: its frontend
// drops generated images on reconnect.
func (c *Client) regenerateFit(img *store.Image) (*frame, error) {
	r := img.Fit
	if r.GetRequest() == nil || len(r.ResultValues) == 0 {
		return nil, errors.New("fit image: stored recipe is incomplete")
	}
	src, err := c.frameFor(r.SourceFileId)
	if err != nil {
		return nil, fmt.Errorf("fit image: source image %d: %w", r.SourceFileId, err)
	}
	if err := src.checkChannel(int(r.Channel), int(r.Stokes)); err != nil {
		return nil, fmt.Errorf("fit image: %w", err)
	}
	job := &fitJob{src: src, msg: r.Request, channel: int(r.Channel), stokes: int(r.Stokes),
		box: image.Rect(0, 0, src.layout.Width, src.layout.Height), regionInfo: r.Region}
	if err := job.setMask(); err != nil {
		return nil, fmt.Errorf("fit image: %w", err)
	}
	start := time.Now()
	s := c.session
	bytes := 4 * int64(job.box.Dx()) * int64(job.box.Dy())
	// The data and both images while they are made; the frame keeps one.
	if err := s.mem.Acquire(3*bytes, "fit image"); err != nil {
		return nil, err
	}
	data, err := job.fitData()
	if err != nil {
		s.mem.Release(3 * bytes)
		return nil, err
	}
	model, residual := fit.Images(data, fitResultParams(r))
	pixels := model
	if r.Residual {
		pixels = residual
	}
	// The resume waits for it, as for any image it reopens.
	f, err := s.fitFrame(budget.WithPriority(context.Background(), budget.Bulk), job, img.FileId, r.Residual, pixels, fitResultParams(r))
	s.mem.Release(2 * bytes)
	if err != nil {
		s.mem.Release(bytes)
		return nil, err
	}
	mem := s.mem // not c.session at close: the client may be gone
	f.onClose = func() { mem.Release(bytes) }
	c.log.Info("fit image regenerated from its recipe", "file_id", img.FileId, "source", r.SourceFileId,
		"residual", r.Residual, "took", time.Since(start).Round(time.Millisecond))
	return f, nil
}
