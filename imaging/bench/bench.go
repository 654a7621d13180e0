// Package bench holds what the imaging benchmarks share: the cached
// sample data set they read, and the tiles the frontend asks for to show
// a view of an image. It is used by benchmarks and by
// scripts/benchimaging, never by the server.
package bench

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"

	"cartago/imaging/sample"
	"cartago/imaging/tiles"
)

// Files of the full sample set (sample.Options{}) that the benchmarks
// read.
const (
	// Image is 4096×4096 float32 with NaN patches (64 MiB).
	Image = "image-4096.fits"
	// Cube is 512×512×200 float32 (200 MiB).
	Cube = "cube-512x512x200.fits"
)

// SampleDirEnv names the environment variable that overrides the sample
// directory, so scripts/bench-imaging.sh and the Go benchmarks read the
// same files.
const SampleDirEnv = "CARTAGO_BENCH_SAMPLE"

// SampleDir returns the directory holding the full sample set,
// generating whatever is missing first: $CARTAGO_BENCH_SAMPLE if set,
// else os.TempDir()/cartago-bench-sample. The generator is
// deterministic and skips files already there, so repeated runs reuse
// the files (about 300 MB) and every run reads the same bytes.
func SampleDir(ctx context.Context) (string, error) {
	dir := os.Getenv(SampleDirEnv)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "cartago-bench-sample")
	}
	if err := sample.Generate(ctx, dir, sample.Options{}); err != nil {
		return "", err
	}
	return dir, nil
}

// View is what a frontend canvas shows: Width×Height screen pixels
// centred on image pixel (CenterX, CenterY) at Zoom screen pixels per
// image pixel.
type View struct {
	Width, Height    int
	CenterX, CenterY float64
	Zoom             float64
}

// FitView is the frontend's "zoom to fit" view of an imgW×imgH image in
// a w×h canvas: the whole image, centred.
func FitView(imgW, imgH, w, h int) View {
	zoom := min(float64(w)/float64(imgW), float64(h)/float64(imgH))
	return View{Width: w, Height: h, CenterX: float64(imgW) / 2, CenterY: float64(imgH) / 2, Zoom: zoom}
}

// FullResView is a w×h canvas at zoom 1 on the centre of an imgW×imgH
// image.
func FullResView(imgW, imgH, w, h int) View {
	return View{Width: w, Height: h, CenterX: float64(imgW) / 2, CenterY: float64(imgH) / 2, Zoom: 1}
}

// Mip returns the downsampling factor the frontend picks for v: the
// power of two nearest (in log2) to 1/Zoom, at least 1
// (FrameStore.requiredFrameView in carta-frontend).
func (v View) Mip() int {
	exact := max(1, 1/v.Zoom)
	return 1 << int(math.Round(math.Log2(exact)))
}

// Tiles returns the tiles the frontend requests to draw v over an
// imgW×imgH image (GetRequiredTiles in carta-frontend's tiling.ts): every
// tile of the view's layer that overlaps the visible part of the image,
// nearest the centre of that tile range first, as the frontend sorts its
// requests. Ties keep row-major order, so the result is deterministic.
func (v View) Tiles(imgW, imgH int) []tiles.Tile {
	mip := v.Mip()
	halfW, halfH := float64(v.Width)/(2*v.Zoom), float64(v.Height)/(2*v.Zoom)
	xMin, xMax := max(0, v.CenterX-halfW), min(float64(imgW), v.CenterX+halfW)
	yMin, yMax := max(0, v.CenterY-halfH), min(float64(imgH), v.CenterY+halfH)
	if xMin >= xMax || yMin >= yMax {
		return nil
	}
	span := float64(tiles.Size * mip)
	x0, x1 := int(math.Floor(xMin/span)), int(math.Ceil(xMax/span))
	y0, y1 := int(math.Floor(yMin/span)), int(math.Ceil(yMax/span))
	layer := tiles.Layers(imgW, imgH) - int(math.Ceil(math.Log2(float64(mip))))
	var out []tiles.Tile
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			out = append(out, tiles.Tile{X: x, Y: y, Layer: layer})
		}
	}
	mx, my := float64(x0+x1)/2, float64(y0+y1)/2
	dist := func(t tiles.Tile) float64 {
		dx, dy := float64(t.X)+0.5-mx, float64(t.Y)+0.5-my
		return dx*dx + dy*dy
	}
	slices.SortStableFunc(out, func(a, b tiles.Tile) int {
		da, db := dist(a), dist(b)
		switch {
		case da < db:
			return -1
		case da > db:
			return 1
		}
		return 0
	})
	return out
}

// Encode returns the encoded ids of ts, as ADD_REQUIRED_TILES carries
// them.
func Encode(ts []tiles.Tile) []int32 {
	ids := make([]int32, len(ts))
	for i, t := range ts {
		ids[i] = t.Encode()
	}
	return ids
}
