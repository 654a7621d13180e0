package tiles

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		x, y, layer int
		want        int32
	}{
		{0, 0, 0, 0},
		{1, 0, 0, Invalid}, // x ≥ 2^0
		{0, 1, 0, Invalid},
		{1, 1, 1, 1<<24 | 1<<12 | 1},
		{2, 1, 1, Invalid},
		{3, 2, 2, 2<<24 | 2<<12 | 3},
		{4095, 4095, 12, 12<<24 | 4095<<12 | 4095},
		{0, 0, 13, Invalid},
		{-1, 0, 3, Invalid},
		{0, -1, 3, Invalid},
		{0, 0, -1, Invalid},
	}
	for _, tt := range tests {
		if got := Encode(tt.x, tt.y, tt.layer); got != tt.want {
			t.Errorf("Encode(%d, %d, %d) = %d, want %d", tt.x, tt.y, tt.layer, got, tt.want)
		}
		if tt.want == Invalid {
			continue
		}
		if got := Decode(tt.want); got != (Tile{tt.x, tt.y, tt.layer}) {
			t.Errorf("Decode(%d) = %+v", tt.want, got)
		}
	}
}

// TestDecodeMatchesReferenceBackend checks Decode against the reference
// backend's formulation (sign-extend the 13-bit fields, then wrap mod 4096
// / mod 128), which must agree with the frontend's masks for every int32.
func TestDecodeMatchesReferenceBackend(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []int32{-1, math.MinInt32, math.MaxInt32, 0, 1 << 24, -(1 << 24)}
	for range 100000 {
		vals = append(vals, int32(r.Uint32()))
	}
	for _, v := range vals {
		x := ((v<<19)>>19 + 4096) % 4096
		y := ((v<<7)>>19 + 4096) % 4096
		layer := (v>>24 + 128) % 128
		want := Tile{int(x), int(y), int(layer)}
		if got := Decode(v); got != want {
			t.Fatalf("Decode(%d) = %+v, want %+v", v, got, want)
		}
		// The sign bit is ignored by both decoders, so only non-negative
		// ids must round-trip.
		if tl := Decode(v); v >= 0 && tl.Valid() && tl.Encode() != v {
			t.Fatalf("Decode(%d) is valid but re-encodes to %d", v, tl.Encode())
		}
	}
}

// layersFloat is the frontend's formula in floating point.
func layersFloat(w, h int) int {
	tx := math.Ceil(float64(w) / Size)
	ty := math.Ceil(float64(h) / Size)
	return int(math.Ceil(math.Log2(math.Max(tx, ty))))
}

func TestLayers(t *testing.T) {
	tests := []struct{ w, h, want int }{
		{1, 1, 0},
		{255, 255, 0},
		{256, 256, 0},
		{257, 257, 1},
		{257, 1, 1},
		{1, 257, 1},
		{512, 512, 1},
		{513, 100, 2},
		{1000, 800, 2},
		{4096, 4096, 4},
		{4097, 4096, 5},
		{5000, 3, 5},
		{0, 10, 0},
	}
	for _, tt := range tests {
		if got := Layers(tt.w, tt.h); got != tt.want {
			t.Errorf("Layers(%d, %d) = %d, want %d", tt.w, tt.h, got, tt.want)
		}
	}
	for w := 1; w < 70000; w += 37 {
		if got, want := Layers(w, 1), layersFloat(w, 1); got != want {
			t.Fatalf("Layers(%d, 1) = %d, float formula %d", w, got, want)
		}
	}
}

func TestMip(t *testing.T) {
	tests := []struct{ layer, n, want int }{
		{0, 0, 1}, {1, 0, 0}, {0, 4, 16}, {4, 4, 1}, {3, 4, 2}, {5, 4, 0}, {-1, 4, 0},
	}
	for _, tt := range tests {
		if got := Mip(tt.layer, tt.n); got != tt.want {
			t.Errorf("Mip(%d, %d) = %d, want %d", tt.layer, tt.n, got, tt.want)
		}
	}
}

