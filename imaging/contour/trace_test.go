package contour

import (
	"math"
	"slices"
	"sort"
	"testing"

	"cartago/imaging"
)

// The contour of a Gaussian bump at level L is the circle of radius
// s·sqrt(−2 ln L); every vertex must lie on it and the polyline must close
// and go all the way round.
func TestTraceBumpIsCircle(t *testing.T) {
	const c, s = 60.0, 18.0
	p := makePlane(121, 121, bump(c, c, s))
	levels := []float64{0.2, 0.5, 0.8, 0.95}
	for k, pl := range mustTrace(t, field(p), levels...) {
		r := s * math.Sqrt(-2*math.Log(levels[k]))
		lines := pl.split()
		if len(lines) != 1 || !closed(lines[0]) {
			t.Fatalf("level %v: %d polylines (closed %v), want 1 closed", levels[k], len(lines), len(lines) > 0 && closed(lines[0]))
		}
		var angles []float64
		for v := 0; v < len(pl.Vertices); v += 2 {
			// Vertices are at pixel index + 0.5. Linear interpolation along
			// a cell edge is off by about |f''/f'|/8 of a pixel: ≤ 0.02
			// for these radii (the smallest circle curves most).
			dx, dy := float64(pl.Vertices[v])-0.5-c, float64(pl.Vertices[v+1])-0.5-c
			if d := math.Hypot(dx, dy); math.Abs(d-r) > 0.03 {
				t.Fatalf("level %v: vertex %d at distance %.4f, want %.4f", levels[k], v/2, d, r)
			}
			angles = append(angles, math.Atan2(dy, dx))
		}
		sort.Float64s(angles)
		gap := angles[0] + 2*math.Pi - angles[len(angles)-1]
		for i := 1; i < len(angles); i++ {
			gap = max(gap, angles[i]-angles[i-1])
		}
		if gap > 1.5/r {
			t.Errorf("level %v: largest angular gap %.3f rad on a circle of radius %.1f", levels[k], gap, r)
		}
	}
}

// A step between columns 29 and 30 (or rows 19 and 20) gives one straight
// polyline across the plane, at the interpolated crossing: level 2 between
// 0 and 10 is 0.2 of the way from the 0. Each case starts from a different
// border; the falling x step starts on the last row, where the reference
// mirrors the first vertex (we do not).
func TestTraceStep(t *testing.T) {
	const w, h = 64, 40
	cases := []struct {
		name   string
		f      func(x, y int) float64
		alongX bool    // the line runs along x (a step in y)
		at     float64 // its fixed coordinate in image pixels
	}{
		{"rising x", func(x, y int) float64 { return step(x >= 30) }, false, 29 + 0.2 + 0.5},
		{"falling x", func(x, y int) float64 { return step(x < 30) }, false, 29 + 0.8 + 0.5},
		{"rising y", func(x, y int) float64 { return step(y >= 20) }, true, 19 + 0.2 + 0.5},
		{"falling y", func(x, y int) float64 { return step(y < 20) }, true, 19 + 0.8 + 0.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pl := mustTrace(t, field(makePlane(w, h, tc.f)), 2)[0]
			if len(pl.Starts) != 1 {
				t.Fatalf("%d polylines, want 1", len(pl.Starts))
			}
			n := h
			fixed, free := 0, 1
			if tc.alongX {
				n, fixed, free = w, 1, 0
			}
			if len(pl.Vertices) != 2*n {
				t.Fatalf("%d vertices, want %d", len(pl.Vertices)/2, n)
			}
			var along []float32
			for v := 0; v < len(pl.Vertices); v += 2 {
				if got := float64(pl.Vertices[v+fixed]); math.Abs(got-tc.at) > 1e-5 {
					t.Fatalf("vertex %d at %v, want %v", v/2, got, tc.at)
				}
				along = append(along, pl.Vertices[v+free])
			}
			slices.Sort(along)
			for k, a := range along {
				if a != float32(k)+0.5 {
					t.Fatalf("free coordinates %v, want 0.5, 1.5, … %v", along, float32(n)-0.5)
				}
			}
		})
	}
}

