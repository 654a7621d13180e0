package tiles

import (
	"context"
	"image"

	"cartago/imaging"
)

// Level is a whole mip level of a plane: the mip×mip block means of
// every block, as one plane of ceil(W/mip) × ceil(H/mip) values. Tiles
// of that level cut from it (RenderFromLevel) are bit for bit the tiles
// Render computes from the plane: block boundaries, clipping at the
// right and bottom edges, 256-column strips and summation order are the
// same. Kept (in the server's cache) it turns a view at that mip into a
// copy per tile instead of a pass over the plane: a zoomed-out view of
// a 4096² image reads its 64 MiB plane for every tile otherwise.
type Level struct {
	imaging.Plane     // the block means
	Mip           int // the downsampling factor
}

// levelRows is the number of output rows a task of MakeLevel computes.
const levelRows = 16

// MakeLevel computes mip level mip of p on GOMAXPROCS goroutines, in
// bands of output rows. It returns ErrBadRect if mip < 2 or p.Data is
// shorter than Width×Height, or ctx's error if cancelled.
func MakeLevel(ctx context.Context, p imaging.Plane, mip int) (Level, error) {
	if mip < 2 || p.Width <= 0 || p.Height <= 0 || len(p.Data) < p.Width*p.Height {
		return Level{}, ErrBadRect
	}
	rect := image.Rect(0, 0, p.Width, p.Height)
	w, h := ceilDiv(p.Width, mip), ceilDiv(p.Height, mip)
	out := make([]float32, w*h)
	err := imaging.ForTasks(ctx, h, levelRows, func(_, _, j0, j1 int) {
		for x := 0; x < w; x += Size {
			blockMeanStrip(out, p, rect, mip, x, min(Size, w-x), w, j0, j1)
		}
	})
	if err != nil {
		return Level{}, err
	}
	return Level{Plane: imaging.Plane{Width: w, Height: h, Data: out}, Mip: mip}, nil
}

// Bytes is the memory the level holds.
func (l Level) Bytes() int64 { return 4 * int64(len(l.Data)) }

// RenderFromLevel is Render for a tile of l's mip, cut from l instead of
// computed from the plane it was made of (width×height). It returns
// ErrBadRect if t is not a tile of that mip.
func RenderFromLevel(dst []float32, l Level, t Tile, width, height int) ([]float32, Rect, error) {
	r, err := Locate(t, width, height)
	if err != nil {
		return dst[:0], Rect{}, err
	}
	if r.Mip != l.Mip {
		return dst[:0], Rect{}, ErrBadRect
	}
	x0, y0 := r.Bounds.Min.X/l.Mip, r.Bounds.Min.Y/l.Mip
	out, _, _, err := Downsample(dst, l.Plane, image.Rect(x0, y0, x0+r.Width, y0+r.Height), 1)
	return out, r, err
}
