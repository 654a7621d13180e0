package moments

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
)

// cube is an in-memory cube: data[ch][y*w+x].
type cube struct {
	w, h int
	data [][]float32
}

func (c cube) Shape() (int, int, int) { return c.w, c.h, len(c.data) }

func (c cube) ReadRect(dst []float32, i, x0, y0, w, rows int) error {
	for r := range rows {
		copy(dst[r*w:(r+1)*w], c.data[i][(y0+r)*c.w+x0:])
	}
	return nil
}

func genCube(w, h, d int) cube {
	c := cube{w: w, h: h}
	for ch := 0; ch < d; ch++ {
		p := make([]float32, w*h)
		for i := range p {
			p[i] = float32(math.Sin(float64(i*7+ch*3))*5 + float64(ch%4))
		}
		c.data = append(c.data, p)
	}
	c.data[2][5] = float32(math.NaN())
	for ch := range c.data { // a fully blank pixel
		c.data[ch][7] = float32(math.NaN())
	}
	return c
}

// oracle computes one moment of one pixel the textbook way.
func oracle(k Kind, vals, x []float64, dx float64) float64 {
	n := float64(len(vals))
	if len(vals) == 0 {
		return math.NaN()
	}
	sum, sumX, sumXX, sq := 0.0, 0.0, 0.0, 0.0
	for i, v := range vals {
		sum += v
		sumX += v * x[i]
		sq += v * v
	}
	mean := sum / n
	wc := sumX / sum
	for i, v := range vals {
		sumXX += v * (x[i] - wc) * (x[i] - wc)
	}
	switch k {
	case Mean:
		return mean
	case Integrated:
		return sum * dx
	case WeightedCoord:
		return wc
	case WeightedDispersion:
		return math.Sqrt(sumXX / sum)
	case Median:
		s := slices.Clone(vals)
		slices.Sort(s)
		if len(s)%2 == 0 {
			return (s[len(s)/2-1] + s[len(s)/2]) / 2
		}
		return s[len(s)/2]
	case MedianCoord: // casacore's running sum of |values|, first at half its maximum
		cum := make([]float64, len(vals))
		top := math.Inf(-1)
		for i, v := range vals {
			if i == 0 {
				cum[i] = math.Abs(v)
			} else {
				cum[i] = v + math.Abs(cum[i-1])
			}
			top = math.Max(top, cum[i])
		}
		for i := range cum {
			if cum[i] >= top/2 {
				return x[i]
			}
		}
		return x[0]
	case StdDev:
		d := 0.0
		for _, v := range vals {
			d += (v - mean) * (v - mean)
		}
		return math.Sqrt(d / (n - 1))
	case RMS:
		return math.Sqrt(sq / n)
	case AbsMeanDeviation:
		d := 0.0
		for _, v := range vals {
			d += math.Abs(v - mean)
		}
		return d / n
	case Max, MaxCoord, Min, MinCoord:
		best := 0
		for i, v := range vals {
			if (k == Max || k == MaxCoord) && v > vals[best] || (k == Min || k == MinCoord) && v < vals[best] {
				best = i
			}
		}
		if k == Max || k == Min {
			return vals[best]
		}
		return x[best]
	}
	panic("kind")
}

func allKinds() []Kind {
	var ks []Kind
	for k := Kind(0); k < kinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

func TestComputeMatchesOracle(t *testing.T) {
	c := genCube(9, 7, 12)
	coords := make([]float64, 12)
	for i := range coords {
		coords[i] = 100 - 2.5*float64(i) // decreasing, like a velocity axis of a frequency cube
	}
	region := make([]bool, 9*7)
	for i := range region {
		region[i] = i%5 != 3
	}
	// All kinds take the general loop; the sums alone and the weighted
	// sums alone take loops of their own when there is no mask.
	for _, kinds := range [][]Kind{allKinds(), {Integrated, Mean}, {WeightedCoord, Integrated}, {WeightedCoord, WeightedDispersion, Integrated}} {
		for _, mask := range []Mask{{}, {Mode: 1, Lo: 0, Hi: 4}, {Mode: 2, Lo: -1, Hi: 1}} {
			for _, reg := range [][]bool{nil, region} {
				for _, bandBytes := range []int64{0, 4 * 9 * 12 * 3, 1 << 20} {
					req := Request{Kinds: kinds, From: 2, To: 10, Coords: coords, Scale: 2.5, Mask: mask, Region: reg, BandBytes: bandBytes}
					var last float64
					out, err := Compute(context.Background(), c, req, func(d float64) { last = d })
					if err != nil {
						t.Fatal(err)
					}
					if last != 1 {
						t.Errorf("last progress %v, want 1", last)
					}
					checkOracle(t, c, req, out)
				}
			}
		}
	}
}

func checkOracle(t *testing.T, c cube, req Request, out [][]float32) {
	t.Helper()
	for pos := 0; pos < c.w*c.h; pos++ {
		var vals, x []float64
		for ch := req.From; ch <= req.To; ch++ {
			v := c.data[ch][pos]
			if math.IsNaN(float64(v)) || (req.Region != nil && !req.Region[pos]) {
				continue
			}
			in := v >= req.Mask.Lo && v <= req.Mask.Hi
			out := v <= req.Mask.Lo || v >= req.Mask.Hi
			if req.Mask.Mode == 1 && !in || req.Mask.Mode == 2 && !out {
				continue
			}
			vals, x = append(vals, float64(v)), append(x, req.Coords[ch])
		}
		for i, k := range req.Kinds {
			want, got := oracle(k, vals, x, req.Scale), float64(out[i][pos])
			if k == StdDev && len(vals) == 1 {
				want = math.NaN()
			}
			if k == WeightedDispersion && len(vals) == 1 && (math.IsNaN(got) || math.Abs(got) < 1e-3) {
				continue // zero up to rounding, masked when exactly zero
			}
			if math.IsNaN(want) != math.IsNaN(got) || !math.IsNaN(want) && math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
				t.Fatalf("mask %+v region %v pixel %d moment %d: got %v, want %v (values %v)", req.Mask, req.Region != nil, pos, k, got, want, vals)
			}
		}
	}
}

func TestComputeCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Compute(ctx, genCube(4, 4, 3), Request{Kinds: []Kind{Mean}, To: 2, Coords: make([]float64, 3)}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want canceled", err)
	}
}

func TestComputeRejectsBadRequests(t *testing.T) {
	c := genCube(4, 4, 3)
	for _, req := range []Request{
		{Kinds: []Kind{Mean}, From: 0, To: 3, Coords: make([]float64, 3)},
		{Kinds: []Kind{Mean}, From: 2, To: 1, Coords: make([]float64, 3)},
		{Kinds: []Kind{13}, To: 2, Coords: make([]float64, 3)},
		{Kinds: []Kind{Mean}, To: 2, Coords: make([]float64, 2)},
		{Kinds: []Kind{Mean}, To: 2, Coords: make([]float64, 3), Region: make([]bool, 3)},
	} {
		if _, err := Compute(context.Background(), c, req, nil); err == nil {
			t.Errorf("%+v: no error", req)
		}
	}
}

// The rules where casacore differs from the textbook, each checked on
// a spectrum worked by hand (coordinates 10, 20, 30, 40):
//   - the median coordinate is the coordinate of the first channel whose
//     running sum of |values| reaches half its largest value, without
//     interpolation (MomentClip::multiProcess);
//   - an exclude range drops only the values strictly inside it;
//   - a zero standard deviation or dispersion is masked (NaN), not 0
//     (MomentCalcBase::setCalcMoments).
func TestComputeCasacoreRules(t *testing.T) {
	nan := float32(math.NaN())
	c := cube{w: 3, h: 1, data: [][]float32{{1, 2, nan}, {2, 2, 5}, {3, 2, nan}, {4, 2, nan}}}
	coords := []float64{10, 20, 30, 40}
	run := func(kinds []Kind, m Mask) [][]float32 {
		t.Helper()
		out, err := Compute(context.Background(), c, Request{Kinds: kinds, To: 3, Coords: coords, Scale: 10, Mask: m}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := run([]Kind{MedianCoord, Median}, Mask{Mode: 1, Lo: 0, Hi: 10})
	if out[0][0] != 30 || out[1][0] != 2.5 { // running sums 1 3 6 10: 6 ≥ 5 at channel 2
		t.Errorf("median coordinate %v median %v, want 30 and 2.5", out[0][0], out[1][0])
	}
	if out := run([]Kind{Mean}, Mask{Mode: 2, Lo: 1, Hi: 3}); out[0][0] != float32(8)/3 { // 1, 3 and 4 count
		t.Errorf("mean excluding (1, 3) = %v, want 8/3", out[0][0])
	}
	out = run([]Kind{StdDev, WeightedDispersion, Integrated}, Mask{})
	if !math.IsNaN(float64(out[0][1])) || !math.IsNaN(float64(out[1][2])) {
		t.Errorf("zero standard deviation %v, zero dispersion %v: want NaN (masked)", out[0][1], out[1][2])
	}
	if out[2][0] != 100 {
		t.Errorf("integrated %v, want the sum × scale 100", out[2][0])
	}
}

// A rectangle collapses only that part of the image; the region flags
// cover the rectangle.
func TestComputeRect(t *testing.T) {
	c := genCube(9, 7, 5)
	coords := []float64{0, 1, 2, 3, 4}
	whole, err := Compute(context.Background(), c, Request{Kinds: []Kind{Mean}, To: 4, Coords: coords}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := Rect{X0: 2, Y0: 3, W: 4, H: 3}
	region := make([]bool, r.W*r.H)
	region[5] = true
	part, err := Compute(context.Background(), c, Request{Kinds: []Kind{Mean}, To: 4, Coords: coords, Rect: r, Region: region}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for y := range r.H {
		for x := range r.W {
			got, want := part[0][y*r.W+x], whole[0][(r.Y0+y)*9+r.X0+x]
			if !region[y*r.W+x] {
				want = float32(math.NaN())
			}
			if got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
				t.Fatalf("at %d,%d of the rectangle: %v, want %v", x, y, got, want)
			}
		}
	}
}