func step(b bool) float64 {
	if b {
		return 10
	}
	return 0
}

// Every cell edge the level crosses must be visited exactly once, at the
// interpolated point (NaN counting as −MaxFloat32); consecutive vertices
// share a cell; open polylines start and end on the border.
func TestTraceVisitsEveryCrossingOnce(t *testing.T) {
	planes := map[string]imaging.Plane{
		"noisy":      makePlane(97, 61, noisy(1, 0)),
		"noisy+NaN":  makePlane(80, 80, noisy(2, 0.05)),
		"waves":      makePlane(50, 70, waves(0.7)),
		"two pixels": makePlane(2, 2, func(x, y int) float64 { return float64(x + 2*y) }),
	}
	for name, p := range planes {
		for _, level := range []float64{-1.3, -0.2, 0, 0.5, 1.1} {
			pl := mustTrace(t, field(p), level)[0]
			want := crossings(p, level)
			for _, line := range pl.split() {
				checkLine(t, name, level, p, line)
				if closed(line) {
					line = line[:len(line)-2]
				}
				for v := 0; v < len(line); v += 2 {
					k := [2]float32{line[v], line[v+1]}
					if want[k] == 0 {
						t.Fatalf("%s level %v: vertex %v is not an unvisited crossing", name, level, k)
					}
					want[k]--
				}
			}
			for k, n := range want {
				if n != 0 {
					t.Fatalf("%s level %v: crossing %v never visited", name, level, k)
				}
			}
		}
	}
}

// crossings counts the points where level crosses an edge between two
// neighbouring pixels, interpolated from the lower-index end, in image
// pixel coordinates.
func crossings(p imaging.Plane, level float64) map[[2]float32]int {
	at := func(x, y int) float64 { return val(p.At(x, y)) }
	m := map[[2]float32]int{}
	add := func(p0, p1 float64, x, y int, alongX bool) {
		if (p0 >= level) == (p1 >= level) {
			return
		}
		f := (level - p0) / (p1 - p0)
		fx, fy := float64(x), float64(y)
		if alongX {
			fx += f
		} else {
			fy += f
		}
		m[[2]float32{float32(fx + 0.5), float32(fy + 0.5)}]++
	}
	for y := range p.Height {
		for x := range p.Width {
			if x+1 < p.Width {
				add(at(x, y), at(x+1, y), x, y, true)
			}
			if y+1 < p.Height {
				add(at(x, y), at(x, y+1), x, y, false)
			}
		}
	}
	return m
}

func checkLine(t *testing.T, name string, level float64, p imaging.Plane, line []float32) {
	t.Helper()
	if len(line) < 4 || len(line)%2 != 0 {
		t.Fatalf("%s level %v: polyline of %d floats", name, level, len(line))
	}
	for v := 2; v < len(line); v += 2 {
		if math.Abs(float64(line[v]-line[v-2])) > 1 || math.Abs(float64(line[v+1]-line[v-1])) > 1 {
			t.Fatalf("%s level %v: vertices %v and %v do not share a cell", name, level, line[v-2:v], line[v:v+2])
		}
	}
	if closed(line) {
		return
	}
	onBorder := func(x, y float32) bool {
		return x == 0.5 || y == 0.5 || x == float32(p.Width)-0.5 || y == float32(p.Height)-0.5
	}
	n := len(line)
	if !onBorder(line[0], line[1]) || !onBorder(line[n-2], line[n-1]) {
		t.Fatalf("%s level %v: open polyline from %v to %v does not touch the border at both ends", name, level, line[:2], line[n-2:])
	}
}

