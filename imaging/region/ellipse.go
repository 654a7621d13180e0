package region

import (
	"image"
	"math"
)

// This file reproduces casacore's LCEllipsoid for 2-D ellipses (lattices/
// LRegions/LCEllipsoid.cc: the (xcenter, ycenter, major, minor, theta)
// constructor, makeBox, defineMask, _doOutside, _defineMask2D) as the
// reference backend sets it up (Region::GetControlPointsRecord), in
// float32 arithmetic:
//
//   - The reference passes radii (a, b) and angle rotation+90° when the
//     first semi-axis a is larger, else (b, a) and the rotation, in
//     radians as a float32; casacore reduces the angle modulo π and,
//     when it is near π/2, swaps the radii and uses 0. The first radius
//     then lies along the angle from the x axis.
//   - The box per axis is [int(c − r + 1 − ε), int(c + r + ε)] clipped to
//     the image, with ε = 10^(int(log10(2r)) − 5); for a rotated ellipse
//     r is the larger radius on both axes. A centre outside the image
//     with the box wholly outside is an error, as is an empty box.
//   - Unrotated, each row y holds the pixels from int(c₀ − h + 1 − ε₁)
//     to int(c₀ + h + ε₁), h = sqrt((1 − ((y−c₁)/r₁)²)·r₀²) + ε₀ (with
//     casacore's variant formula when the centre lies outside the
//     image); the ε make pixel centres on the outline count.
//   - Rotated, a pixel counts if x′²/r₀² + y′²/r₁² ≤ 1 in coordinates
//     turned by −θ, scanning each row from the box's left edge and
//     stopping once outside with the sum increasing.
//
// Box and mask keep casacore's bounding box, not a tight one.

// ellipse is an LCEllipsoid being built.
type ellipse struct {
	c     [2]float32 // centre
	r     [2]float32 // radii along x and y before rotation
	shape [2]int
	blc   [2]int
	trc   [2]int
	eps   [2]float32
	// inside is casacore's _centerIsInside.
	inside bool
}

// ellipseMask returns the mask of the ellipse region with centre (cx, cy),
// semi-axes a (along y before rotation) and b, rotated by rot degrees.
func ellipseMask(cx, cy, a, b, rot float32, width, height int) (*Mask, error) {
	r0, r1, deg := b, a, rot
	if a > b {
		r0, r1 = a, b
		deg = float32(float64(rot) + 90) // carta's angle is from the y axis
	}
	theta := float32(float64(deg) * (math.Pi / 180))
	e := ellipse{c: [2]float32{cx, cy}, r: [2]float32{r0, r1}, shape: [2]int{width, height}}
	t := float32(math.Mod(float64(theta), float64(float32(math.Pi))))
	if t < 0 {
		t = float32(float64(t) + math.Pi)
	}
	if nearDouble(float64(t), math.Pi/2) {
		e.r = [2]float32{r1, r0}
		t = 0
	}
	if near(t, 0) {
		if err := e.makeBox(e.r); err != nil {
			return nil, err
		}
		if e.inside {
			return e.defineMask()
		}
		return e.doOutside()
	}
	proj := max(e.r[0], e.r[1])
	if err := e.makeBox([2]float32{proj, proj}); err != nil {
		return nil, err
	}
	return e.defineMask2D(t)
}

// makeBox is LCEllipsoid::makeBox.
func (e *ellipse) makeBox(radii [2]float32) error {
	e.inside = true
	for i := range 2 {
		c, r := e.c[i], radii[i]
		last := float32(e.shape[i] - 1)
		if c > last || c < 0 {
			e.inside = false
			if c+r < 0 || c-r > last {
				return ErrNoPixels // "Ellipsoid lies completely outside the lattice"
			}
		}
		lg := cInt(float64(float32(math.Log10(float64(2 * r)))))
		e.eps[i] = float32(math.Pow(10, float64(lg-5)))
		e.blc[i] = max(cInt(float64(c-r+1-e.eps[i])), 0)
		e.trc[i] = min(cInt(float64(c+r+e.eps[i])), e.shape[i]-1)
		if e.blc[i] > e.trc[i] {
			return ErrNoPixels // "ellipsoid is empty (radii too small)"
		}
	}
	return nil
}

// size returns the box's width and height.
func (e *ellipse) size() (nx, ny int) { return e.trc[0] - e.blc[0] + 1, e.trc[1] - e.blc[1] + 1 }

// box returns the bounding box as an image rectangle.
func (e *ellipse) box() image.Rectangle {
	return image.Rect(e.blc[0], e.blc[1], e.trc[0]+1, e.trc[1]+1)
}

