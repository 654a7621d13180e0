package ws

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
	"cartago/session"
	"cartago/ws/wstest"
)

// The animation tests follow the reference's frame logic,
// CARTAvis/carta-backend src/Session/Session.cc (Session::
// ExecuteAnimationFrame, 2203-2278, and ExecuteAnimationFrameInner,
// 2056-2201) and src/Session/AnimationObject.h; line numbers are those of
// commit 66c7d752 of the reference.

// animD channels of 16×8 pixels in I, Q, U, V; a pixel holds
// 100·Stokes + channel.
const animD = 10

// animClient serves iquv.fits and opens it as files 0 .. files-1.
func animClient(t *testing.T, files int) *wstest.T {
	t.Helper()
	const w, h, s = 16, 8, 4
	root := t.TempDir()
	data := make([]float32, w*h*animD*s)
	for i := range data {
		data[i] = float32(100*(i/(w*h*animD)) + (i/(w*h))%animD)
	}
	writeFITS(t, filepath.Join(root, "iquv.fits"), []int{w, h, animD, s}, data,
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("CTYPE4", "STOKES", ""),
		fits.NewFloatCard("CRVAL4", 1, ""), fits.NewFloatCard("CDELT4", 1, ""), fits.NewFloatCard("CRPIX4", 1, ""))
	folder, err := session.NewFolder(root, "")
	must(t, err)
	c := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder}).client(t, testToken)
	c.Register(0)
	for id := range int32(files) {
		c.Send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: "iquv.fits", FileId: id})
		c.Await(icd.EventType_REGION_HISTOGRAM_DATA, nil, nil)
	}
	return c
}

// frame is a channel and a Stokes number as RASTER_TILE_SYNC carries them.
type frame struct{ channel, stokes int32 }

// animation is a START_ANIMATION of file 0 over one tile, at 30 frames a
// second, in the frontend's Stokes list (I, Q, U, V).
func animation(first, last, start, delta frame, looping, bounce bool) *icd.StartAnimation {
	af := func(f frame) *icd.AnimationFrame { return &icd.AnimationFrame{Channel: f.channel, Stokes: f.stokes} }
	return &icd.StartAnimation{
		FileId: 0, FirstFrame: af(first), LastFrame: af(last), StartFrame: af(start), DeltaFrame: af(delta),
		FrameRate: 30, Looping: looping, Reverse: bounce, StokesIndices: []int32{0, 1, 2, 3},
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}, CompressionQuality: 9},
	}
}

// played is what an animation sent: the frames whose tiles of file 0
// arrived, in order, and the image histograms (file, channel) that came
// before the first of them.
type played struct {
	frames []frame
	early  []frame // histograms before the first frame: file id as stokes
	id     int32
}

// play starts msg and reads until n frames of file 0 arrived.
func play(t *testing.T, c *wstest.T, msg *icd.StartAnimation, n int, each func(wstest.Message)) played {
	t.Helper()
	return collect(t, c, start(t, c, msg), n, each)
}

// start starts msg and returns the animation id.
func start(t *testing.T, c *wstest.T, msg *icd.StartAnimation) int32 {
	t.Helper()
	c.Send(icd.EventType_START_ANIMATION, msg)
	var ack icd.StartAnimationAck
	c.Await(icd.EventType_START_ANIMATION_ACK, nil, &ack)
	if !ack.Success {
		t.Fatalf("start: %+v", &ack)
	}
	return ack.AnimationId
}

// collect reads until n frames of file 0 arrived, reporting each back as
// the frontend does (ANIMATION_FLOW_CONTROL after each tile stream of the
// active file). each, if not nil, sees every message first.
func collect(t *testing.T, c *wstest.T, id int32, n int, each func(wstest.Message)) played {
	t.Helper()
	p := played{id: id}
	for len(p.frames) < n {
		m := c.Next()
		if each != nil {
			each(m)
		}
		switch {
		case m.Is(icd.EventType_REGION_HISTOGRAM_DATA) && len(p.frames) == 0:
			var h icd.RegionHistogramData
			must(t, m.Decode(&h))
			p.early = append(p.early, frame{h.Channel, h.FileId})
		case m.Is(icd.EventType_RASTER_TILE_SYNC):
			var s icd.RasterTileSync
			must(t, m.Decode(&s))
			if s.AnimationId != p.id {
				t.Fatalf("tile sync without the animation id %d: %+v", p.id, &s)
			}
			if s.EndSync && s.FileId == 0 {
				p.frames = append(p.frames, frame{s.Channel, s.Stokes})
				c.Send(icd.EventType_ANIMATION_FLOW_CONTROL, &icd.AnimationFlowControl{FileId: 0, AnimationId: p.id,
					ReceivedFrame: &icd.AnimationFrame{Channel: s.Channel, Stokes: s.Stokes}})
			}
		}
	}
	return p
}

