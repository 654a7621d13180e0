package region

import (
	"image"
	"math"
	"slices"
)

// This file reproduces casacore's LCPolygon (lattices/LRegions/
// LCPolygon.cc: defineBox, defineMask, fillMask, truncateStart,
// truncateEnd), through which the reference backend turns rectangles and
// polygons into masks, in float32 arithmetic as casacore does:
//
//   - The bounding box is [truncateStart(min), truncateEnd(max)] per
//     axis, clipped to the image; a polygon whose box is empty lies
//     wholly outside.
//   - Edges with near-equal end rows (isNear: relative 1e-5, absolute
//     1e-5 at zero) are horizontal; one lying on a pixel row fills its
//     pixels on that row.
//   - Every other edge crosses each pixel row y with y strictly between
//     its end rows, or near either end; the crossing x is a·y + b with
//     the edge's slope and offset. A crossing at the edge's first vertex
//     counts only if the edge turns back in y relative to the previous
//     non-horizontal edge, so a vertex on a row counts once where the
//     outline passes through and twice at a turning point.
//   - Sorted crossings pair up; each pair fills the pixels from
//     truncateStart(left) to truncateEnd(right). Both take a value
//     within 1e-5 (relative) of an integer as that integer, so pixel
//     centres on the outline are inside; otherwise they round inwards.
//   - Edge rows and columns without pixels are trimmed from the box; a
//     mask with no pixel is "polygon does not contain any pixel".
//
// Two of casacore's quirks are kept: conversions truncate toward zero,
// so a crossing pair lying within one pixel left of the box's first
// column fills that column; and the near-tolerance is relative, so it
// grows with the coordinate (0.04 pixel at row 4000). An odd number of
// crossings on a row, which casacore only asserts against in debug
// builds (release builds then read past the crossings), drops the last.

// polygonMask returns the mask of the closed polygon with vertices
// (xs[i], ys[i]); the reference passes the first vertex again at the
// end. xs and ys may be appended to.
func polygonMask(xs, ys []float32, width, height int) (*Mask, error) {
	n := len(xs)
	if !isNear(xs[n-1], xs[0]) || !isNear(ys[n-1], ys[0]) {
		xs, ys = append(xs, xs[0]), append(ys, ys[0])
		n++
	}
	xs[n-1], ys[n-1] = xs[0], ys[0]
	if n < 3 {
		return nil, ErrInvalid
	}
	minx, maxx := slices.Min(xs), slices.Max(xs)
	miny, maxy := slices.Min(ys), slices.Max(ys)
	blc := image.Pt(truncateStart(minx), truncateStart(miny))
	trc := image.Pt(truncateEnd(maxx, width-1), truncateEnd(maxy, height-1))
	if trc.X < blc.X || trc.Y < blc.Y {
		return nil, ErrNoPixels // entirely outside
	}
	p := newScanPolygon(xs, ys, blc, trc)
	var b builder
	b.start(blc, width, height)
	p.fill(&b)
	return b.finish(image.Rectangle{}) // trimmed to the pixels
}

// scanPolygon holds fillMask's state: edges, their slopes and offsets,
// and the rows where each may cross.
type scanPolygon struct {
	xs, ys   []float32
	blc      image.Point
	nx, ny   int
	dir      []int8 // 0 horizontal, 1 turns back in y, -1 continues
	a, b     []float32
	edges    []edgeRows // non-horizontal edges by first candidate row
	fills    []rowFill  // horizontal edges on pixel rows, by row
	blcxF    float32    // float32(blc.X), as casacore subtracts it
	crossing []float32
	ivs      []interval
	spans    []Span
}

// edgeRows is a non-horizontal edge and the rows (relative to the box)
// where the crossing test can succeed.
type edgeRows struct{ lo, hi, i int }

// rowFill is a horizontal edge's pixels on a row (relative to the box).
type rowFill struct{ row, xs, xe int }

