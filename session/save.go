package session

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/region"
)

// handleSaveFile writes an open image, or the part of it a region,
// channel range and Stokes range select, to a FITS file in the top
// folder (Session.cc OnSaveFile, Frame.cc SaveFile).
func (c *Client) handleSaveFile(r request) error {
	var msg icd.SaveFile
	if err := decode(r, &msg); err != nil {
		return err
	}
	ack := &icd.SaveFileAck{FileId: msg.FileId}
	// The reference answers an unknown file id with a log message only;
	// we answer, so the frontend's save dialog does not wait forever.
	if err := c.saveFile(r.ctx, &msg); err != nil {
		var confirm *confirmError
		ack.OverwriteConfirmationRequired = errors.As(err, &confirm)
		ack.Message = clientText(err, c.mgr.folder.Redact)
		c.log.Info("save failed", "file_id", msg.FileId, "file", msg.OutputFileName, "err", err)
	} else {
		ack.Success = true
	}
	c.send(r.ctx, icd.EventType_SAVE_FILE_ACK, r.hdr.RequestID, ack)
	return nil
}

func (c *Client) saveFile(ctx context.Context, msg *icd.SaveFile) error {
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return err
	}
	switch msg.OutputFileType {
	case icd.FileType_FITS:
	case icd.FileType_CASA:
		// Deliberately unlike the reference: writing CASA tables is out of
		// this server's scope.
		return errors.New("Saving as a CASA image is not supported by this server; choose FITS in the save dialog.")
	default:
		return fmt.Errorf("Could not export file. Unknown file type %s.", msg.OutputFileType)
	}
	target, err := saveTarget(c.mgr.folder, msg.OutputFileDirectory, msg.OutputFileName, msg.Overwrite, f.sourcePaths())
	if err != nil {
		return err
	}
	plan, err := c.savePlan(f, msg)
	if err != nil {
		return err
	}
	if err := writeSaved(ctx, f, plan, target); err != nil {
		return fmt.Errorf("save %s: %w", msg.OutputFileName, err)
	}
	c.log.Info("image saved", "file_id", msg.FileId, "file", msg.OutputFileName, "naxis", plan.naxis)
	return nil
}

// sourcePaths are the files an image reads, which a save must not replace.
func (f *frame) sourcePaths() []string {
	out := []string{f.file.Path()}
	for _, p := range f.parts {
		out = append(out, p.Path())
	}
	return out
}

// savePlan is what a save writes.
type savePlan struct {
	box      image.Rectangle // render-axis pixels
	mask     *region.Mask    // pixels outside it are written as NaN; nil for all
	channels axisCut
	stokes   axisCut
	naxis    []int
	cards    []fits.Card
	// stokesOuter loops Stokes slower than channels: the Stokes axis
	// comes after the depth axis in the file.
	stokesOuter bool
}

func (c *Client) savePlan(f *frame, msg *icd.SaveFile) (savePlan, error) {
	l := f.layout
	if l.Axes.SpatialX != 1 || l.Axes.SpatialY != 2 {
		return savePlan{}, fmt.Errorf("saving an image whose render axes are not axes 1 and 2 is %w", ErrUnsupported)
	}
	p := savePlan{box: image.Rect(0, 0, l.Width, l.Height)}
	if msg.RegionId != 0 {
		r, err := c.session.region(msg.RegionId)
		if errors.As(err, new(noRegionError)) {
			return p, fmt.Errorf("No region with id %d found.", msg.RegionId)
		}
		if err != nil {
			return p, err
		}
		if r.fileID != f.id {
			r = c.session.viewOn(r, f.id) // a region drawn on a matched image
		}
		if p.mask, err = f.regionMask(r); err != nil || p.mask.Count() == 0 {
			return p, fmt.Errorf("The selected region is entirely outside the image.")
		}
		p.box = p.mask.Bounds()
		if p.mask.Count() == int64(p.box.Dx())*int64(p.box.Dy()) {
			p.mask = nil // a box: nothing to blank
		}
	}
	p.channels, p.stokes = channelCut(msg.Channels, l.Depth), stokesCut(msg.Stokes, l.Stokes)
	h := f.img.HDU
	cuts := make([]axisCut, len(h.Naxis))
	for i := range cuts {
		cuts[i] = axisCut{0, 1, 1}
	}
	cuts[0] = axisCut{p.box.Min.X, 1, p.box.Dx()}
	cuts[1] = axisCut{p.box.Min.Y, 1, p.box.Dy()}
	if a := l.Axes.Depth; a > 0 {
		cuts[a-1] = p.channels
	}
	if a := l.Axes.Stokes; a > 0 {
		cuts[a-1] = p.stokes
	}
	p.stokesOuter = l.Axes.Stokes > l.Axes.Depth
	newNum, naxis := savedAxes(cuts, [2]int{1, 2}, msg.KeepDegenerate)
	p.naxis = naxis
	p.cards = savedCards(h.Header, cuts, newNum, msg.RestFreq)
	return p, nil
}

