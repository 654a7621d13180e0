package session

import (
	"encoding/binary"
	"math"
	"testing"

	"cartago/icd"
	"cartago/imaging/tiles"
	"cartago/imaging/zfp"
)

// decodeZFPTile decodes a tile as the frontend's worker does: the zfp
// stream at floor(quality), then blank runs from nan_encodings.
func decodeZFPTile(t *testing.T, td *icd.TileData, quality float32) []float32 {
	t.Helper()
	var d zfp.Decoder
	vals, err := d.Decode(nil, td.ImageData, int(td.Width), int(td.Height), int(quality))
	must(t, err)
	pos, blank := 0, false
	for i := 0; i+4 <= len(td.NanEncodings); i += 4 {
		n := int(int32(binary.LittleEndian.Uint32(td.NanEncodings[i:])))
		if blank {
			for j := pos; j < pos+n; j++ {
				vals[j] = -math.MaxFloat32
			}
		}
		pos += n
		blank = !blank
	}
	if pos != len(vals) {
		t.Fatalf("NaN runs cover %d of %d pixels", pos, len(vals))
	}
	return vals
}

func TestZFPTiles(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	for _, quality := range []float32{11, 22} {
		sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 6, &icd.AddRequiredTiles{FileId: 0,
			Tiles: []int32{tiles.Encode(0, 0, 1), tiles.Encode(1, 0, 1)}, CompressionType: icd.CompressionType_ZFP, CompressionQuality: quality})
		start := expect(t, c, icd.EventType_RASTER_TILE_SYNC, &icd.RasterTileSync{})
		for range start.TileCount {
			msg := expect(t, c, icd.EventType_RASTER_TILE_DATA, &icd.RasterTileData{})
			if msg.CompressionType != icd.CompressionType_ZFP || (msg.CompressionQuality != quality && msg.CompressionQuality != 32) {
				t.Fatalf("tile compression %v quality %g, asked ZFP %g", msg.CompressionType, msg.CompressionQuality, quality)
			}
			td := msg.Tiles[0]
			got := decodeZFPTile(t, td, msg.CompressionQuality)
			if raw := 4 * len(got); len(td.ImageData) >= raw {
				t.Errorf("ZFP tile of %d bytes is no smaller than raw %d", len(td.ImageData), raw)
			}
			// Fixed precision p keeps about p-3 bits of the block maximum
			// (< 300·1000 here); allow 2^-(p-4) of it.
			tol := 300000 * math.Ldexp(1, -int(msg.CompressionQuality)+4)
			x0 := int(td.X) * 256
			for y := range int(td.Height) {
				for x := range int(td.Width) {
					v := got[y*int(td.Width)+x]
					if x0+x < 4 && y < 4 {
						if v != -math.MaxFloat32 {
							t.Fatalf("blank pixel (%d,%d) decoded as %g", x0+x, y, v)
						}
						continue
					}
					if want := float64(cubeValue(x0+x, y, 0)); math.Abs(float64(v)-want) > tol {
						t.Fatalf("quality %g: pixel (%d,%d) = %g, want %g ± %g", quality, x0+x, y, v, want, tol)
					}
				}
			}
		}
		expect(t, c, icd.EventType_RASTER_TILE_SYNC, &icd.RasterTileSync{})
	}
}