type interval struct{ s, e int } // inclusive, relative to the box

func newScanPolygon(xs, ys []float32, blc, trc image.Point) *scanPolygon {
	nrline := len(xs) - 1
	p := &scanPolygon{xs: xs, ys: ys, blc: blc, nx: trc.X - blc.X + 1, ny: trc.Y - blc.Y + 1,
		dir: make([]int8, nrline), a: make([]float32, nrline), b: make([]float32, nrline),
		blcxF: float32(blc.X)}
	prev := -1
	for i := range nrline {
		p.dir[i] = -1
		if isNear(ys[i], ys[i+1]) {
			p.dir[i] = 0
			p.horizontal(i)
		} else {
			prev = i
		}
	}
	for i := range nrline {
		if p.dir[i] == 0 {
			continue
		}
		p.a[i] = (xs[i] - xs[i+1]) / (ys[i] - ys[i+1])
		p.b[i] = xs[i] - float32(p.a[i]*ys[i])
		if (ys[i] > ys[i+1] && ys[prev] < ys[prev+1]) || (ys[i] < ys[i+1] && ys[prev] > ys[prev+1]) {
			p.dir[i] = 1
		}
		prev = i
		p.addEdge(i)
	}
	slices.SortFunc(p.edges, func(x, y edgeRows) int { return x.lo - y.lo })
	slices.SortStableFunc(p.fills, func(x, y rowFill) int { return x.row - y.row })
	return p
}

// horizontal records the pixels of horizontal edge i if it lies on a
// pixel row of the box.
func (p *scanPolygon) horizontal(i int) {
	y := cInt(float64(p.ys[i]))
	if y < p.blc.Y || y >= p.ny+p.blc.Y || !isNear(float32(y), p.ys[i]) {
		return
	}
	x0, x1 := p.xs[i], p.xs[i+1]
	if x0 >= x1 {
		x0, x1 = x1, x0
	}
	xs, xe := truncateStart(x0-p.blcxF), truncateEnd(x1-p.blcxF, p.nx-1)
	if xs <= xe {
		p.fills = append(p.fills, rowFill{y - p.blc.Y, xs, xe})
	}
}

// addEdge records the rows where edge i may cross: its row range widened
// by more than the near-tolerance, clipped to the box. The exact test is
// made per row; this only spares testing every edge on every row.
func (p *scanPolygon) addEdge(i int) {
	lo, hi := min(p.ys[i], p.ys[i+1]), max(p.ys[i], p.ys[i+1])
	tol := 2*nearTol*max(math.Abs(float64(lo)), math.Abs(float64(hi))) + 2*nearTol
	r0 := max(int(math.Floor(float64(lo)-tol))-1-p.blc.Y, 0)
	r1 := min(int(math.Ceil(float64(hi)+tol))+1-p.blc.Y, p.ny-1)
	if r0 <= r1 {
		p.edges = append(p.edges, edgeRows{r0, r1, i})
	}
}

// fill adds every row of the box to b.
func (p *scanPolygon) fill(b *builder) {
	var active []edgeRows
	next, nextFill := 0, 0
	for y := range p.ny {
		for next < len(p.edges) && p.edges[next].lo <= y {
			active = append(active, p.edges[next])
			next++
		}
		active = slices.DeleteFunc(active, func(e edgeRows) bool { return e.hi < y })
		p.crossings(y, active)
		p.ivs = p.ivs[:0]
		for k := 0; k+1 < len(p.crossing); k += 2 {
			xs, xe := truncateStart(p.crossing[k]), truncateEnd(p.crossing[k+1], p.nx-1)
			if xs <= xe {
				p.ivs = append(p.ivs, interval{xs, xe})
			}
		}
		for ; nextFill < len(p.fills) && p.fills[nextFill].row == y; nextFill++ {
			f := p.fills[nextFill]
			p.ivs = append(p.ivs, interval{f.xs, f.xe})
		}
		b.row(p.merge())
	}
}