// channelCut clamps [start, end, stride] as the reference does
// (Frame.cc ValidateChannelStokes); empty means every channel. Unlike
// the reference, which saves every channel of the range, the frontend's
// stride is honoured.
func channelCut(ch []int32, depth int) axisCut {
	if len(ch) < 2 {
		return whole(depth)
	}
	start := min(max(int(ch[0]), 0), depth-1)
	end := min(max(int(ch[1]), start), depth-1)
	stride := 1
	if len(ch) > 2 {
		stride = max(int(ch[2]), 1)
	}
	return axisCut{start, stride, (end-start)/stride + 1}
}

// stokesCut clamps [start, end, stride] as the reference does.
func stokesCut(st []int32, n int) axisCut {
	if len(st) < 2 {
		return whole(n)
	}
	start := min(max(int(st[0]), 0), n-1)
	end := min(max(int(st[1]), start), n-1)
	stride := 1
	if len(st) > 2 {
		stride = max(min(max(int(st[2]), 1), n-start), 1)
	}
	return axisCut{start, stride, (end-start)/stride + 1}
}

// writeSaved writes the plan to a temporary file next to target and
// renames it over target once complete, so a failed or interrupted save
// leaves no partial file and an overwritten file is replaced whole.
func writeSaved(ctx context.Context, f *frame, p savePlan, target string) error {
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".saving-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	enc := fits.NewEncoder(tmp)
	if err := enc.WriteHeader(fits.WriteHDU{Bitpix: -32, Naxis: p.naxis, Cards: p.cards}); err != nil {
		return err
	}
	if err := writePlanes(ctx, enc, f.px, p, f.layout.Width); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	ok = true
	return nil
}

// saveBandValues bounds the rows read at once: about 4 MiB of values
// (at least one row), charged to the budget while the save runs.
const saveBandValues = 1 << 20

// writePlanes streams the selected planes in FITS order, a band of rows
// at a time: memory stays a band, whatever the cube's size.
func writePlanes(ctx context.Context, enc *fits.Encoder, px pixels, p savePlan, width int) error {
	rows := min(max(saveBandValues/width, 1), p.box.Dy())
	w := p.box.Dx()
	cropped := w != width || p.mask != nil
	n := width * rows
	if cropped {
		n += w * rows
	}
	buf, release, err := px.floats(n, "rows of the image being saved")
	if err != nil {
		return err
	}
	defer release()
	band, out := buf[:width*rows], buf[width*rows:]
	outer, inner := p.channels, p.stokes
	if p.stokesOuter {
		outer, inner = p.stokes, p.channels
	}
	for i := range outer.n {
		for j := range inner.n {
			ch, st := outer.start+i*outer.stride, inner.start+j*inner.stride
			if p.stokesOuter {
				ch, st = st, ch
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if im, k := storedPlane(px, st); im != nil && p.mask == nil {
				// Stored as float32 without scaling: copy the bytes.
				ok, err := enc.WriteImageRows(im, ch, k, p.box.Min.X, p.box.Min.Y, w, p.box.Dy())
				if err != nil {
					return err
				}
				if ok {
					continue
				}
			}
			for y := p.box.Min.Y; y < p.box.Max.Y; y += rows {
				k := min(rows, p.box.Max.Y-y)
				if err := px.ReadRows(band[:width*k], ch, st, y, k); err != nil {
					return err
				}
				data := band[:width*k]
				if cropped {
					data = crop(out[:w*k], band, width, p, y, k)
				}
				if err := enc.WriteData(data); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// crop copies the box's columns of k rows starting at image row y0,
// NaN outside the mask.
func crop(dst, band []float32, width int, p savePlan, y0, k int) []float32 {
	w, x0 := p.box.Dx(), p.box.Min.X
	nan := float32(math.NaN())
	for r := range k {
		row := dst[r*w : (r+1)*w]
		copy(row, band[r*width+x0:r*width+x0+w])
		if p.mask == nil {
			continue
		}
		x := x0
		for _, s := range p.mask.Row(y0 + r) {
			for ; x < int(s.X0); x++ {
				row[x-x0] = nan
			}
			x = max(x, int(s.X1))
		}
		for ; x < x0+w; x++ {
			row[x-x0] = nan
		}
	}
	return dst
}

// storedPlane is the file image holding Stokes plane st and its index
// there, for copying stored bytes; nil for sources that are not files.
func storedPlane(px pixels, st int) (*fits.Image, int) {
	switch src := px.src.(type) {
	case *fits.Image:
		return src, st
	case concatSource:
		if im, err := src.part(st); err == nil {
			return im, 0
		}
	}
	return nil, 0
}
