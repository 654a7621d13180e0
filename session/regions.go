package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/region"
	"cartago/store"
)

// regionState is one region of a session. Region ids are session-wide
// (REMOVE_REGION names no file); a region is defined on its reference
// image, and its analysis runs on that image and on any other image the
// client asks for (see matched.go).
type regionState struct {
	id       int32
	fileID   int32
	info     *icd.RegionInfo
	desc     region.Desc
	stats    []*icd.SetStatsRequirements_StatsConfig
	hists    []*icd.HistogramConfig
	spectral []*icd.SetSpectralRequirements_SpectralConfig
	spatial  []*icd.SetSpatialRequirements_SpatialConfig
	// matched holds the requirements on other images by file id (only
	// the four requirement fields set). Copied on write, entries never
	// change, so clones share it safely; at most one entry per open image.
	matched map[int32]*regionState
	// convErr is set on a view on another image (viewOn) when the region
	// could not be carried over; desc then has no points.
	convErr error
	// memo is set on matched entries: their last conversion.
	memo *convMemo
}

// clone copies r so work can read it without the session's lock.
func (r *regionState) clone() *regionState {
	c := *r
	return &c
}

// noRequirements reports whether r asks for no analysis at all.
func (r *regionState) noRequirements() bool {
	return len(r.stats)+len(r.hists)+len(r.spectral)+len(r.spatial) == 0
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
	// A PV preview cutting along this line follows it, dragged or set,
	// after the ack, so the client sees its ack first.
	moved := func() { c.session.previews.moved(msg.FileId, msg.RegionId, desc, msg.PreviewRegion) }
	if msg.PreviewRegion {
		return msg.RegionId, moved, nil // a dragged line: the stored region stays as it was
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
	if r.fileID != msg.FileId {
		r.matched = nil // the frontend moved the region to another image
	}
	r.fileID, r.info, r.desc = msg.FileId, proto.CloneOf(msg.RegionInfo), desc
	snap := r.clone()
	s.rmu.Unlock()
	s.masks.Invalidate(int(id))
	return id, func() {
		moved()
		f.refreshRegion(snap, true)
		s.refreshMatched(snap) // every image's results, as the reference (Session.cc: RegionDataStreamsTask with ALL_FILES)
	}, nil
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
	for _, id := range append([]int32{reg.fileID}, slices.Collect(maps.Keys(reg.matched))...) {
		if f := s.frame(id); f != nil {
			// Cancel its running and queued profiles.
			f.spectra.add(job{kind: jobLatest, key: regionKey(msg.RegionId), run: func(context.Context) {}})
			f.work.add(job{kind: jobLatest, key: "spatial " + regionKey(msg.RegionId), run: func(context.Context) {}})
		}
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

// updateRegion applies fn to the requirements of region id on file
// fileID under the lock and returns a copy of the region as that file
// sees it: the region itself on its own image, else its view carried
// over to fileID (viewOn), as the reference applies a region to any
// open image (RegionHandler::ApplyRegionToFile).
func (s *Session) updateRegion(fileID, id int32, fn func(r *regionState)) (*regionState, error) {
	s.rmu.Lock()
	r := s.regions[id]
	if r == nil {
		s.rmu.Unlock()
		return nil, noRegionError(id)
	}
	if r.fileID == fileID {
		fn(r)
		c := r.clone()
		s.rmu.Unlock()
		return c, nil
	}
	r.setMatched(fileID, fn)
	c := r.clone()
	s.rmu.Unlock()
	v := s.viewOn(c, fileID)
	s.warnMismatch(v)
	return v, nil
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

// dropRegionsOn forgets the regions of a closed image and the other
// regions' requirements on it (as the reference's
// RegionHandler::RemoveFrame). A region whose own image closes goes with
// its results on other images: the frontend drops it too. (The
// reference keeps the region and its results on the matched images.)
func (s *Session) dropRegionsOn(fileID int32) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for id, r := range s.regions {
		if r.fileID == fileID {
			delete(s.regions, id)
			s.masks.Invalidate(int(id))
		} else if r.matched[fileID] != nil {
			r.setMatched(fileID, func(m *regionState) { *m = regionState{} })
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
			stats: sr.Stats, hists: sr.Histograms, spectral: sr.Spectral, spatial: sr.Spatial,
			matched: matchedOf(sr.Matched)}
		s.regions[id] = r
		set = append(set, r.clone())
	}
	s.rmu.Unlock()
	for _, r := range set {
		s.masks.Invalidate(int(r.id))
		f.refreshRegion(r, true)
		s.refreshMatched(r)
	}
	// Regions of images restored before this one that were analysed on it.
	for _, v := range s.viewsOn(f.id) {
		f.refreshRegion(v, true)
	}
	return problems
}