// crossings sets p.crossing to the sorted crossings of row y (relative)
// with the active edges, in box coordinates.
func (p *scanPolygon) crossings(y int, active []edgeRows) {
	yf := float32(y + p.blc.Y)
	p.crossing = p.crossing[:0]
	for _, e := range active {
		i := e.i
		y0, y1 := p.ys[i], p.ys[i+1]
		atStart := isNear(yf, y0)
		if !((yf > y0 && yf < y1) || (yf < y0 && yf > y1) || atStart || isNear(yf, y1)) {
			continue
		}
		if atStart && p.dir[i] != 1 {
			continue
		}
		p.crossing = append(p.crossing, float32(float32(p.a[i]*yf)+p.b[i])-p.blcxF)
	}
	slices.Sort(p.crossing)
}

// merge turns p.ivs into sorted, disjoint, non-adjacent image spans.
func (p *scanPolygon) merge() []Span {
	p.spans = p.spans[:0]
	if len(p.ivs) == 0 {
		return p.spans
	}
	slices.SortFunc(p.ivs, func(x, y interval) int { return x.s - y.s })
	cur := p.ivs[0]
	for _, iv := range p.ivs[1:] {
		if iv.s <= cur.e+1 {
			cur.e = max(cur.e, iv.e)
			continue
		}
		p.spans = append(p.spans, p.span(cur))
		cur = iv
	}
	return append(p.spans, p.span(cur))
}

func (p *scanPolygon) span(iv interval) Span {
	return Span{int32(p.blc.X + iv.s), int32(p.blc.X + iv.e + 1)}
}

// truncateStart is LCPolygon::truncateStart: the first pixel at or after
// v, taking v within the near-tolerance of an integer as that integer;
// at least 0.
func truncateStart(v float32) int {
	vt := float32(math.Floor(float64(v) + 0.1))
	var res int
	if isNear(vt, v) {
		res = cInt(float64(v) + 0.1)
	} else {
		res = cInt(float64(v + 1))
	}
	return max(res, 0)
}

// truncateEnd is LCPolygon::truncateEnd: the last pixel at or before v
// (by truncation), taking v within the near-tolerance of an integer as
// that integer; at most maxEnd.
func truncateEnd(v float32, maxEnd int) int {
	vt := float32(math.Floor(float64(v) + 0.1))
	var res int
	if isNear(vt, v) {
		res = cInt(float64(v) + 0.1)
	} else {
		res = cInt(float64(v))
	}
	return min(res, maxEnd)
}

// rectangleCorners returns the corners of a rectangle region and the
// first corner again, as the reference computes them in float32
// (RegionState::GetRectangleCorners): bottom left, bottom right, top
// right, top left before rotation.
func rectangleCorners(d Desc) (xs, ys []float32) {
	cx, cy := float32(d.Points[0].X), float32(d.Points[0].Y)
	w, h := float32(d.Points[1].X), float32(d.Points[1].Y)
	rot := float32(d.Rotation)
	if rot == 0 {
		x0, x1 := cx-w/2, cx+w/2
		y0, y1 := cy-h/2, cy+h/2
		return []float32{x0, x1, x1, x0, x0}, []float32{y0, y0, y1, y1, y0}
	}
	rad := float64(rot) * math.Pi / 180
	cos, sin := float32(math.Cos(rad)), float32(math.Sin(rad))
	wx, wy := float32(cos*w), float32(sin*w)
	hx, hy := float32(-sin*h), float32(cos*h)
	xs = []float32{cx + (-wx-hx)/2, cx + (wx-hx)/2, cx + (wx+hx)/2, cx + (-wx+hx)/2}
	ys = []float32{cy + (-wy-hy)/2, cy + (wy-hy)/2, cy + (wy+hy)/2, cy + (-wy+hy)/2}
	return append(xs, xs[0]), append(ys, ys[0])
}
