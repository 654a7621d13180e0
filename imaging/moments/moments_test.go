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

func (c cube) ReadRows(dst []float32, i, y0, rows int) error {
	copy(dst, c.data[i][y0*c.w:(y0+rows)*c.w])
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
		return sum * math.Abs(dx)
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
	case MedianCoord:
		half, run := sum/2, 0.0
		for i, v := range vals {
			if run+v >= half {
				if i == 0 {
					return x[0]
				}
				return x[i-1] + (half-run)/v*(x[i]-x[i-1])
			}
			run += v
		}
		return x[len(x)-1]
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
	for _, mask := range []Mask{{}, {Mode: 1, Lo: 0, Hi: 4}, {Mode: 2, Lo: -1, Hi: 1}} {
		for _, reg := range [][]bool{nil, region} {
			for _, bandBytes := range []int64{0, 4 * 9 * 12 * 3, 1 << 20} {
				req := Request{Kinds: allKinds(), From: 2, To: 10, Coords: coords, Mask: mask, Region: reg, BandBytes: bandBytes}
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
			if req.Mask.Mode == 1 && !in || req.Mask.Mode == 2 && in {
				continue
			}
			vals, x = append(vals, float64(v)), append(x, req.Coords[ch])
		}
		for i, k := range req.Kinds {
			want, got := oracle(k, vals, x, req.Coords[1]-req.Coords[0]), float64(out[i][pos])
			if k == StdDev && len(vals) == 1 {
				want = math.NaN()
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
