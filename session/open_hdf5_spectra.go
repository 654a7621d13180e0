package session

import (
	"context"
	"fmt"
	"image"

	"cartago/imaging/region"
)

// Region spectra of an IDIA image with a swizzled copy read the
// region's box through every channel at once from it (one contiguous
// run per column of pixels) instead of a rectangle per channel, as the
// reference's Hdf5Loader does; the per-channel statistics are then
// computed by the same code on the same values, so they are identical.

// maxSwizzledBox bounds the box × channels held for one region spectrum.
const maxSwizzledBox = 64 << 20

// spectralPlanes is what a region spectrum of mask m reads: the box
// from the swizzled copy when the image has one and it fits the bound,
// else the planes. release gives back the memory charged.
func (f *frame) spectralPlanes(ctx context.Context, stokes int, m *region.Mask) (region.Planes, func()) {
	planes := planesOfStokes{f, stokes}
	img := idiaOf(f)
	box := m.Bounds()
	bytes := 4 * int64(box.Dx()) * int64(box.Dy()) * int64(f.layout.Depth)
	if img == nil || !img.HasSwizzled() || stokes < 0 || stokes >= f.layout.Stokes || box.Empty() || bytes > maxSwizzledBox {
		return planes, func() {}
	}
	if f.sess.mem.Acquire(bytes, "region spectra from the swizzled copy") != nil {
		return planes, func() {}
	}
	data := make([]float32, bytes/4)
	if err := img.ReadSpectra(data, stokes, box.Min.X, box.Min.Y, box.Dx(), box.Dy()); err != nil || ctx.Err() != nil {
		// planes read the same values; their errors are reported there
		f.sess.mem.Release(bytes)
		return planes, func() {}
	}
	return swizzledBox{planesOfStokes: planes, box: box, depth: f.layout.Depth, data: data}, func() { f.sess.mem.Release(bytes) }
}

// swizzledBox serves rectangles of its box from spectra in memory and
// anything else from the planes.
type swizzledBox struct {
	planesOfStokes
	box   image.Rectangle
	depth int
	data  []float32 // [x][y][channel] over box
}

func (s swizzledBox) ReadRect(dst []float32, channel, x0, y0, w, rows int) error {
	b := s.box
	if x0 < b.Min.X || y0 < b.Min.Y || x0+w > b.Max.X || y0+rows > b.Max.Y || channel < 0 || channel >= s.depth {
		return s.planesOfStokes.ReadRect(dst, channel, x0, y0, w, rows)
	}
	if len(dst) != w*rows {
		return fmt.Errorf("swizzled box: buffer of %d for %d×%d", len(dst), w, rows)
	}
	if testReadHook != nil {
		testReadHook(channel)
	}
	h := b.Dy()
	for x := range w {
		col := s.data[((x0-b.Min.X+x)*h+(y0-b.Min.Y))*s.depth+channel:]
		for y := range rows {
			dst[y*w+x] = col[y*s.depth]
		}
	}
	return nil
}