// rowSpan adds one row holding pixels start..end (relative, inclusive)
// if start ≤ end.
func (e *ellipse) rowSpan(b *builder, start, end int) {
	if start > end {
		b.row(nil)
		return
	}
	b.row([]Span{{int32(e.blc[0] + start), int32(e.blc[0] + end + 1)}})
}

// defineMask is LCEllipsoid::defineMask for an unrotated ellipse whose
// centre is inside the image. Note casacore's quirks, kept: the first
// row's distance is max(0, c₁) rather than |c₁|, and both ends use the
// y axis' ε.
func (e *ellipse) defineMask() (*Mask, error) {
	nx, ny := e.size()
	center0 := e.c[0] - float32(e.blc[0])
	center1 := e.c[1] - float32(e.blc[1])
	radsq0 := float32(e.r[0] * e.r[0])
	var b builder
	b.start(image.Pt(e.blc[0], e.blc[1]), e.shape[0], e.shape[1])
	for p := range ny {
		var d float32
		if p == 0 {
			d = max(0, center1) / e.r[1]
		} else {
			d = max(0, abs32(center1-float32(p))) / e.r[1]
		}
		q := 1 - float32(d*d)
		if q < 0 {
			b.row(nil)
			continue
		}
		h := sqrt32(float32(q*radsq0)) + e.eps[0]
		start := max(cInt(float64(center0-h+1-e.eps[1])), 0)
		end := min(cInt(float64(center0+h+e.eps[1])), nx-1)
		e.rowSpan(&b, start, end)
	}
	return b.finish(e.box())
}

// doOutside is LCEllipsoid::_doOutside: defineMask for an unrotated
// ellipse whose centre is outside the image.
func (e *ellipse) doOutside() (*Mask, error) {
	nx, ny := e.size()
	center0 := e.c[0] - float32(e.blc[0])
	center1 := e.c[1] - float32(e.blc[1])
	rad2y := float32(e.r[1] * e.r[1])
	var b builder
	b.start(image.Pt(e.blc[0], e.blc[1]), e.shape[0], e.shape[1])
	for p := range ny {
		var d2 float32
		if p == 0 {
			d2 = float32(center1*center1) / rad2y
		} else {
			d := (center1 - float32(p)) / e.r[1]
			d2 = float32(d * d)
		}
		if 1-d2 < 0 {
			b.row(nil)
			continue
		}
		dx := float32(e.r[0] * sqrt32(1-d2))
		start := max(cInt(float64(center0-dx+1-e.eps[0])), 0)
		end := min(cInt(float64(center0+dx+e.eps[0])), nx-1)
		e.rowSpan(&b, start, end)
	}
	return b.finish(e.box()) // "Ellipsoid lies entirely outside the lattice" when empty
}

// defineMask2D is LCEllipsoid::_defineMask2D for a rotated ellipse:
// every pixel of a row is tested until the test fails with the sum
// growing. Rows are independent (casacore's carried-over previous sum
// is never compared at a row's first pixel), so they are computed in
// parallel.
func (e *ellipse) defineMask2D(theta float32) (*Mask, error) {
	nx, ny := e.size()
	t := rotTest{
		c0: e.c[0] - float32(e.blc[0]), c1: e.c[1] - float32(e.blc[1]),
		rad2x: float32(e.r[0] * e.r[0]), rad2y: float32(e.r[1] * e.r[1]),
		cos: float32(math.Cos(float64(-theta))), sin: float32(math.Sin(float64(-theta))),
		nx: nx, x0: e.blc[0],
	}
	t.setTol(ny)
	rows := make([][]Span, ny)
	parallelRange(ny, max(1, (1<<16)/nx), func(lo, hi int) {
		for y := lo; y < hi; y++ {
			rows[y] = t.row(y)
		}
	})
	var b builder
	b.start(image.Pt(e.blc[0], e.blc[1]), e.shape[0], e.shape[1])
	for _, r := range rows {
		b.row(r)
	}
	return b.finish(e.box())
}

// rotTest holds _defineMask2D's per-pixel test.
type rotTest struct {
	c0, c1, rad2x, rad2y, cos, sin float32
	nx, x0                         int
	// tol bounds the difference between the float32 sum and its exact
	// value anywhere in the box, with a wide margin.
	tol float64
}

// setTol sets t.tol from the largest terms the sum can have in a box of
// ny rows: float32 rounding errs by well under 1e-6 of them.
func (t *rotTest) setTol(ny int) {
	dx := math.Max(math.Abs(float64(t.c0)), math.Abs(float64(t.nx-1)-float64(t.c0)))
	dy := math.Max(math.Abs(float64(t.c1)), math.Abs(float64(ny-1)-float64(t.c1)))
	terms := (dx*dx + dy*dy) * (1/float64(t.rad2x) + 1/float64(t.rad2y))
	t.tol = 1e-5 * (1 + terms)
}

