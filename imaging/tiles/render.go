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
		blockMeanStrip(out, p, rect, mip, x, min(Size, w-x), w, 0, h)
	}
	return out, w, h, nil
}

// blockMeanStrip fills output columns [ox, ox+n) (n ≤ Size) of output
// rows [j0, j1). It walks the source row by row, so memory is read
// sequentially, summing each row's mip-wide segments into acc. Sums are
// taken without testing for NaN/Inf: a non-finite value makes the block's
// float64 sum non-finite (finite float32 values cannot overflow it), and
// only those blocks are recomputed value by value (the whole row of
// blocks when many are blank).
func blockMeanStrip(out []float32, p imaging.Plane, rect image.Rectangle, mip, ox, n, w, j0, j1 int) {
	var acc [Size]float64
	a := acc[:n]
	sx0 := rect.Min.X + ox*mip
	sx1 := min(sx0+n*mip, rect.Max.X)
	for j := j0; j < j1; j++ {
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
		rows := y1 - y0
		lastCols := sx1 - (sx0 + (n-1)*mip)
		bad := means(o, a, mip*rows, lastCols*rows)
		switch {
		case 2*bad > n: // mostly blank (NaN bands): redo the row of blocks in one pass
			checkedMeans(o, p, sx0, sx1, y0, y1, mip)
		case bad > 0: // scattered blanks: redo just those blocks
			for i, s := range a {
				if s-s != 0 {
					bx0 := sx0 + i*mip
					o[i] = finiteMean(p, bx0, min(bx0+mip, sx1), y0, y1)
				}
			}
		}
	}
}

// means sets o[i] = a[i]/count for every finite sum a[i], the last
// block holding lastCount values, and returns how many sums were not
// finite (their o[i] are left for the caller). Full blocks hold a power
// of two values for tiles, so the division is an exact multiplication.
func means(o []float32, a []float64, count, lastCount int) (bad int) {
	n := len(a) - 1
	if count&(count-1) == 0 {
		inv := 1 / float64(count)
		for i, s := range a[:n] {
			if s-s == 0 {
				o[i] = float32(s * inv)
			} else {
				bad++
			}
		}
	} else {
		c := float64(count)
		for i, s := range a[:n] {
			if s-s == 0 {
				o[i] = float32(s / c)
			} else {
				bad++
			}
		}
	}
	if s := a[n]; s-s == 0 {
		o[n] = float32(s / float64(lastCount))
	} else {
		bad++
	}
	return bad
}

// checkedMeans writes to o the finite-value means of the blocks of
// columns [sx0, sx1) and rows [y0, y1), mip columns each, reading the
// source row by row.
func checkedMeans(o []float32, p imaging.Plane, sx0, sx1, y0, y1, mip int) {
	var sum [Size]float64
	var cnt [Size]int
	s, c := sum[:len(o)], cnt[:len(o)]
	for y := y0; y < y1; y++ {
		row := p.Data[y*p.Width+sx0 : y*p.Width+sx1]
		for i := range s {
			seg := row[i*mip : min((i+1)*mip, len(row))]
			if len(seg) >= 8 {
				t, k := finiteSum(seg)
				s[i] += t
				c[i] += k
				continue
			}
			for _, v := range seg {
				if v-v == 0 {
					s[i] += float64(v)
					c[i]++
				}
			}
		}
	}
	for i := range o {
		o[i] = float32(math.NaN())
		if c[i] > 0 {
			o[i] = float32(s[i] / float64(c[i]))
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
	switch {
	case mip == 4 && len(row) == 4*len(a):
		for i := range a {
			q := row[4*i : 4*i+4 : 4*i+4]
			a[i] += (float64(q[0]) + float64(q[1])) + (float64(q[2]) + float64(q[3]))
		}
		return
	case mip == 8 && len(row) == 8*len(a):
		for i := range a {
			q := row[8*i : 8*i+8 : 8*i+8]
			a[i] += ((float64(q[0]) + float64(q[1])) + (float64(q[2]) + float64(q[3]))) +
				((float64(q[4]) + float64(q[5])) + (float64(q[6]) + float64(q[7])))
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
		t, k := finiteSum(p.Data[y*p.Width+x0 : y*p.Width+x1])
		s += t
		n += k
	}
	if n == 0 {
		return float32(math.NaN())
	}
	return float32(s / float64(n))
}

// finiteSum returns the sum and number of the finite values of seg, with
// four accumulators so the additions do not wait on each other.
func finiteSum(seg []float32) (float64, int) {
	var s0, s1, s2, s3 float64
	n := 0
	k := 0
	for ; k+4 <= len(seg); k += 4 {
		q := seg[k : k+4 : k+4]
		if v := q[0]; v-v == 0 {
			s0 += float64(v)
			n++
		}
		if v := q[1]; v-v == 0 {
			s1 += float64(v)
			n++
		}
		if v := q[2]; v-v == 0 {
			s2 += float64(v)
			n++
		}
		if v := q[3]; v-v == 0 {
			s3 += float64(v)
			n++
		}
	}
	for ; k < len(seg); k++ {
		if v := seg[k]; v-v == 0 {
			s0 += float64(v)
			n++
		}
	}
	return (s0 + s1) + (s2 + s3), n
}

// grow returns dst resliced to n values, allocating only if its capacity
// is too small.
func grow(dst []float32, n int) []float32 {
	if cap(dst) < n {
		return make([]float32, n)
	}
	return dst[:n]
}
