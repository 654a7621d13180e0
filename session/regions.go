package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/region"
	"cartago/store"
)

// regionState is one region of a session. Region ids are session-wide
// (REMOVE_REGION names no file); a region is defined on its reference
// image, and its analysis runs on that image.
type regionState struct {
	id       int32
	fileID   int32
	info     *icd.RegionInfo
	desc     region.Desc
	stats    []*icd.SetStatsRequirements_StatsConfig
	hists    []*icd.HistogramConfig
	spectral []*icd.SetSpectralRequirements_SpectralConfig
	spatial  []*icd.SetSpatialRequirements_SpatialConfig
}

// clone copies r so work can read it without the session's lock.
func (r *regionState) clone() *regionState {
	c := *r
	return &c
}

// hasMask reports whether the region covers pixels (closed shapes).
func (r *regionState) hasMask() bool {
	return !r.desc.Kind.IsAnnotation() && !r.desc.Kind.IsLine()
}

// descOf converts the protocol's region into the imaging description.
func descOf(info *icd.RegionInfo) (region.Desc, error) {
	if info == nil {
		return region.Desc{}, errors.New("region has no region_info")
	}
	d := region.Desc{Kind: region.Kind(info.RegionType), Rotation: float64(info.Rotation)}
	for _, p := range info.ControlPoints {
		d.Points = append(d.Points, region.Point{X: float64(p.GetX()), Y: float64(p.GetY())})
	}
	if d.Kind.IsAnnotation() {
		return d, nil // drawn by the frontend only; nothing to validate here
	}
	return d, d.Validate()
}

func (c *Client) handleSetRegion(r request) error {
	var msg icd.SetRegion
	if err := decode(r, &msg); err != nil {
		return err
	}
	ack := &icd.SetRegionAck{RegionId: msg.RegionId}
	id, refresh, err := c.setRegion(&msg)
	if err != nil {
		c.log.Info("region refused", "region", msg.RegionId, "err", err)
		ack.Message = clientText(err, c.mgr.folder.Redact)
	} else {
		ack.Success, ack.RegionId = true, id
	}
	c.send(r.ctx, icd.EventType_SET_REGION_ACK, r.hdr.RequestID, ack)
	if refresh != nil {
		refresh() // an edited region's data follows its ack
	}
	return nil
}

// setRegion creates or edits a region and returns its id and what queues
// its data.
func (c *Client) setRegion(msg *icd.SetRegion) (int32, func(), error) {
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return 0, nil, errCannotSetRegion(msg.FileId, err)
	}
	desc, err := descOf(msg.RegionInfo)
	if err != nil {
		return 0, nil, errRegionParameters(msg.RegionId, msg.FileId, err)
	}
	if msg.PreviewRegion {
		return msg.RegionId, nil, nil // PV previews are not served; keep the region as it was
	}
	s := c.session
	s.rmu.Lock()
	id := msg.RegionId
	if id <= 0 {
		id = s.nextRegionIDLocked()
	}
	r := s.regions[id]
	if r == nil {
		r = &regionState{id: id}
		s.regions[id] = r
	}
	r.fileID, r.info, r.desc = msg.FileId, proto.CloneOf(msg.RegionInfo), desc
	snap := r.clone()
	s.rmu.Unlock()
	s.masks.Invalidate(int(id))
	return id, func() { f.refreshRegion(snap, true) }, nil
}

// nextRegionIDLocked is one more than the largest id in use, from 1.
// Caller holds rmu.
func (s *Session) nextRegionIDLocked() int32 {
	next := int32(1)
	for id := range s.regions {
		next = max(next, id+1)
	}
	return next
}

func (c *Client) handleRemoveRegion(r request) error {
	var msg icd.RemoveRegion
	if err := decode(r, &msg); err != nil {
		return err
	}
	s := c.session
	s.rmu.Lock()
	reg := s.regions[msg.RegionId]
	delete(s.regions, msg.RegionId)
	s.rmu.Unlock()
	if reg == nil {
		return nil // as the reference: RegionHandler::RemoveRegion
	}
	s.masks.Invalidate(int(msg.RegionId))
	if f := s.frame(reg.fileID); f != nil {
		// Cancel its running and queued profiles.
		f.spectra.add(job{kind: jobLatest, key: regionKey(msg.RegionId), run: func(context.Context) {}})
		f.work.add(job{kind: jobLatest, key: "spatial " + regionKey(msg.RegionId), run: func(context.Context) {}})
	}
	return nil
}

// noRegionError is the error for a region id the session does not have.
type noRegionError int32

func (e noRegionError) Error() string { return fmt.Sprintf("region %d does not exist", int32(e)) }

// clearsGoneRegion reports whether err comes from clearing (n == 0) the
// requirements of a region that does not exist: the frontend does that
// after REMOVE_REGION and for regions it never created, and it is not an
// error worth telling the user about.
func clearsGoneRegion(err error, n int) bool {
	var gone noRegionError
	return n == 0 && errors.As(err, &gone)
}

// region returns a copy of region id if it is defined on file fileID.
func (s *Session) region(fileID, id int32) (*regionState, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	r := s.regions[id]
	switch {
	case r == nil:
		return nil, noRegionError(id)
	case r.fileID != fileID:
		return nil, fmt.Errorf("region %d is defined on file %d; analysis on other (matched) images is %w", id, r.fileID, ErrUnsupported)
	}
	return r.clone(), nil
}

// updateRegion applies fn to region id under the lock and returns a copy.
func (s *Session) updateRegion(fileID, id int32, fn func(r *regionState)) (*regionState, error) {
	if _, err := s.region(fileID, id); err != nil {
		return nil, err
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	r := s.regions[id]
	if r == nil {
		return nil, noRegionError(id)
	}
	fn(r)
	return r.clone(), nil
}

// regionsOn returns copies of the regions defined on file id, by id.
func (s *Session) regionsOn(fileID int32) []*regionState {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	var out []*regionState
	for _, r := range s.regions {
		if r.fileID == fileID {
			out = append(out, r.clone())
		}
	}
	slices.SortFunc(out, func(a, b *regionState) int { return cmp.Compare(a.id, b.id) })
	return out
}

// dropRegionsOn forgets the regions of a closed image.
func (s *Session) dropRegionsOn(fileID int32) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for id, r := range s.regions {
		if r.fileID == fileID {
			delete(s.regions, id)
			s.masks.Invalidate(int(id))
		}
	}
}

func regionKey(id int32) string { return fmt.Sprintf("region %d", id) }

// setRegions makes the regions defined on f exactly regions (ids kept, as
// the frontend holds them), with their requirements, and queues their
// data. It returns the regions that could not be set.
func (s *Session) setRegions(f *frame, regions map[int32]*store.Region) []string {
	var problems []string
	s.rmu.Lock()
	for id, r := range s.regions {
		if r.fileID == f.id && regions[id] == nil {
			delete(s.regions, id)
		}
	}
	var set []*regionState
	for id, sr := range regions {
		desc, err := descOf(sr.Info)
		if err != nil {
			problems = append(problems, fmt.Sprintf("image %d (%s): region %d: %v", f.id, f.name, id, err))
			continue
		}
		r := &regionState{id: id, fileID: f.id, info: sr.Info, desc: desc,
			stats: sr.Stats, hists: sr.Histograms, spectral: sr.Spectral, spatial: sr.Spatial}
		s.regions[id] = r
		set = append(set, r.clone())
	}
	s.rmu.Unlock()
	for _, r := range set {
		s.masks.Invalidate(int(r.id))
		f.refreshRegion(r, true)
	}
	return problems
}
