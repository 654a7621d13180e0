package ws

import (
	"math"
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
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
