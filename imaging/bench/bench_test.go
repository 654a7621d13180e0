package bench

import (
	"testing"

	"cartago/imaging/tiles"
)

func TestViewTiles(t *testing.T) {
	const n = 4096
	cases := []struct {
		name        string
		v           View
		mip, layer  int
		count       int
		first, last tiles.Tile
	}{
		// 1600/1024 and 1000/1024 of the image at mip 4: all 4×4 tiles.
		{"fit", FitView(n, n, 1600, 1000), 4, 2, 16, tiles.Tile{X: 1, Y: 1, Layer: 2}, tiles.Tile{X: 3, Y: 3, Layer: 2}},
		// x in [1248, 2848) → columns 4..11, y in [1548, 2548) → rows 6..9.
		{"full-res 1600x1000", FullResView(n, n, 1600, 1000), 1, 4, 32, tiles.Tile{X: 7, Y: 7, Layer: 4}, tiles.Tile{X: 11, Y: 9, Layer: 4}},
		// x in [1088, 3008) → columns 4..11, y in [1508, 2588) → rows 5..10.
		{"full-res 1920x1080", FullResView(n, n, 1920, 1080), 1, 4, 48, tiles.Tile{X: 7, Y: 7, Layer: 4}, tiles.Tile{X: 11, Y: 10, Layer: 4}},
		{"whole image in one tile", FitView(n, n, 256, 256), 16, 0, 1, tiles.Tile{Layer: 0}, tiles.Tile{Layer: 0}},
	}
	for _, c := range cases {
		ts := c.v.Tiles(n, n)
		if got := c.v.Mip(); got != c.mip {
			t.Errorf("%s: mip %d, want %d", c.name, got, c.mip)
		}
		if len(ts) != c.count || ts[0] != c.first || ts[len(ts)-1] != c.last {
			t.Errorf("%s: %d tiles from %v to %v, want %d from %v to %v", c.name, len(ts), ts[0], ts[len(ts)-1], c.count, c.first, c.last)
			continue
		}
		seen := map[tiles.Tile]bool{}
		for _, tile := range ts {
			if _, err := tiles.Locate(tile, n, n); err != nil || tile.Layer != c.layer || seen[tile] {
				t.Errorf("%s: tile %v (err %v, duplicate %v)", c.name, tile, err, seen[tile])
			}
			seen[tile] = true
		}
	}
}

func TestViewOffImage(t *testing.T) {
	v := FullResView(4096, 4096, 100, 100)
	v.CenterX = -1000
	if ts := v.Tiles(4096, 4096); len(ts) != 0 {
		t.Errorf("view left of the image: %v", ts)
	}
}
