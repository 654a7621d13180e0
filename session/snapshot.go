package session

import (
	"cmp"
	"slices"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/store"
)

// snapshot captures what a restarted server needs to rebuild s.
func (s *Session) snapshot() *store.Snapshot {
	snap := &store.Snapshot{
		SessionId: s.ID, Owner: s.owner,
		CreatedUnixMs: s.Created.UnixMilli(), LastActiveUnixMs: s.lastActive.Load(),
	}
	s.fmu.Lock()
	frames := make([]*frame, 0, len(s.frames))
	for _, f := range s.frames {
		frames = append(frames, f)
	}
	pending := s.pending
	s.fmu.Unlock()
	slices.SortFunc(frames, func(a, b *frame) int { return cmp.Compare(a.seq, b.seq) })
	for _, f := range frames {
		snap.Images = append(snap.Images, s.imageSnapshot(f))
	}
	// Images of a restored snapshot that nobody asked for yet stay
	// stored until the frontend's RESUME_SESSION decides about them.
	for _, img := range pending {
		if !slices.ContainsFunc(snap.Images, func(i *store.Image) bool { return i.FileId == img.FileId }) {
			snap.Images = append(snap.Images, img)
		}
	}
	snap.Catalogs = s.cats.snapshot()
	return snap
}

// imageSnapshot is f's snapshot with the regions defined on it.
func (s *Session) imageSnapshot(f *frame) *store.Image {
	img := f.snapshot()
	for _, r := range s.regionsOn(f.id) {
		if img.Regions == nil {
			img.Regions = map[int32]*store.Region{}
		}
		img.Regions[r.id] = &store.Region{Info: proto.CloneOf(r.info), Stats: cloneAll(r.stats),
			Histograms: cloneAll(r.hists), Spectral: cloneAll(r.spectral), Spatial: cloneAll(r.spatial),
			Matched: matchedSnapshot(r.matched)}
	}
	return img
}

func cloneAll[M proto.Message](ms []M) []M {
	out := make([]M, 0, len(ms))
	for _, m := range ms {
		out = append(out, proto.CloneOf(m))
	}
	return out
}

func (f *frame) snapshot() *store.Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	img := &store.Image{
		FileId: f.id, Directory: f.dir, File: f.name, Hdu: f.hdu,
		Channel: int32(f.channel), Stokes: int32(f.stokes), RenderMode: icd.RenderMode_RASTER,
		SupportAipsBeam: f.aipsBeam, StokesFiles: f.concatFiles(),
	}
	switch r := f.recipe.(type) {
	case *store.MomentRecipe:
		img.Moment = proto.CloneOf(r)
	case *store.FitRecipe:
		img.Fit = proto.CloneOf(r)
	case *store.PvRecipe:
		img.Pv = proto.CloneOf(r)
	}
	if f.cursor != nil {
		img.Cursor = proto.CloneOf(f.cursor)
	}
	img.CursorSpatial = cloneAll(f.spatial)
	img.CursorSpectral = cloneAll(f.spectral)
	img.ImageHistograms = cloneAll(f.imgHists)
	img.ImageStats = cloneAll(f.imgStats)
	if f.cubeHist != nil {
		img.CubeHistogram = proto.CloneOf(f.cubeHist)
	}
	if f.vector != nil {
		img.VectorOverlay = proto.CloneOf(f.vector)
	}
	if f.contours != nil {
		img.Contours = proto.CloneOf(f.contours)
	}
	return img
}
