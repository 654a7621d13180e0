package regionfile

import (
	"fmt"
	"strings"

	"cartago/imaging/region"
)

// geom reads a shape's flat list of values (CRTF's brackets removed):
// positions as pairs, then sizes and angles, converting them to 0-based
// pixels of the image.
type geom struct {
	c        converter
	vals     []string
	hours    bool // sexagesimal longitudes are hours
	barePix  bool // numbers without a unit are pixels
	oneBased bool // pixel positions count from 1 (DS9)
	ds9      bool // DS9's unit letters
}

// flatten turns CRTF arguments ("[x, y]", "r", "[w, h]", "pa") into
// one list of values.
func flatten(args []string) []string {
	var out []string
	for _, a := range args {
		if in, ok := inner(a); ok {
			out = append(out, flatten(splitTop(in, ','))...)
			continue
		}
		out = append(out, a)
	}
	return out
}

func (g geom) arg(i int) string {
	if i < len(g.vals) {
		return g.vals[i]
	}
	return ""
}

func (g geom) value(i int, hours bool) (value, error) {
	if i >= len(g.vals) {
		return value{}, fmt.Errorf("%d values, expected more", len(g.vals))
	}
	return parseValue(g.vals[i], hours, g.barePix, g.ds9)
}

// pos reads the position at values i, i+1.
func (g geom) pos(i int) (region.Point, error) {
	x, err := g.value(i, g.hours)
	if err != nil {
		return region.Point{}, err
	}
	y, err := g.value(i+1, false)
	if err != nil {
		return region.Point{}, err
	}
	switch {
	case x.pix && y.pix:
		if g.oneBased {
			x.v, y.v = x.v-1, y.v-1
		}
		return region.Point{X: x.v, Y: y.v}, nil
	case !x.pix && !y.pix:
		return g.c.worldToPixel(x.v, y.v)
	}
	return region.Point{}, fmt.Errorf("position (%s, %s) mixes pixel and world coordinates", g.vals[i], g.vals[i+1])
}

// length reads a size at value i, in pixels along x (alongY false) or y
// at centre.
func (g geom) length(i int, centre region.Point, alongY bool) (float64, error) {
	v, err := g.value(i, false)
	if err != nil || v.pix {
		return v.v, err
	}
	sx, sy, err := g.c.pixelScale(centre)
	if alongY {
		return v.v / sy, err
	}
	return v.v / sx, err
}

// angle reads a rotation in degrees at value i; missing is 0.
func (g geom) angle(i int) (float64, error) {
	if i >= len(g.vals) || g.vals[i] == "" {
		return 0, nil
	}
	v, err := parseValue(g.vals[i], false, false, g.ds9)
	if err == nil && v.pix {
		err = fmt.Errorf("angle %q in pixels", g.vals[i])
	}
	return v.v, err
}

func (g geom) point(k region.Kind) (Region, error) {
	p, err := g.pos(0)
	return Region{Kind: k, Points: []region.Point{p}}, err
}

// points reads all values as positions, at least min and at most max
// (-1: any number).
func (g geom) points(k region.Kind, min, max int) (Region, error) {
	n := len(g.vals) / 2
	if len(g.vals)%2 != 0 || n < min || (max >= 0 && n > max) {
		return Region{}, fmt.Errorf("%d values for a %s", len(g.vals), kindName(k))
	}
	r := Region{Kind: k}
	for i := 0; i < n; i++ {
		p, err := g.pos(2 * i)
		if err != nil {
			return r, err
		}
		r.Points = append(r.Points, p)
	}
	return r, nil
}

// corners reads a box given by two corners.
func (g geom) corners(k region.Kind) (Region, error) {
	r, err := g.points(k, 2, 2)
	if err != nil {
		return r, err
	}
	a, b := r.Points[0], r.Points[1]
	r.Points = []region.Point{{X: (a.X + b.X) / 2, Y: (a.Y + b.Y) / 2}, {X: abs(b.X - a.X), Y: abs(b.Y - a.Y)}}
	return r, nil
}

// sized reads centre, two sizes and, if rotated, an angle. An ellipse's
// first semi-axis lies along y before rotation.
func (g geom) sized(k region.Kind, rotated, ellipse bool) (Region, error) {
	c, err := g.pos(0)
	if err != nil {
		return Region{}, err
	}
	w, err := g.length(2, c, ellipse)
	if err != nil {
		return Region{}, err
	}
	h, err := g.length(3, c, !ellipse)
	if err != nil {
		return Region{}, err
	}
	r := Region{Kind: k, Points: []region.Point{c, {X: w, Y: h}}}
	if rotated {
		r.Rotation, err = g.angle(4)
	}
	return r, err
}

// circle reads a centre and one radius.
func (g geom) circle(k region.Kind) (Region, error) {
	c, err := g.pos(0)
	if err != nil {
		return Region{}, err
	}
	rad, err := g.length(2, c, true)
	return Region{Kind: k, Points: []region.Point{c, {X: rad, Y: rad}}}, err
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func kindName(k region.Kind) string {
	names := [...]string{"point", "line", "polyline", "rectangle", "ellipse", "annulus", "polygon",
		"point annotation", "line annotation", "polyline annotation", "rectangle annotation",
		"ellipse annotation", "polygon annotation", "vector", "ruler", "text", "compass"}
	if k >= 0 && int(k) < len(names) {
		return names[k]
	}
	return strings.ToLower(fmt.Sprintf("kind %d", k))
}