func stop(c *wstest.T) {
	c.Send(icd.EventType_STOP_ANIMATION, &icd.StopAnimation{FileId: 0, EndFrame: &icd.AnimationFrame{}})
}

func channels(fs []frame) []int32 {
	out := make([]int32, len(fs))
	for i, f := range fs {
		out[i] = f.channel
	}
	return out
}

func checkFrames(t *testing.T, got []frame, want []int32) {
	t.Helper()
	if !slices.Equal(channels(got), want) {
		t.Fatalf("channels %v, want %v", channels(got), want)
	}
}

// Starting at the channel shown sends nothing for that frame:
// Frame::SetImageChannels is false when neither channel nor Stokes
// changes (src/Frame/Frame.cc:342), so ExecuteAnimationFrameInner sends
// no histogram, contours, tiles or region data (Session.cc:2151); the
// first data is for the next frame (Session.cc:2238-2254). Then forward
// looping returns to the first frame after the last (Session.cc:2246-2249).
func TestAnimationForwardFromTheCurrentChannel(t *testing.T) {
	c := animClient(t, 1) // open shows channel 0
	p := play(t, c, animation(frame{0, 0}, frame{animD - 1, 0}, frame{0, 0}, frame{1, 0}, true, false), 12, nil)
	stop(c)
	checkFrames(t, p.frames, []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2})
	if len(p.early) != 1 || p.early[0] != (frame{1, 0}) {
		t.Fatalf("histograms before the first frame: %v, want only channel 1's", p.early)
	}
}

// Backwards: a negative delta plays down (AnimationObject.h, "handle
// negative deltas"), and looping jumps from below the first frame to the
// last (Session.cc:2256-2267). The start frame, not shown yet, comes first.
func TestAnimationBackwardLoops(t *testing.T) {
	c := animClient(t, 1)
	p := play(t, c, animation(frame{2, 0}, frame{6, 0}, frame{4, 0}, frame{-1, 0}, true, false), 8, nil)
	stop(c)
	checkFrames(t, p.frames, []int32{4, 3, 2, 6, 5, 4, 3, 2})
}

// Bouncing turns at either end without moving: the next tick shows the
// end frame again (Session.cc:2244-2245, 2262-2263), which sends nothing
// (Frame.cc:342), so no frame repeats in what the client receives.
func TestAnimationBouncesWithoutRepeatingTheEnds(t *testing.T) {
	c := animClient(t, 1)
	c.Send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 0, Channel: 2})
	c.Await(icd.EventType_REGION_HISTOGRAM_DATA, nil, nil)
	p := play(t, c, animation(frame{2, 0}, frame{5, 0}, frame{2, 0}, frame{1, 0}, true, true), 9, nil)
	stop(c)
	checkFrames(t, p.frames, []int32{3, 4, 5, 4, 3, 2, 3, 4, 5})
}

// Blinking as the frontend asks for it (start at the first frame, delta
// the whole range, looping): first and last alternate, the step past the
// last returning to the first (Session.cc:2242-2249).
func TestAnimationBlinks(t *testing.T) {
	c := animClient(t, 1)
	p := play(t, c, animation(frame{2, 0}, frame{7, 0}, frame{2, 0}, frame{5, 0}, true, false), 5, nil)
	stop(c)
	checkFrames(t, p.frames, []int32{2, 7, 2, 7, 2})
}

// A delta above one steps over channels; a step past the last frame goes
// back to the first, not to where the overshoot would land
// (Session.cc:2239-2249).
func TestAnimationDeltaAboveOne(t *testing.T) {
	c := animClient(t, 1)
	p := play(t, c, animation(frame{1, 0}, frame{8, 0}, frame{1, 0}, frame{3, 0}, true, false), 7, nil)
	stop(c)
	checkFrames(t, p.frames, []int32{1, 4, 7, 1, 4, 7, 1})
}

// Without looping the animation ends after the last frame inside the
// range (recycle_task = false, Session.cc:2250-2251): nothing follows.
func TestAnimationEndsAtTheEndOfTheRange(t *testing.T) {
	c := animClient(t, 1)
	p := play(t, c, animation(frame{0, 0}, frame{9, 0}, frame{2, 0}, frame{4, 0}, false, false), 2, nil)
	checkFrames(t, p.frames, []int32{2, 6})
	c.ToPong(func(m wstest.Message) {
		if m.Is(icd.EventType_RASTER_TILE_SYNC) {
			t.Fatalf("a frame after the end: %s", m)
		}
	})
	time.Sleep(200 * time.Millisecond) // six frame intervals
	c.Barrier()
}