func TestLocate(t *testing.T) {
	tests := []struct {
		name        string
		w, h        int
		tile        Tile
		bounds      image.Rectangle
		mip, tw, th int
		wantErr     error
	}{
		{"1x1", 1, 1, Tile{0, 0, 0}, image.Rect(0, 0, 1, 1), 1, 1, 1, nil},
		{"1x1 layer 1", 1, 1, Tile{0, 0, 1}, image.Rectangle{}, 0, 0, 0, ErrOutsideImage},
		{"255", 255, 255, Tile{0, 0, 0}, image.Rect(0, 0, 255, 255), 1, 255, 255, nil},
		{"256", 256, 256, Tile{0, 0, 0}, image.Rect(0, 0, 256, 256), 1, 256, 256, nil},
		{"257 layer 0", 257, 257, Tile{0, 0, 0}, image.Rect(0, 0, 257, 257), 2, 129, 129, nil},
		{"257 layer 1 (0,0)", 257, 257, Tile{0, 0, 1}, image.Rect(0, 0, 256, 256), 1, 256, 256, nil},
		{"257 layer 1 (1,0)", 257, 257, Tile{1, 0, 1}, image.Rect(256, 0, 257, 256), 1, 1, 256, nil},
		{"257 layer 1 (1,1)", 257, 257, Tile{1, 1, 1}, image.Rect(256, 256, 257, 257), 1, 1, 1, nil},
		{"1000x800 layer 0", 1000, 800, Tile{0, 0, 0}, image.Rect(0, 0, 1000, 800), 4, 250, 200, nil},
		{"1000x800 layer 1 (1,1)", 1000, 800, Tile{1, 1, 1}, image.Rect(512, 512, 1000, 800), 2, 244, 144, nil},
		{"1000x800 layer 2 (3,3)", 1000, 800, Tile{3, 3, 2}, image.Rect(768, 768, 1000, 800), 1, 232, 32, nil},
		{"1000x800 layer 2 (3,0)", 1000, 800, Tile{3, 0, 2}, image.Rect(768, 0, 1000, 256), 1, 232, 256, nil},
		{"1000x800 layer 3", 1000, 800, Tile{0, 0, 3}, image.Rectangle{}, 0, 0, 0, ErrOutsideImage},
		{"1000x800 x=4 layer 2", 1000, 800, Tile{4, 0, 2}, image.Rectangle{}, 0, 0, 0, ErrInvalidTile},
		{"4096 layer 0", 4096, 4096, Tile{0, 0, 0}, image.Rect(0, 0, 4096, 4096), 16, 256, 256, nil},
		{"4096 layer 2 (3,3)", 4096, 4096, Tile{3, 3, 2}, image.Rect(3072, 3072, 4096, 4096), 4, 256, 256, nil},
		{"4096 layer 4 (15,15)", 4096, 4096, Tile{15, 15, 4}, image.Rect(3840, 3840, 4096, 4096), 1, 256, 256, nil},
		{"5000x3 layer 0", 5000, 3, Tile{0, 0, 0}, image.Rect(0, 0, 5000, 3), 32, 157, 1, nil},
		{"5000x3 layer 3 (4,0)", 5000, 3, Tile{4, 0, 3}, image.Rect(4096, 0, 5000, 3), 4, 226, 1, nil},
		{"5000x3 layer 5 (19,0)", 5000, 3, Tile{19, 0, 5}, image.Rect(4864, 0, 5000, 3), 1, 136, 3, nil},
		{"5000x3 layer 5 (20,0)", 5000, 3, Tile{20, 0, 5}, image.Rectangle{}, 0, 0, 0, ErrOutsideImage},
		{"5000x3 layer 5 (0,1)", 5000, 3, Tile{0, 1, 5}, image.Rectangle{}, 0, 0, 0, ErrOutsideImage},
		{"negative", 5000, 3, Tile{-1, 0, 5}, image.Rectangle{}, 0, 0, 0, ErrInvalidTile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Locate(tt.tile, tt.w, tt.h)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if r.Bounds != tt.bounds || r.Mip != tt.mip || r.Width != tt.tw || r.Height != tt.th {
				t.Errorf("Locate = %+v, want bounds %v mip %d size %d×%d", r, tt.bounds, tt.mip, tt.tw, tt.th)
			}
		})
	}
}

// TestLayerCoverage checks, for odd image sizes, that the tiles of every
// layer cover the image exactly once and that their data sizes follow
// ceil(covered/mip).
func TestLayerCoverage(t *testing.T) {
	sizes := [][2]int{{1, 1}, {255, 255}, {256, 256}, {257, 257}, {1000, 800}, {4096, 4096}, {5000, 3}, {3, 5000}, {513, 1}}
	for _, s := range sizes {
		w, h := s[0], s[1]
		n := Layers(w, h)
		for layer := 0; layer <= n; layer++ {
			nx, ny := LayerTiles(layer, w, h)
			mip := Mip(layer, n)
			if nx > 1<<layer || ny > 1<<layer {
				t.Fatalf("%dx%d layer %d: %d×%d tiles exceed 2^layer", w, h, layer, nx, ny)
			}
			area, outW := 0, 0
			for y := range ny {
				for x := range nx {
					r, err := Locate(Tile{x, y, layer}, w, h)
					if err != nil {
						t.Fatalf("%dx%d tile (%d,%d,%d): %v", w, h, x, y, layer, err)
					}
					if r.Mip != mip || r.Width > Size || r.Height > Size {
						t.Fatalf("%dx%d tile (%d,%d,%d): %+v", w, h, x, y, layer, r)
					}
					if r.Width != (r.Bounds.Dx()+mip-1)/mip || r.Height != (r.Bounds.Dy()+mip-1)/mip {
						t.Fatalf("%dx%d tile (%d,%d,%d): size %d×%d for %v", w, h, x, y, layer, r.Width, r.Height, r.Bounds)
					}
					area += r.Bounds.Dx() * r.Bounds.Dy()
					if y == 0 {
						outW += r.Width
					}
				}
			}
			if area != w*h {
				t.Errorf("%dx%d layer %d: tiles cover %d pixels, want %d", w, h, layer, area, w*h)
			}
			if want := (w + mip - 1) / mip; outW != want {
				t.Errorf("%dx%d layer %d: row of tiles is %d wide, want %d", w, h, layer, outW, want)
			}
			if _, err := Locate(Tile{nx, 0, layer}, w, h); nx < 1<<layer && !errors.Is(err, ErrOutsideImage) {
				t.Errorf("%dx%d layer %d: tile x=%d beyond the edge gave %v", w, h, layer, nx, err)
			}
		}
	}
}