// sum is the float32 test value of pixel x of a row, as casacore
// computes it.
func (t rotTest) sum(x int, ys, yc float32) float32 {
	xdiff := float32(x) - t.c0
	xp := float32(xdiff*t.cos) - ys
	yp := float32(xdiff*t.sin) + yc
	return float32(float32(xp*xp)/t.rad2x) + float32(float32(yp*yp)/t.rad2y)
}

// row returns the runs of pixels of row y (relative) that pass the test,
// exactly as casacore's scan from the row's first pixel finds them, with
// float32 sums evaluated only near the outline. The exact sum is a
// convex quadratic in x; where it exceeds 1 + tol and falls by more than
// 2·tol per pixel, casacore's float32 sums are above 1 and falling, so
// its scan neither includes a pixel nor stops there; where it is below
// 1 − tol, the float32 sums are below 1, so the pixels are inside. Both
// stretches are skipped. A row whose exact minimum exceeds 1 + tol is
// empty.
func (t rotTest) row(y int) []Span {
	ydiff := float32(y) - t.c1
	ys, yc := float32(ydiff*t.sin), float32(ydiff*t.cos)
	g, ok := t.guide(float64(ydiff))
	if !ok {
		return nil
	}
	var prev float32
	if g.start > 0 {
		prev = t.sum(g.start-1, ys, yc)
	}
	return t.scan(g, ys, yc, prev)
}

// rowGuide says where a row's scan starts, and which pixels are surely
// inside (from ≤ x < to).
type rowGuide struct{ start, from, to int }

// fullScan is the guide of casacore's own scan: from the first pixel,
// nothing known.
var fullScan = rowGuide{0, math.MaxInt, 0}

// guide returns the row's guide, and false if the row holds no pixel.
func (t rotTest) guide(ydiff float64) (rowGuide, bool) {
	// With u = x − c0: xp = u·cos − ydiff·sin, yp = u·sin + ydiff·cos,
	// f = qa·u² + qb·u + qc.
	cos, sin := float64(t.cos), float64(t.sin)
	rx, ry := float64(t.rad2x), float64(t.rad2y)
	qa := cos*cos/rx + sin*sin/ry
	qb := 2 * ydiff * sin * cos * (1/ry - 1/rx)
	qc := ydiff * ydiff * (sin*sin/rx + cos*cos/ry)
	um := -qb / (2 * qa)
	if qa*um*um+qb*um+qc > 1+t.tol {
		return rowGuide{}, false // never inside; casacore's scan finds nothing either
	}
	c0, nx := float64(t.c0), float64(t.nx)
	clamp := func(x float64) int { return int(math.Max(0, math.Min(x, nx))) }
	g := fullScan
	// Smaller root of f = 1 + tol, and where f stops falling by more than
	// 2·tol per pixel: f(u−1) − f(u) = −qa(2u − 1) − qb > 2·tol.
	disc := qb*qb - 4*qa*(qc-1-t.tol)
	uRoot := (-qb - math.Sqrt(math.Max(disc, 0))) / (2 * qa)
	uFall := (-qb-2*t.tol)/(2*qa) + 0.5
	g.start = clamp(math.Floor(math.Min(uRoot, uFall)+c0) - 2)
	// Roots of f = 1 − tol bound the pixels surely inside.
	if d := qb*qb - 4*qa*(qc-1+t.tol); d > 0 {
		sq := math.Sqrt(d)
		g.from = clamp(math.Ceil((-qb-sq)/(2*qa)+c0) + 1)
		g.to = clamp(math.Floor((-qb+sq)/(2*qa)+c0) - 1)
	}
	return g, true
}

// scan is casacore's loop over a row from pixel g.start, prev being the
// sum at g.start−1 (unused at 0), jumping over the pixels g says are
// inside.
func (t rotTest) scan(g rowGuide, ys, yc, prev float32) []Span {
	var sp []Span
	run := -1 // start of the current run, -1 if none
	for x := g.start; x < t.nx; x++ {
		sum := t.sum(x, ys, yc)
		if sum <= 1 {
			if run < 0 {
				run = x
			}
			if x >= g.from && x+1 < g.to {
				x = g.to - 1 // all of x..g.to−1 are inside
				sum = t.sum(x, ys, yc)
			}
		} else {
			if run >= 0 {
				sp = append(sp, Span{int32(t.x0 + run), int32(t.x0 + x)})
				run = -1
			}
			if x != 0 && sum > prev {
				break
			}
		}
		prev = sum
	}
	if run >= 0 {
		sp = append(sp, Span{int32(t.x0 + run), int32(t.x0 + t.nx)})
	}
	return sp
}
