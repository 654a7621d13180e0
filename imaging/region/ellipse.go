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
}

// row returns the runs of pixels of row y (relative) that pass the test.
func (t rotTest) row(y int) []Span {
	var sp []Span
	ydiff := float32(y) - t.c1
	ys, yc := float32(ydiff*t.sin), float32(ydiff*t.cos)
	var prev float32
	run := -1 // start of the current run, -1 if none
	for x := range t.nx {
		xdiff := float32(x) - t.c0
		xp := float32(xdiff*t.cos) - ys
		yp := float32(xdiff*t.sin) + yc
		sum := float32(float32(xp*xp)/t.rad2x) + float32(float32(yp*yp)/t.rad2y)
		if sum <= 1 {
			if run < 0 {
				run = x
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
