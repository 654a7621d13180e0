package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"cartago/icd"
	"cartago/imaging/region"
	"cartago/imaging/wcs"
	"cartago/store"
)

// Regions on other images. The frontend asks for statistics, histograms
// and profiles of a region on any open image whose coordinates match the
// region's own image (SET_STATS_REQUIREMENTS {file_id: 1, region_id: 1}
// for a region made on file 0). As the reference (RegionHandler,
// RegionConverter), the region is carried to the other image through
// the world coordinates of both (region.Convert with a wcs.PixelMap),
// and the results go out under the other image's file id. The
// requirements per other image live in regionState.matched; a view
// (viewOn) is the region as that image sees it, with the same id, and
// runs through the same code as a region on its own image.

// setMatched applies fn to r's requirements on file fileID, copying the
// map and the entry (see regionState.matched); an entry left without
// requirements is removed. Caller holds rmu.
func (r *regionState) setMatched(fileID int32, fn func(m *regionState)) {
	m := &regionState{}
	if old := r.matched[fileID]; old != nil {
		*m = *old
	}
	fn(m)
	r.matched = maps.Clone(r.matched)
	if m.noRequirements() {
		delete(r.matched, fileID)
		return
	}
	if r.matched == nil {
		r.matched = map[int32]*regionState{}
	}
	memo := m.memo
	if memo == nil {
		memo = &convMemo{}
	}
	r.matched[fileID] = &regionState{stats: m.stats, hists: m.hists, spectral: m.spectral, spatial: m.spatial, memo: memo}
}

// convMemo remembers the last conversion of a region to one other
// image: carrying a region over costs about 0.5 ms (a 1000-point outline
// through two WCS, BenchmarkConvert), and views are rebuilt on every
// channel change and animation frame. One per matched entry, shared by
// its copies.
type convMemo struct {
	mu       sync.Mutex
	src      region.Desc // guarded by mu; the region as converted
	from, to int64       // guarded by mu; frame.seq of both images then
	desc     region.Desc // guarded by mu; the result
	err      error       // guarded by mu
	set      bool        // guarded by mu
}

// get returns the memo's result if it was made for src between the
// images opened as from and to.
func (m *convMemo) get(src region.Desc, from, to int64) (region.Desc, error, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.set || m.from != from || m.to != to || !m.src.Equal(src) {
		return region.Desc{}, nil, false
	}
	return m.desc, m.err, true
}

func (m *convMemo) put(src region.Desc, from, to int64, desc region.Desc, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.src, m.from, m.to, m.desc, m.err, m.set = src, from, to, desc, err, true
}

// viewOn returns region r as image fileID sees it: r's id and shape
// carried over to that image's pixels, with r's requirements there.
func (s *Session) viewOn(r *regionState, fileID int32) *regionState {
	v := &regionState{id: r.id, fileID: fileID, info: r.info, desc: region.Desc{Kind: r.desc.Kind}}
	if m := r.matched[fileID]; m != nil {
		v.stats, v.hists, v.spectral, v.spatial = m.stats, m.hists, m.spectral, m.spatial
	}
	var memo *convMemo
	if m := r.matched[fileID]; m != nil {
		memo = m.memo
	}
	desc, err := s.convertRegion(r, fileID, memo)
	if err != nil {
		v.convErr = &matchError{id: r.id, from: r.fileID, to: fileID, err: err}
		return v
	}
	v.desc = desc
	return v
}

// convertRegion carries r's shape from its image to image fileID,
// through memo when not nil.
func (s *Session) convertRegion(r *regionState, fileID int32, memo *convMemo) (region.Desc, error) {
	from, to := s.frame(r.fileID), s.frame(fileID)
	if from == nil || to == nil {
		return region.Desc{}, errImageClosed
	}
	if memo == nil {
		return convertBetween(r.desc, from, to)
	}
	if d, err, ok := memo.get(r.desc, from.seq, to.seq); ok {
		return d, err
	}
	d, err := convertBetween(r.desc, from, to)
	memo.put(r.desc, from.seq, to.seq, d, err)
	return d, err
}

// convertBetween carries d from image from to image to.
func convertBetween(d region.Desc, from, to *frame) (region.Desc, error) {
	fc, err := from.celestial()
	if err != nil {
		return region.Desc{}, err
	}
	tc, err := to.celestial()
	if err != nil {
		return region.Desc{}, err
	}
	m, err := wcs.PixelMap(fc, tc)
	if err != nil {
		return region.Desc{}, fmt.Errorf("their sky frames differ: %w", err)
	}
	return region.Convert(d, m)
}

