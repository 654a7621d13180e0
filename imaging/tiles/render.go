package tiles

import (
	"image"
	"math"

	"cartago/imaging"
)

// Render writes the data of tile t of plane p into dst and returns it,
// with the tile's Rect. The data is Rect.Width×Rect.Height floats, row
// major, x fastest, first row at the lowest y. dst is reused when its
// capacity suffices (pass the previous result back in to render without
// allocating); otherwise a new slice is allocated.
//
// Tiles of layers below full resolution are block means (see Downsample).
// Errors are those of Locate, or ErrBadRect if p.Data is shorter than
// Width×Height.
func Render(dst []float32, p imaging.Plane, t Tile) ([]float32, Rect, error) {
	r, err := Locate(t, p.Width, p.Height)
	if err != nil {
		return dst[:0], Rect{}, err
	}
	out, _, _, err := Downsample(dst, p, r.Bounds, r.Mip)
	return out, r, err
}

// Downsample writes the mip×mip block means of the pixels of p inside
// rect into dst (reused when its capacity suffices) and returns it with
// its size w×h = ceil(rect.Dx()/mip) × ceil(rect.Dy()/mip).
//
// It does what the reference backend's mean filter does
// (carta-backend src/DataStream/Smoothing.cc, BlockSmooth*): each output
// pixel is the mean of the finite values of its block, skipping NaN and
// ±Inf; blocks at the right and bottom edge of rect are clipped and
// average fewer pixels; a block with no finite value gives NaN. With
// mip 1 the pixels are copied unchanged (NaN and Inf included). Sums are
// accumulated in float64, so the result may differ from the reference's
// float32 sums in the last bits.
//
// It returns ErrBadRect if rect is empty or not inside the plane, mip < 1,
// or p.Data is shorter than Width×Height.
func Downsample(dst []float32, p imaging.Plane, rect image.Rectangle, mip int) (out []float32, w, h int, err error) {
	if mip < 1 || rect.Empty() || !rect.In(image.Rect(0, 0, p.Width, p.Height)) || len(p.Data) < p.Width*p.Height {
		return dst[:0], 0, 0, ErrBadRect
	}
	w, h = ceilDiv(rect.Dx(), mip), ceilDiv(rect.Dy(), mip)
	out = grow(dst, w*h)
	if mip == 1 {
		for j := range h {
			src := p.Data[(rect.Min.Y+j)*p.Width:]
			copy(out[j*w:(j+1)*w], src[rect.Min.X:rect.Max.X])
		}
		return out, w, h, nil
	}
	for x := 0; x < w; x += Size {
		blockMeanStrip(out, p, rect, mip, x, min(Size, w-x), w)
	}
	return out, w, h, nil
}

// blockMeanStrip fills output columns [ox, ox+n) (n ≤ Size) of every
// output row. It walks the source row by row, so memory is read
// sequentially, summing each row's mip-wide segments into acc. Sums are
// taken without testing for NaN/Inf: a non-finite value makes the block's
// float64 sum non-finite (finite float32 values cannot overflow it), and
// only those blocks are recomputed value by value.
func blockMeanStrip(out []float32, p imaging.Plane, rect image.Rectangle, mip, ox, n, w int) {
	var acc [Size]float64
	a := acc[:n]
	sx0 := rect.Min.X + ox*mip
	sx1 := min(sx0+n*mip, rect.Max.X)
	for j := range len(out) / w {
		y0 := rect.Min.Y + j*mip
		y1 := min(y0+mip, rect.Max.Y)
		if mip == 2 && y1-y0 == 2 {
			quads(a, p.Data[y0*p.Width+sx0:y0*p.Width+sx1], p.Data[(y0+1)*p.Width+sx0:(y0+1)*p.Width+sx1])
		} else {
			clear(a)
			for y := y0; y < y1; y++ {
				addSegments(a, p.Data[y*p.Width+sx0:y*p.Width+sx1], mip)
			}
		}
		o := out[j*w+ox : j*w+ox+n]
		for i, s := range a {
			bx0 := sx0 + i*mip
			bx1 := min(bx0+mip, sx1)
			if s-s == 0 {
				o[i] = float32(s / float64((bx1-bx0)*(y1-y0)))
			} else {
				o[i] = finiteMean(p, bx0, bx1, y0, y1)
			}
		}
	}
}

// quads sets a[i] to the sum of the 2×2 block at columns 2i, 2i+1 of
// rows r0 and r1 (one column if the rows have odd length).
func quads(a []float64, r0, r1 []float32) {
	n := len(r0) / 2
	r1 = r1[:len(r0)]
	for i := range n {
		p, q := r0[2*i:2*i+2:2*i+2], r1[2*i:2*i+2:2*i+2]
		a[i] = (float64(p[0]) + float64(p[1])) + (float64(q[0]) + float64(q[1]))
	}
	if len(r0)%2 == 1 {
		a[n] = float64(r0[len(r0)-1]) + float64(r1[len(r0)-1])
	}
}

// addSegments adds the sum of row[i·mip : (i+1)·mip] (clipped to the row)
// to a[i], with four independent accumulators per segment.
func addSegments(a []float64, row []float32, mip int) {
	if mip == 4 && len(row) == 4*len(a) {
		for i := range a {
			q := row[4*i : 4*i+4 : 4*i+4]
			a[i] += (float64(q[0]) + float64(q[1])) + (float64(q[2]) + float64(q[3]))
		}
		return
	}
	for i := range a {
		lo := i * mip
		seg := row[lo:min(lo+mip, len(row))]
		var s0, s1, s2, s3 float64
		k := 0
		for ; k+4 <= len(seg); k += 4 {
			q := seg[k : k+4 : k+4]
			s0 += float64(q[0])
			s1 += float64(q[1])
			s2 += float64(q[2])
			s3 += float64(q[3])
		}
		for ; k < len(seg); k++ {
			s0 += float64(seg[k])
		}
		a[i] += (s0 + s1) + (s2 + s3)
	}
}

// finiteMean is the mean of the finite values of block [x0,x1)×[y0,y1)
// of p, or NaN if it has none.
func finiteMean(p imaging.Plane, x0, x1, y0, y1 int) float32 {
	var s float64
	var n int
	for y := y0; y < y1; y++ {
		for _, v := range p.Data[y*p.Width+x0 : y*p.Width+x1] {
			if v-v == 0 {
				s += float64(v)
				n++
			}
		}
	}
	if n == 0 {
		return float32(math.NaN())
	}
	return float32(s / float64(n))
}

// grow returns dst resliced to n values, allocating only if its capacity
// is too small.
func grow(dst []float32, n int) []float32 {
	if cap(dst) < n {
		return make([]float32, n)
	}
	return dst[:n]
}
