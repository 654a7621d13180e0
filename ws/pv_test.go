package ws

import (
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// A PV image over a real websocket: the response opens it, the cursor
// reads its box means (the cube is linear in x, y and channel, so a
// box's mean is the value at its centre) and its tiles are served.
func TestPVOverWebsocket(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	sendMsg(t, c, icd.EventType_SET_REGION, 30, 6, &icd.SetRegion{FileId: 0, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_LINE,
		ControlPoints: []*icd.Point{{X: 10, Y: 10}, {X: 20, Y: 10}}}})
	var rack icd.SetRegionAck
	for rack.RegionId == 0 {
		h, b := next(t, c)
		if h.Type == icd.EventType_SET_REGION_ACK {
			must(t, proto.Unmarshal(b, &rack))
		}
	}
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: rack.RegionId, Width: 3})
	var resp icd.PvResponse
	for {
		h, b := next(t, c)
		if h.Type == icd.EventType_PV_PROGRESS {
			continue
		}
		if h.Type != icd.EventType_PV_RESPONSE || h.RequestID != 7 {
			t.Fatalf("got %s/req %d, want PV_RESPONSE/req 7", h.Type, h.RequestID)
		}
		must(t, proto.Unmarshal(b, &resp))
		break
	}
	ack := resp.OpenFileAck
	if !resp.Success || ack.FileId != 1 || ack.FileInfoExtended.Width != 11 || ack.FileInfoExtended.Height != cubeD {
		t.Fatalf("response %+v", &resp)
	}
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 8, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: 4, Y: 2}})
	for {
		h, b := next(t, c)
		if h.Type != icd.EventType_SPATIAL_PROFILE_DATA {
			continue // the image histogram
		}
		var sp icd.SpatialProfileData
		must(t, proto.Unmarshal(b, &sp))
		if want := float64(cubeValue(16, 10, 2)); sp.FileId != 1 || math.Abs(float64(sp.Value)-want) > 1e-6*want {
			t.Fatalf("cursor on the PV image: %+v, want %g", &sp, want)
		}
		break
	}
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 9, &icd.AddRequiredTiles{FileId: 1, Tiles: []int32{0},
		CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11})
	for {
		h, b := next(t, c)
		if h.Type != icd.EventType_RASTER_TILE_DATA {
			continue
		}
		var td icd.RasterTileData
		must(t, proto.Unmarshal(b, &td))
		if td.FileId != 1 || len(td.Tiles) != 1 || td.Tiles[0].Width != 11 || td.Tiles[0].Height != cubeD {
			t.Fatalf("tile of the PV image: file %d, %d tiles", td.FileId, len(td.Tiles))
		}
		break
	}
}
