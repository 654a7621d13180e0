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
		snap.Images = append(snap.Images, f.snapshot())
	}
	// Images of a restored snapshot that nobody asked for yet stay
	// stored until the frontend's RESUME_SESSION decides about them.
	for _, img := range pending {
		if !slices.ContainsFunc(snap.Images, func(i *store.Image) bool { return i.FileId == img.FileId }) {
			snap.Images = append(snap.Images, img)
		}
	}
	return snap
}

func (f *frame) snapshot() *store.Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	img := &store.Image{
		FileId: f.id, Directory: f.dir, File: f.name, Hdu: f.hdu,
		Channel: int32(f.channel), Stokes: int32(f.stokes), RenderMode: icd.RenderMode_RASTER,
		SupportAipsBeam: f.aipsBeam,
	}
	if f.cursor != nil {
		img.Cursor = proto.CloneOf(f.cursor)
	}
	for _, c := range f.spatial {
		img.CursorSpatial = append(img.CursorSpatial, proto.CloneOf(c))
	}
	for _, c := range f.spectral {
		img.CursorSpectral = append(img.CursorSpectral, proto.CloneOf(c))
	}
	for _, c := range f.imgHists {
		img.ImageHistograms = append(img.ImageHistograms, proto.CloneOf(c))
	}
	if f.cubeHist != nil {
		img.CubeHistogram = proto.CloneOf(f.cubeHist)
	}
	return img
}
