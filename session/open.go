package session

import (
	"context"
	"errors"
	"fmt"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
)

func (c *Client) handleFileInfo(r request) error {
	var msg icd.FileInfoRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	resp, err := c.fileInfo(msg.Directory, msg.File, msg.Hdu)
	if err != nil {
		resp = &icd.FileInfoResponse{Message: clientText(err, c.mgr.folder.Redact)}
	}
	c.send(r.ctx, icd.EventType_FILE_INFO_RESPONSE, r.hdr.RequestID, resp)
	return nil
}

// fileInfo describes a file; hdu "" describes every image HDU, as the
// frontend then offers them as choices.
func (c *Client) fileInfo(dir, name, hdu string) (*icd.FileInfoResponse, error) {
	if path, ok := c.mgr.folder.casaPath(dir, name); ok {
		return casaFileInfo(name, path)
	}
	_, path, err := c.mgr.folder.File(dir, name)
	if err != nil {
		return nil, errFileAccess(c.mgr.folder, dir, name, err)
	}
	if hdf5.IsHDF5File(path) {
		return hdf5FileInfo(name, path, hdu)
	}
	f, err := fits.Open(path)
	if err != nil {
		return nil, errFileAccess(c.mgr.folder, dir, name, err)
	}
	defer f.Close()
	resp := &icd.FileInfoResponse{Success: true, FileInfoExtended: map[string]*icd.FileInfoExtended{}}
	var chosen []*fits.HDU
	if hdu == "" {
		for _, h := range f.HDUs() {
			if h.IsImage() {
				chosen = append(chosen, h)
			}
		}
	} else {
		h, err := f.HDU(hdu)
		if err != nil {
			return nil, err
		}
		chosen = []*fits.HDU{h}
	}
	if len(chosen) == 0 {
		return nil, fmt.Errorf("%s: no image HDU", name)
	}
	// Keys and HDU_list hold bare HDU numbers, also for a requested
	// "1: image": the reference keys by number (FileExtInfoLoader.cc
	// FillFitsFileInfoMap) and the frontend labels each key with the
	// "Extension name" entry itself. Deliberately unlike the reference
	// source we read (66c7d752, FileInfoLoader.cc:61, HDU_list [""]),
	// HDU_list names the HDUs described, as issue 11 observed of the
	// reference; frontend 6.0.0 reads it only for files the list showed
	// as unknown, one row per entry.
	var keys []string
	for _, h := range chosen {
		keys = append(keys, h.Key())
		resp.FileInfoExtended[h.Key()] = extendedInfo(name, h)
	}
	size, mtime := statFile(path)
	resp.FileInfo = fileInfo(name, size, mtime, keys)
	return resp, nil
}

func (c *Client) handleOpenFile(r request) error {
	var msg icd.OpenFile
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, ack, err := c.openFile(r.ctx, &msg)
	if err != nil {
		c.log.Info("open failed", "file_id", msg.FileId, "file", msg.File, "err", err)
		ack = &icd.OpenFileAck{FileId: msg.FileId, Message: clientText(err, c.mgr.folder.Redact)}
	}
	c.send(r.ctx, icd.EventType_OPEN_FILE_ACK, r.hdr.RequestID, ack)
	if f != nil {
		// After the ACK (the frontend ignores data for files it does not
		// know yet) and before any tile request: the frontend applies the
		// image histogram at the first tile group.
		f.work.add(job{kind: jobData, run: f.sendImageHistograms})
	}
	return nil
}

func (c *Client) openFile(ctx context.Context, msg *icd.OpenFile) (*frame, *icd.OpenFileAck, error) {
	if msg.LelExpr {
		return nil, nil, fmt.Errorf("image expressions (LEL) are %w", ErrUnsupported)
	}
	f, err := openFrame(ctx, c.session, c.mgr.folder, msg.FileId, msg.Directory, msg.File, msg.Hdu)
	if errors.Is(err, budget.ErrOverBudget) && c.session.closeFrame(msg.FileId) {
		// The image it replaces goes anyway; its memory counts for this one.
		f, err = openFrame(ctx, c.session, c.mgr.folder, msg.FileId, msg.Directory, msg.File, msg.Hdu)
	}
	if err != nil {
		return nil, nil, err
	}
	f.aipsBeam = msg.SupportAipsBeam
	c.session.moments.stop(msg.FileId) // one reading the image this replaces
	c.session.fits.stop(msg.FileId)
	c.session.pv.runs.stop(msg.FileId)
	c.session.previews.dropFile(msg.FileId)
	c.session.putFrame(f)
	h := f.img.HDU
	ack := &icd.OpenFileAck{
		Success:          true,
		FileId:           msg.FileId,
		FileInfo:         f.openedInfo(msg.File),
		FileInfoExtended: extendedInfo(msg.File, h),
	}
	if b, ok := h.Beam(); ok {
		ack.BeamTable = []*icd.Beam{{Channel: -1, Stokes: -1,
			MajorAxis: float32(b.Major * 3600), MinorAxis: float32(b.Minor * 3600), Pa: float32(b.PA)}}
	}
	if bt := f.casaBeams(); bt != nil {
		ack.BeamTable = bt
	}
	c.log.Info("image opened", "file_id", msg.FileId, "file", msg.File, "hdu", h.Name())
	return f, ack, nil
}

func (c *Client) handleCloseFile(r request) error {
	var msg icd.CloseFile
	if err := decode(r, &msg); err != nil {
		return err
	}
	// A moment or PV calculation reading the image ends first.
	c.session.moments.stop(msg.FileId)
	c.session.fits.stop(msg.FileId)
	c.session.pv.runs.stop(msg.FileId)
	c.session.previews.dropFile(msg.FileId)
	// The frontend closes ids we may not know (generated images, and
	// -1 before every load): not an error.
	if c.session.closeFrame(msg.FileId) {
		c.log.Info("image closed", "file_id", msg.FileId)
	}
	return nil
}

// frameFor returns the open image a message names. An image of a
// restored session that was not reopened yet (no RESUME_SESSION came) is
// reopened from the snapshot now.
func (c *Client) frameFor(id int32) (*frame, error) {
	if f := c.session.frame(id); f != nil {
		return f, nil
	}
	if img := c.session.takePendingImage(id); img != nil {
		c.log.Info("reopening image from the stored session", "file_id", id, "file", img.File)
		return c.restoreFrame(img, nil)
	}
	return nil, errFileNotFound(id)
}
