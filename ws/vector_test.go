package ws

import (
	"math"
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/tiles"
	"cartago/store"
)

// readVectorOverlay reads VECTOR_OVERLAY_TILE_DATA messages up to the
// one of progress 1.
func readVectorOverlay(t *testing.T, c *websocket.Conn) []*icd.VectorOverlayTileData {
	t.Helper()
	var out []*icd.VectorOverlayTileData
	for {
		var m icd.VectorOverlayTileData
		skipTo(t, c, icd.EventType_VECTOR_OVERLAY_TILE_DATA, &m)
		out = append(out, &m)
		if m.Progress >= 1 {
			return out
		}
	}
}

// TestVectorOverlay: the frontend's polarization vectors. On the Stokes
// cube (Q = 3s, U = 4s, I = 100 + x) with 2-pixel averaging the
// intensity is √(Q²+U²) = 5·s of the block means, fractional 100·5s/I,
// the angle ½·atan2(4, 3); a threshold on I blanks the blocks below it;
// a channel change sends the new channel's vectors, and a clear sends an
// empty message.
func TestVectorOverlay(t *testing.T) {
	c := stokesClient(t, true)
	set := &icd.SetVectorOverlayParameters{FileId: 0, ImageBounds: &icd.ImageBounds{XMax: polW, YMax: polH},
		SmoothingFactor: 2, Threshold: math.NaN(), StokesIntensity: 1, StokesAngle: 1, CompressionType: icd.CompressionType_NONE}
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 3, set)
	msgs := readVectorOverlay(t, c)
	if len(msgs) != 1 || len(msgs[0].IntensityTiles) != 1 || len(msgs[0].AngleTiles) != 1 {
		t.Fatalf("%d messages, want one tile of intensity and angle: %v", len(msgs), msgs)
	}
	pi, pa := msgs[0].IntensityTiles[0], msgs[0].AngleTiles[0]
	if pi.Width != polW/2 || pi.Height != polH/2 || pi.Mip != 2 || msgs[0].Channel != 0 || msgs[0].StokesIntensity != 1 {
		t.Fatalf("intensity tile %dx%d mip %d, channel %d", pi.Width, pi.Height, pi.Mip, msgs[0].Channel)
	}
	// Block (bx, by) averages y = 2by, 2by+1: s = 1 + 2by + 0.5.
	blockS := func(by, ch int) float64 { return 1.5 + 2*float64(by) + float64(ch) }
	ivals, avals := floats(pi.ImageData), floats(pa.ImageData)
	wantAngle := math.Atan2(4, 3) * 90 / math.Pi
	for by := range polH / 2 {
		for bx := range polW / 2 {
			k := by*polW/2 + bx
			if got, want := float64(ivals[k]), 5*blockS(by, 0); math.Abs(got-want) > 1e-5*want {
				t.Fatalf("intensity of block (%d, %d) = %g, want %g", bx, by, got, want)
			}
			if math.Abs(float64(avals[k])-wantAngle) > 1e-4 {
				t.Fatalf("angle of block (%d, %d) = %g, want %g", bx, by, avals[k], wantAngle)
			}
		}
	}

	// Fractional, with a threshold of 105 on I: block bx averages
	// I = 100.5 + 2bx, so blocks 0 to 2 are blank.
	set.Fractional, set.Threshold = true, 105
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 4, set)
	msgs = readVectorOverlay(t, c)
	ivals = floats(msgs[0].IntensityTiles[0].ImageData)
	for bx := range polW / 2 {
		i := 100.5 + 2*float64(bx)
		got := float64(ivals[bx]) // block row 0
		if i < 105 {
			if !math.IsNaN(got) {
				t.Errorf("block %d with I %g below the threshold: %g, want NaN", bx, i, got)
			}
			continue
		}
		if want := 100 * 5 * blockS(0, 0) / i; math.Abs(got-want) > 1e-4*want {
			t.Errorf("fractional intensity of block %d = %g, want %g", bx, got, want)
		}
	}

	// A channel change sends channel 2's vectors after its contours.
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 5, &icd.SetImageChannels{FileId: 0, Channel: 2})
	msgs = readVectorOverlay(t, c)
	if msgs[0].Channel != 2 {
		t.Fatalf("vectors of channel %d after the change to 2", msgs[0].Channel)
	}
	ivals = floats(msgs[0].IntensityTiles[0].ImageData)
	if want := 100 * 5 * blockS(0, 2) / 118.5; math.Abs(float64(ivals[9])-want) > 1e-4*want {
		t.Errorf("channel 2 fractional intensity of block 9 = %g, want %g", ivals[9], want)
	}

	// Clearing sends one empty message.
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 6, &icd.SetVectorOverlayParameters{FileId: 0, StokesIntensity: -1, StokesAngle: -1})
	msgs = readVectorOverlay(t, c)
	if len(msgs) != 1 || len(msgs[0].IntensityTiles)+len(msgs[0].AngleTiles) != 0 {
		t.Fatalf("clear: %v", msgs)
	}
	noErrorsToPong(t, c)
}