// A NaN hole inside a bump: one contour round the outside at the circle,
// one round the hole hugging the valid pixels next to it.
func TestTraceNaNHole(t *testing.T) {
	const c, s, hole = 60.0, 18.0, 6.0
	b := bump(c, c, s)
	p := makePlane(121, 121, func(x, y int) float64 {
		if math.Hypot(float64(x)-c, float64(y)-c) <= hole {
			return math.NaN()
		}
		return b(x, y)
	})
	const level = 0.9
	r := s * math.Sqrt(-2*math.Log(level))
	lines := mustTrace(t, field(p), level)[0].split()
	if len(lines) != 2 {
		t.Fatalf("%d polylines, want 2", len(lines))
	}
	var inner, outer int
	for _, line := range lines {
		if !closed(line) {
			t.Fatalf("open polyline round a hole")
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for v := 0; v < len(line); v += 2 {
			d := math.Hypot(float64(line[v])-0.5-c, float64(line[v+1])-0.5-c)
			lo, hi = min(lo, d), max(hi, d)
		}
		switch {
		case lo > r-0.03 && hi < r+0.03:
			outer++
		case lo > hole && hi < hole+1.5:
			inner++
		default:
			t.Fatalf("polyline between radii %.3f and %.3f; want the circle %.3f or the hole's rim", lo, hi, r)
		}
	}
	if inner != 1 || outer != 1 {
		t.Fatalf("inner %d outer %d, want 1 and 1", inner, outer)
	}
}

func TestTraceNoContours(t *testing.T) {
	p := makePlane(40, 30, bump(20, 15, 5))
	for k, pl := range mustTrace(t, field(p), 1.5, -0.5, math.NaN(), math.Inf(1), math.Inf(-1)) {
		if len(pl.Vertices) != 0 || len(pl.Starts) != 0 {
			t.Errorf("level %d: %d vertices, want none", k, len(pl.Vertices)/2)
		}
	}
	flat := makePlane(10, 10, func(x, y int) float64 { return 3 })
	if pl := mustTrace(t, field(flat), 3)[0]; len(pl.Starts) != 0 {
		t.Errorf("flat plane at its own value: %d polylines", len(pl.Starts))
	}
	allNaN := makePlane(10, 10, func(x, y int) float64 { return math.NaN() })
	if pl := mustTrace(t, field(allNaN), 0)[0]; len(pl.Starts) != 0 {
		t.Errorf("blank plane: %d polylines", len(pl.Starts))
	}
	for _, sz := range [][2]int{{0, 0}, {1, 9}, {9, 1}, {1, 1}} {
		p := makePlane(sz[0], sz[1], func(x, y int) float64 { return float64(x - y) })
		if pl := mustTrace(t, field(p), 0)[0]; len(pl.Starts) != 0 {
			t.Errorf("%v plane: %d polylines", sz, len(pl.Starts))
		}
	}
}

// Many levels at once (traced in parallel) give what each gives alone, in
// the order asked, duplicates included.
func TestTraceLevelsIndependent(t *testing.T) {
	f := field(makePlane(90, 70, noisy(3, 0.02)))
	levels := []float64{0.5, -1, 0.5, 2, 0, 1.2, -0.3}
	all := mustTrace(t, f, levels...)
	for k, l := range levels {
		one := mustTrace(t, f, l)[0]
		if !slices.Equal(all[k].Vertices, one.Vertices) || !slices.Equal(all[k].Starts, one.Starts) {
			t.Fatalf("level %v traced with others differs from alone", l)
		}
	}
}

// Scale and offset map field pixels to image pixels: a vertex at field
// index x is sent at Scale·(x+0.5)+Offset.
func TestTraceScaleOffset(t *testing.T) {
	p := makePlane(8, 8, func(x, y int) float64 { return step(x >= 4) })
	pl := mustTrace(t, Field{Plane: p, Scale: 4, Offset: 3}, 5)[0]
	for v := 0; v < len(pl.Vertices); v += 2 {
		if pl.Vertices[v] != 4*(3.5+0.5)+3 {
			t.Fatalf("x = %v, want %v", pl.Vertices[v], 4*(3.5+0.5)+3)
		}
	}
}

func TestTraceBadPlane(t *testing.T) {
	_, err := Trace(t.Context(), field(imaging.Plane{Width: 4, Height: 4, Data: make([]float32, 15)}), []float64{0})
	if err != ErrBadPlane {
		t.Fatalf("got %v, want ErrBadPlane", err)
	}
}
