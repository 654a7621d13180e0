package region

import (
	"image"
	"math"
	"sort"
)

// Span is a run of pixels of one image row: columns X0 to X1−1.
type Span struct{ X0, X1 int32 }

// Mask is the set of pixels of a region on one image: for each row of
// the region's bounding box, the runs of pixels whose centres are inside
// or on the boundary of the shape. It is immutable and safe for
// concurrent use. Its size is bounded by the image's, whatever the
// region's coordinates: at most one Span per two pixels plus one offset
// per row of the (clipped) bounding box.
type Mask struct {
	box        image.Rectangle // bounding box, image pixels, within the image
	imgW, imgH int
	rows       []int32 // rows[i]..rows[i+1] index the spans of row box.Min.Y+i
	spans      []Span
	count      int64
}

// Bounds returns the region's bounding box in image pixels (Max
// exclusive), clipped to the image: the box of the reference backend's
// LCRegion. For rectangles, polygons and points it is the tight box of
// the mask's pixels; for ellipses it is casacore's box from the centre
// and radii (LCEllipsoid::makeBox), which may have empty edge rows or
// columns. Region histograms take their automatic bin count from it.
func (m *Mask) Bounds() image.Rectangle { return m.box }

// ImageSize returns the width and height of the image the mask was made
// for.
func (m *Mask) ImageSize() (width, height int) { return m.imgW, m.imgH }

// Count returns the number of pixels in the mask (at least 1).
func (m *Mask) Count() int64 { return m.count }

// Row returns the runs of image row y in increasing order, nil if the
// row is outside the bounding box. The caller must not modify them.
func (m *Mask) Row(y int) []Span {
	i := y - m.box.Min.Y
	if i < 0 || i >= m.box.Dy() {
		return nil
	}
	return m.spans[m.rows[i]:m.rows[i+1]]
}

// Contains reports whether pixel (x, y) is in the mask.
func (m *Mask) Contains(x, y int) bool {
	sp := m.Row(y)
	i := sort.Search(len(sp), func(i int) bool { return int(sp[i].X1) > x })
	return i < len(sp) && int(sp[i].X0) <= x
}

// Bools returns the mask over its bounding box as booleans, row-major
// with x fastest (Bounds().Dx() per row).
func (m *Mask) Bools() []bool {
	w := m.box.Dx()
	out := make([]bool, w*m.box.Dy())
	for i := range m.box.Dy() {
		for _, s := range m.spans[m.rows[i]:m.rows[i+1]] {
			for x := int(s.X0); x < int(s.X1); x++ {
				out[i*w+x-m.box.Min.X] = true
			}
		}
	}
	return out
}

// SizeBytes returns the memory the mask holds, for accounting.
func (m *Mask) SizeBytes() int { return 4*cap(m.rows) + 8*cap(m.spans) }