// celestial reads the image's celestial coordinates (microseconds: a
// few header look-ups).
func (f *frame) celestial() (*wcs.Celestial, error) {
	c, err := wcs.FromHeader(f.img.HDU.Header)
	if err != nil {
		return nil, fmt.Errorf("file %d (%s) has no usable celestial coordinates: %w", f.id, f.name, err)
	}
	// wcs takes x along the lower-numbered celestial axis; the image's x
	// must be that axis too.
	ax := f.layout.Axes
	if min(c.LonAxis, c.LatAxis) != ax.SpatialX || max(c.LonAxis, c.LatAxis) != ax.SpatialY {
		return nil, fmt.Errorf("file %d (%s) has no usable celestial coordinates: its sky axes %d and %d are not its image axes %d and %d",
			f.id, f.name, c.LonAxis, c.LatAxis, ax.SpatialX, ax.SpatialY)
	}
	return c, nil
}

// matchError is why a region cannot be used on another image. It counts
// as an empty region (errors.Is region.ErrNoPixels): the reference
// answers such requests with the data of a region outside the image
// (NumPixels 0, NaN) when its RegionConverter finds no region.
type matchError struct {
	id, from, to int32
	err          error
}

func (e *matchError) Error() string {
	return fmt.Sprintf("region %d of file %d cannot be applied to file %d: %v", e.id, e.from, e.to, e.err)
}

func (e *matchError) Unwrap() error { return e.err }

// Is makes a matchError a region.ErrNoPixels.
func (e *matchError) Is(target error) bool { return target == region.ErrNoPixels }

// warnMismatch tells the client, once per requirements message, that
// view v cannot be computed because the images' coordinates do not
// match (no celestial axes, frames that do not convert), so a client
// does not take the empty results that follow for an empty region. The
// reference only logs this; a region outside the other image is not
// worth a warning.
func (s *Session) warnMismatch(v *regionState) {
	if v.convErr == nil || errors.Is(v.convErr, region.ErrNotConverted) || errors.Is(v.convErr, errImageClosed) {
		return
	}
	f := s.frame(v.fileID)
	if f == nil {
		return
	}
	msg := f.folder.Redact(v.convErr.Error())
	f.work.add(job{kind: jobData, run: func(ctx context.Context) {
		f.sess.send(ctx, icd.EventType_ERROR_DATA, &icd.ErrorData{
			Severity: icd.ErrorSeverity_WARNING, Tags: []string{"cartago", "region"}, Message: msg,
		})
	}})
}

// errImageClosed: one of the two images closed while a view was made.
var errImageClosed = errors.New("the image is closed")

// viewsOn returns the views on image fileID of the regions of other
// images that have requirements there, by id.
func (s *Session) viewsOn(fileID int32) []*regionState {
	s.rmu.Lock()
	var rs []*regionState
	for _, r := range s.regions {
		if r.fileID != fileID && r.matched[fileID] != nil {
			rs = append(rs, r.clone())
		}
	}
	s.rmu.Unlock()
	slices.SortFunc(rs, func(a, b *regionState) int { return cmp.Compare(a.id, b.id) })
	views := make([]*regionState, len(rs))
	for i, r := range rs {
		views[i] = s.viewOn(r, fileID)
	}
	return views
}

// analysedOn returns every region with results on image fileID: its own
// regions, then the views of other images' regions.
func (s *Session) analysedOn(fileID int32) []*regionState {
	return append(s.regionsOn(fileID), s.viewsOn(fileID)...)
}

// refreshMatched queues the data of r on every other open image it has
// requirements on (after the region changed or was restored).
func (s *Session) refreshMatched(r *regionState) {
	for _, id := range slices.Sorted(maps.Keys(r.matched)) {
		if f := s.frame(id); f != nil {
			f.refreshRegion(s.viewOn(r, id), true)
		}
	}
}

// matchedOf restores regionState.matched from a snapshot.
func matchedOf(stored map[int32]*store.Region) map[int32]*regionState {
	if len(stored) == 0 {
		return nil
	}
	out := make(map[int32]*regionState, len(stored))
	for id, sr := range stored {
		out[id] = &regionState{stats: sr.Stats, hists: sr.Histograms, spectral: sr.Spectral, spatial: sr.Spatial, memo: &convMemo{}}
	}
	return out
}

// matchedSnapshot is regionState.matched as stored in a snapshot.
func matchedSnapshot(matched map[int32]*regionState) map[int32]*store.Region {
	if len(matched) == 0 {
		return nil
	}
	out := make(map[int32]*store.Region, len(matched))
	for id, m := range matched {
		out[id] = &store.Region{Stats: cloneAll(m.stats), Histograms: cloneAll(m.hists),
			Spectral: cloneAll(m.spectral), Spatial: cloneAll(m.spatial)}
	}
	return out
}