// TestResumeWithVectorOverlay: the overlay settings are part of the
// stored session; after a restart the frontend's RESUME_SESSION carries
// them and the vectors come back before the ack. On an image without a
// Stokes axis the current plane is both intensity and angle.
func TestResumeWithVectorOverlay(t *testing.T) {
	d := newDurable(t)
	c := d.ts.dial(t, d.token)
	id := register(t, c, 0).SessionId
	openCube(t, c, 0)
	set := &icd.SetVectorOverlayParameters{FileId: 0, ImageBounds: &icd.ImageBounds{XMax: cubeW, YMax: cubeH},
		SmoothingFactor: 4, Threshold: math.NaN(), StokesIntensity: 1, StokesAngle: 1, CompressionType: icd.CompressionType_ZFP, CompressionQuality: 16}
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 3, set)
	first := readVectorOverlay(t, c)
	d.waitStored(id, func(s *store.Snapshot) bool { return s.GetImages()[0].GetVectorOverlay().GetSmoothingFactor() == 4 })
	c.Close()
	d.restart()

	c = d.ts.dial(t, d.token)
	register(t, c, id)
	sendMsg(t, c, icd.EventType_RESUME_SESSION, 30, 2, &icd.ResumeSession{Images: []*icd.ImageProperties{{
		Directory: ".", File: "cube.fits", FileId: 0, VectorOverlaySettings: set}}})
	var resumed []*icd.VectorOverlayTileData
	for {
		h, p := next(t, c)
		if h.Type == icd.EventType_VECTOR_OVERLAY_TILE_DATA {
			var m icd.VectorOverlayTileData
			must(t, proto.Unmarshal(p, &m))
			resumed = append(resumed, &m)
		}
		if h.Type == icd.EventType_RESUME_SESSION_ACK {
			break
		}
	}
	if len(resumed) != len(first) || resumed[len(resumed)-1].Progress != 1 {
		t.Fatalf("%d vector messages before the resume ack, want %d ending at progress 1", len(resumed), len(first))
	}
	tile := resumed[0].IntensityTiles[0]
	// 300×200 at 4-pixel averaging: one 75×50 tile, ZFP with NaN runs
	// for the blank corner.
	if tile.Width != 75 || tile.Height != 50 || len(tile.NanEncodings) == 0 || !proto.Equal(tile, first[0].IntensityTiles[0]) {
		t.Fatalf("resumed vector tile %dx%d, %d bytes of NaN runs; same as before the restart: %v",
			tile.Width, tile.Height, len(tile.NanEncodings), proto.Equal(tile, first[0].IntensityTiles[0]))
	}
}

// TestVectorOverlayFollowsAnimation: each animation frame carries the
// vectors of its channel, before its tiles.
func TestVectorOverlayFollowsAnimation(t *testing.T) {
	c := stokesClient(t, true)
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 3, &icd.SetVectorOverlayParameters{FileId: 0,
		SmoothingFactor: 2, Threshold: math.NaN(), StokesIntensity: 1, StokesAngle: 1})
	readVectorOverlay(t, c)
	sendMsg(t, c, icd.EventType_START_ANIMATION, 30, 4, &icd.StartAnimation{
		FileId: 0, FirstFrame: &icd.AnimationFrame{}, StartFrame: &icd.AnimationFrame{},
		LastFrame: &icd.AnimationFrame{Channel: polD - 1}, DeltaFrame: &icd.AnimationFrame{Channel: 1}, FrameRate: 30,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}},
	})
	vectorsOf := -1
	for frames := 0; frames < 2; {
		h, p := next(t, c)
		switch h.Type {
		case icd.EventType_VECTOR_OVERLAY_TILE_DATA:
			var m icd.VectorOverlayTileData
			must(t, proto.Unmarshal(p, &m))
			vectorsOf = int(m.Channel)
		case icd.EventType_RASTER_TILE_SYNC:
			var s icd.RasterTileSync
			must(t, proto.Unmarshal(p, &s))
			if s.EndSync || s.AnimationId == 0 {
				continue
			}
			if vectorsOf != int(s.Channel) {
				t.Fatalf("frame of channel %d; the last vectors were of channel %d", s.Channel, vectorsOf)
			}
			frames++
		}
	}
	sendMsg(t, c, icd.EventType_STOP_ANIMATION, 30, 5, &icd.StopAnimation{FileId: 0, EndFrame: &icd.AnimationFrame{Channel: 1}})
	drainToPong(t, c)
}