// Mask returns the pixel mask of d on a width×height image: the pixels
// whose centres lie inside or on the boundary of the shape, computed as
// the reference backend does through casacore (see the package
// documentation and the shape files for the exact rules).
//
// It returns the errors of Validate; ErrNoMask for lines, polylines and
// annotations; ErrNoPixels when the region lies wholly outside the image
// or holds no pixel centre; ErrMismatch if width or height is not
// positive or beyond 2³¹−1. Work and memory are bounded by the image
// size (plus, for polygons, the number of vertices times the rows).
func (d Desc) Mask(width, height int) (*Mask, error) {
	if width <= 0 || height <= 0 || width > math.MaxInt32 || height > math.MaxInt32 {
		return nil, ErrMismatch
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	switch {
	case d.Kind == KindPoint:
		return pointMask(float32(d.Points[0].X), float32(d.Points[0].Y), width, height)
	case d.Kind == KindRectangle:
		xs, ys := rectangleCorners(d)
		return polygonMask(xs, ys, width, height)
	case d.Kind == KindPolygon:
		xs := make([]float32, len(d.Points), len(d.Points)+1)
		ys := make([]float32, len(d.Points), len(d.Points)+1)
		for i, p := range d.Points {
			xs[i], ys[i] = float32(p.X), float32(p.Y)
		}
		// The reference closes the outline itself before casacore
		// (Region::GetControlPointsRecord).
		return polygonMask(append(xs, xs[0]), append(ys, ys[0]), width, height)
	case d.Kind == KindEllipse:
		c, s := d.Points[0], d.Points[1]
		return ellipseMask(float32(c.X), float32(c.Y), float32(s.X), float32(s.Y), float32(d.Rotation), width, height)
	case d.Kind.IsLine() || d.Kind.IsAnnotation():
		return nil, ErrNoMask
	}
	return nil, ErrUnsupported
}

// pointMask is casacore's LCBox with blc = trc = the point (as the
// reference builds point regions): the pixel int(v + 0.5) in each axis,
// with C truncation, so points down to −1.5 (exclusive) still select
// pixel 0.
func pointMask(x, y float32, width, height int) (*Mask, error) {
	px, py := cInt(float64(x)+0.5), cInt(float64(y)+0.5)
	if px < 0 || px >= width || py < 0 || py >= height {
		return nil, ErrNoPixels
	}
	var b builder
	b.start(image.Pt(px, py), width, height)
	b.row([]Span{{int32(px), int32(px + 1)}})
	return b.finish(image.Rect(px, py, px+1, py+1))
}

// builder assembles a Mask row by row.
type builder struct {
	origin     image.Point // image position of the first row (x unused)
	imgW, imgH int
	rows       []int32
	spans      []Span
	count      int64
}

func (b *builder) start(origin image.Point, imgW, imgH int) {
	b.origin, b.imgW, b.imgH = origin, imgW, imgH
	b.rows = append(b.rows[:0], 0)
}

// row appends the next row's runs, which must be sorted, disjoint and
// not adjacent.
func (b *builder) row(sp []Span) {
	for _, s := range sp {
		b.count += int64(s.X1 - s.X0)
	}
	b.spans = append(b.spans, sp...)
	b.rows = append(b.rows, int32(len(b.spans)))
}

// finish returns the mask with bounding box box, which must lie within
// the rows added; rows outside it are dropped. With an empty box it
// uses the tight box of the pixels. It returns ErrNoPixels if there are
// none.
func (b *builder) finish(box image.Rectangle) (*Mask, error) {
	if b.count == 0 {
		return nil, ErrNoPixels
	}
	if box.Empty() {
		box = b.tight()
	}
	lo, hi := box.Min.Y-b.origin.Y, box.Max.Y-b.origin.Y
	m := &Mask{box: box, imgW: b.imgW, imgH: b.imgH, count: b.count}
	first, last := b.rows[lo], b.rows[hi]
	m.spans = make([]Span, last-first)
	copy(m.spans, b.spans[first:last])
	m.rows = make([]int32, hi-lo+1)
	for i := range m.rows {
		m.rows[i] = b.rows[lo+i] - first
	}
	return m, nil
}

// tight returns the smallest box holding every pixel added.
func (b *builder) tight() image.Rectangle {
	r := image.Rectangle{Min: image.Pt(math.MaxInt32, math.MaxInt32), Max: image.Pt(math.MinInt32, math.MinInt32)}
	for i := range len(b.rows) - 1 {
		sp := b.spans[b.rows[i]:b.rows[i+1]]
		if len(sp) == 0 {
			continue
		}
		y := b.origin.Y + i
		r.Min.Y, r.Max.Y = min(r.Min.Y, y), max(r.Max.Y, y+1)
		r.Min.X, r.Max.X = min(r.Min.X, int(sp[0].X0)), max(r.Max.X, int(sp[len(sp)-1].X1))
	}
	return r
}

// cInt converts v to an int as C++'s static_cast<int> does on x86-64:
// truncation toward zero, and INT_MIN for NaN and values out of range.
// casacore's mask code relies on it (also on the negative side, where
// truncation is not floor).
func cInt(v float64) int {
	if !(v > -2147483649 && v < 2147483648) {
		return math.MinInt32
	}
	return int(int32(v))
}