// Stokes animation steps through positions of the client's Stokes list,
// the frame's stokes being a position (AnimationObject.h
// _stokes_indices; Session.cc:2067 maps it): with the list the frontend
// sends for computed polarizations, positions 3..5 show V, Ptotal and
// PFtotal. Channel animation of a computed polarization keeps it.
func TestAnimationStokes(t *testing.T) {
	c := animClient(t, 1)
	msg := animation(frame{3, 3}, frame{3, 5}, frame{3, 3}, frame{0, 1}, true, false)
	msg.StokesIndices = []int32{0, 1, 2, 3, 13, 15}
	p := play(t, c, msg, 5, nil)
	stop(c)
	want := []frame{{3, 3}, {3, 13}, {3, 15}, {3, 3}, {3, 13}}
	if !slices.Equal(p.frames, want) {
		t.Fatalf("frames %v, want %v", p.frames, want)
	}
	c.ToPong(nil)

	msg = animation(frame{0, 4}, frame{2, 4}, frame{1, 4}, frame{1, 0}, true, false)
	msg.StokesIndices = []int32{0, 1, 2, 3, 13, 15}
	p = play(t, c, msg, 3, nil)
	stop(c)
	if want := []frame{{1, 13}, {2, 13}, {0, 13}}; !slices.Equal(p.frames, want) {
		t.Fatalf("channel animation of Ptotal: frames %v, want %v", p.frames, want)
	}
}

// Spectrally matched files follow the active file's channel through
// their list, indexed by the offset from the first frame, clamped to
// their channels and rounded; a file whose channel does not change sends
// nothing (Session.cc:2081-2115). Tiles a matched file asks for while the
// animation runs are kept (OnMessageTask.tcc:18, skip_data) and sent with
// the animation id when its channel changes (Session.cc:2142).
func TestAnimationMovesMatchedFiles(t *testing.T) {
	c := animClient(t, 2) // both files show channel 0
	msg := animation(frame{2, 0}, frame{5, 0}, frame{2, 0}, frame{1, 0}, true, false)
	msg.FrameRate = 3 // a flow window of one frame: each frame waits for the report of the last
	msg.MatchedFrames = map[int32]*icd.MatchedFrameList{1: {FrameNumbers: []float32{7.2, 5.6, 5.6, 42}}}
	id := start(t, c, msg)
	// Handled before the report of the first frame, so the second has it.
	c.Send(icd.EventType_ADD_REQUIRED_TILES, &icd.AddRequiredTiles{FileId: 1, Tiles: []int32{tiles.Encode(0, 0, 0)}, CompressionQuality: 9})
	var histograms, tileChannels []int32
	sibling := func(m wstest.Message) {
		switch {
		case m.Is(icd.EventType_REGION_HISTOGRAM_DATA):
			var h icd.RegionHistogramData
			must(t, m.Decode(&h))
			if h.FileId == 1 {
				histograms = append(histograms, h.Channel)
			}
		case m.Is(icd.EventType_RASTER_TILE_SYNC):
			var s icd.RasterTileSync
			must(t, m.Decode(&s))
			if s.FileId == 1 && s.EndSync {
				tileChannels = append(tileChannels, s.Channel)
			}
		}
	}
	p := collect(t, c, id, 5, sibling)
	// The matched file's part of the fifth frame runs on its own worker
	// and may still be under way; stopping now would cut it short.
	for len(histograms) < 4 || len(tileChannels) < 3 {
		sibling(c.Next())
	}
	stop(c)
	checkFrames(t, p.frames, []int32{2, 3, 4, 5, 2})
	// 2 → 7.2 → 7; 3 → 6; 4 → 6 unchanged; 5 → 42 clamped to 9; 2 → 7.
	// A sixth frame may start before STOP_ANIMATION is handled; it only
	// adds at the end.
	if want := []int32{7, 6, 9, 7}; !hasPrefix(histograms, want) {
		t.Errorf("matched file's histograms for channels %v, want %v", histograms, want)
	}
	if want := []int32{6, 9, 7}; !hasPrefix(tileChannels, want) {
		t.Errorf("matched file's tiles for channels %v, want %v", tileChannels, want)
	}
}

func hasPrefix(s, prefix []int32) bool {
	return len(s) >= len(prefix) && slices.Equal(s[:len(prefix)], prefix)
}

// The acknowledgement comes before any frame: the reference sends
// START_ANIMATION_ACK and only then queues the animation's first task
// (Session.cc:2049, OnMessageTask.cc:56-59). Repeated, since the old
// order lost the race only now and then.
func TestAnimationAckComesFirst(t *testing.T) {
	c := animClient(t, 1)
	for i := range 100 {
		msg := animation(frame{0, 0}, frame{animD - 1, 0}, frame{int32(1 + i%2), 0}, frame{1, 0}, true, false)
		c.Send(icd.EventType_START_ANIMATION, msg)
		c.Expect(icd.EventType_START_ANIMATION_ACK, nil) // the very next message
		stop(c)
		c.ToPong(nil)
	}
}
