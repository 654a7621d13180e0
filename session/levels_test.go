package session

import (
	"encoding/binary"
	"math"
	"testing"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/tiles"
)

// Tiles below full resolution are cut from a whole mip level the frame
// keeps (levels.go); they must be the block means tiles.Render computes
// from the plane, bit for bit, the first time and again from the level
// held, and after a channel change.
func TestLevelTilesAsRendered(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	tile := tiles.Tile{X: 0, Y: 0, Layer: 0} // mip 2: the whole 300×200 image
	for _, channel := range []int{0, 0, 3} {
		if channel != 0 {
			sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 7, &icd.SetImageChannels{FileId: 0, Channel: int32(channel)})
		}
		sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 6, &icd.AddRequiredTiles{FileId: 0,
			Tiles: []int32{tile.Encode()}, CompressionType: icd.CompressionType_NONE})
		msg := &icd.RasterTileData{Channel: -1}
		for msg.Channel != int32(channel) {
			skipTo(t, c, icd.EventType_RASTER_TILE_DATA, msg)
		}
		p := imaging.Plane{Width: cubeW, Height: cubeH, Data: make([]float32, cubeW*cubeH)}
		for y := range cubeH {
			for x := range cubeW {
				p.Data[y*cubeW+x] = cubeValue(x, y, channel)
				if x < 4 && y < 4 {
					p.Data[y*cubeW+x] = float32(math.NaN())
				}
			}
		}
		want, _, err := tiles.Render(nil, p, tile)
		must(t, err)
		got := msg.Tiles[0].ImageData
		if len(got) != 4*len(want) {
			t.Fatalf("channel %d: %d bytes, want %d", channel, len(got), 4*len(want))
		}
		for i, w := range want {
			if math.IsNaN(float64(w)) {
				w = -math.MaxFloat32 // the raw encoding's blank
			}
			if g := binary.LittleEndian.Uint32(got[4*i:]); g != math.Float32bits(w) {
				t.Fatalf("channel %d value %d: %v, want %v", channel, i, math.Float32frombits(g), w)
			}
		}
	}
}
