package tiles

import (
	"context"
	"errors"
	"math"
	"testing"

	"cartago/imaging"
)

// Every tile of every layer below full resolution, cut from its level,
// must be bit for bit the tile Render computes from the plane (NaN
// bands, scattered NaN and ±Inf, edge tiles, odd sizes, planes a few
// pixels off a multiple of the mip, levels split into several bands).
func TestLevelTilesEqualRender(t *testing.T) {
	for _, sz := range [][2]int{{1000, 700}, {513, 1030}, {4096 + 3, 260}, {300, 3}} {
		p := testPlane(sz[0], sz[1], uint64(sz[0]*sz[1]))
		layers := Layers(p.Width, p.Height)
		for layer := range layers {
			mip := Mip(layer, layers)
			l, err := MakeLevel(context.Background(), p, mip)
			if err != nil {
				t.Fatal(err)
			}
			nx, ny := LayerTiles(layer, p.Width, p.Height)
			for ty := range ny {
				for tx := range nx {
					tile := Tile{X: tx, Y: ty, Layer: layer}
					want, wr, err := Render(nil, p, tile)
					if err != nil {
						t.Fatal(err)
					}
					got, gr, err := RenderFromLevel(nil, l, tile, p.Width, p.Height)
					if err != nil {
						t.Fatal(err)
					}
					if gr != wr || len(got) != len(want) {
						t.Fatalf("%v of %d×%d: rect %+v len %d, want %+v len %d", tile, p.Width, p.Height, gr, len(got), wr, len(want))
					}
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%v of %d×%d (mip %d), value %d: %v, want %v", tile, p.Width, p.Height, mip, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

func TestLevelErrors(t *testing.T) {
	p := testPlane(600, 600, 1)
	if _, err := MakeLevel(context.Background(), p, 1); !errors.Is(err, ErrBadRect) {
		t.Errorf("mip 1: %v, want ErrBadRect", err)
	}
	if _, err := MakeLevel(context.Background(), imaging.Plane{Width: 10, Height: 10, Data: make([]float32, 99)}, 2); !errors.Is(err, ErrBadRect) {
		t.Errorf("short data: %v, want ErrBadRect", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MakeLevel(ctx, p, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	l, err := MakeLevel(context.Background(), p, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := RenderFromLevel(nil, l, Tile{Layer: Layers(600, 600) - 2}, 600, 600); !errors.Is(err, ErrBadRect) {
		t.Errorf("tile of mip 4 from a mip-2 level: %v, want ErrBadRect", err)
	}
}
