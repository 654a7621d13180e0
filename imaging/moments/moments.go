// Package moments collapses a cube along its spectral axis into moment
// images, with the definitions of casacore's MomentCalculator (which the
// reference, carta-backend src/Moment/, runs): NaN pixels and pixels
// outside the include/exclude range do not count, and a spectrum with no
// counted value gives NaN.
package moments

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"sort"
	"sync"

	"cartago/imaging"
	"cartago/imaging/stats"
)

// Kind is a moment type, numbered as the ICD's Moment enum.
type Kind int

const (
	Mean Kind = iota
	Integrated
	WeightedCoord
	WeightedDispersion
	Median
	MedianCoord
	StdDev
	RMS
	AbsMeanDeviation
	Max
	MaxCoord
	Min
	MinCoord
	kinds // how many there are
)

// Valid reports whether k is a moment type.
func (k Kind) Valid() bool { return k >= 0 && k < kinds }

// Mask selects the values that count: all (None), those inside [Lo, Hi]
// (Include) or those outside it (Exclude).
type Mask struct {
	Mode   int // 0 none, 1 include, 2 exclude, as the ICD's MomentMask
	Lo, Hi float32
}

func (m Mask) keep(v float32) bool {
	switch m.Mode {
	case 1:
		return v >= m.Lo && v <= m.Hi
	case 2:
		return v < m.Lo || v > m.Hi
	}
	return true
}

// Request says what to compute.
type Request struct {
	Kinds    []Kind
	From, To int       // channel range, inclusive
	Coords   []float64 // world coordinate of every channel of the cube, in the moment axis's unit
	Mask     Mask
	// Region, when not nil, holds width·height flags: pixels without it
	// are NaN in every moment.
	Region []bool
	// BandBytes bounds the spectra held at once (rows × width × channels
	// values); at least one row is always read.
	BandBytes int64
}

// Progress receives the fraction done, in (0, 1], after every band,
// one call at a time.
type Progress func(done float64)

// Compute returns one width·height plane per requested kind, reading
// the cube in bands of rows with every channel of the range at once
// (medians need the whole spectrum), a band per core at a time. Memory:
// the outputs plus BandBytes. src.ReadRows is called from several
// goroutines at once.
func Compute(ctx context.Context, src stats.Planes, req Request, progress Progress) ([][]float32, error) {
	w, h, depth := src.Shape()
	if req.From < 0 || req.To >= depth || req.From > req.To {
		return nil, fmt.Errorf("moments: channel range %d..%d outside 0..%d", req.From, req.To, depth-1)
	}
	if len(req.Coords) != depth {
		return nil, fmt.Errorf("moments: %d coordinates for %d channels", len(req.Coords), depth)
	}
	for _, k := range req.Kinds {
		if !k.Valid() {
			return nil, fmt.Errorf("moments: unknown moment %d", k)
		}
	}
	if req.Region != nil && len(req.Region) != w*h {
		return nil, fmt.Errorf("moments: region of %d pixels for a %d×%d image", len(req.Region), w, h)
	}
	out := make([][]float32, len(req.Kinds))
	for i := range out {
		out[i] = make([]float32, w*h)
	}
	n := req.To - req.From + 1
	workers := imaging.Workers(h)
	rows := int(req.BandBytes / (4 * int64(w) * int64(n) * int64(workers)))
	rows = max(1, min(rows, h))
	bands, calcs := make([][]float32, workers), make([]*calc, workers)
	for i := range calcs {
		bands[i] = make([]float32, rows*w*n)
		calcs[i] = newCalc(req, n)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var first error
	done := 0 // rows, guarded by mu
	err := imaging.ForTasks(ctx, h, rows, func(worker, _, y0, y1 int) {
		if err := calcs[worker].band(ctx, src, bands[worker], w, y0, y1-y0, out); err != nil {
			mu.Lock()
			first = cmp.Or(first, err)
			mu.Unlock()
			cancel()
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done += y1 - y0
		if progress != nil {
			progress(float64(done) / float64(h))
		}
	})
	if err = cmp.Or(first, err); err != nil {
		return nil, err
	}
	return out, nil
}

// band computes rows y0..y0+r-1: reads them over the channel range
// into buf, then every pixel's moments into out.
func (c *calc) band(ctx context.Context, src stats.Planes, buf []float32, w, y0, r int, out [][]float32) error {
	for ch := 0; ch < c.n; ch++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := src.ReadRows(buf[ch*r*w:(ch+1)*r*w], c.req.From+ch, y0, r); err != nil {
			return fmt.Errorf("moments: channel %d rows %d..%d: %w", c.req.From+ch, y0, y0+r-1, err)
		}
	}
	for i := 0; i < r*w; i++ {
		c.pixel(buf, r*w, i, y0*w+i, out)
	}
	return nil
}

func newCalc(req Request, n int) *calc {
	c := &calc{req: req, n: n, spec: make([]float32, n), coord: make([]float64, n), vals: make([]float64, kinds)}
	for _, k := range req.Kinds {
		c.need[k] = true
	}
	return c
}

// calc holds the scratch of one worker's pixel computations.
type calc struct {
	req   Request
	n     int
	spec  []float32 // counted values of the pixel
	coord []float64 // their coordinates
	vals  []float64 // by kind
	need  [kinds]bool
}

// pixel computes every moment of pixel at (index i of the band whose
// planes hold stride values), writing position pos of out.
func (c *calc) pixel(band []float32, stride, i, pos int, out [][]float32) {
	spec, coord := c.spec[:0], c.coord[:0]
	if c.req.Region == nil || c.req.Region[pos] {
		for ch := 0; ch < c.n; ch++ {
			v := band[ch*stride+i]
			if !math.IsNaN(float64(v)) && c.req.Mask.keep(v) {
				spec = append(spec, v)
				coord = append(coord, c.req.Coords[c.req.From+ch])
			}
		}
	}
	if len(spec) == 0 {
		for k := range out {
			out[k][pos] = float32(math.NaN())
		}
		return
	}
	c.compute(spec, coord)
	for k, kind := range c.req.Kinds {
		out[k][pos] = float32(c.vals[kind])
	}
}

// compute fills c.vals for a spectrum of counted values.
func (c *calc) compute(spec []float32, coord []float64) {
	var s0, s1, s2, sx, sxx float64
	iMax, iMin := 0, 0
	for i, f := range spec {
		v := float64(f)
		s0 += v
		s2 += v * v
		sx += v * coord[i]
		sxx += v * coord[i] * coord[i]
		if f > spec[iMax] {
			iMax = i
		}
		if f < spec[iMin] {
			iMin = i
		}
	}
	n := float64(len(spec))
	mean := s0 / n
	if c.need[AbsMeanDeviation] { // a second pass, only when asked
		for _, f := range spec {
			s1 += math.Abs(float64(f) - mean)
		}
	}
	v := c.vals
	v[Mean], v[RMS], v[AbsMeanDeviation] = mean, math.Sqrt(s2/n), s1/n
	v[Integrated] = s0 * c.width()
	v[Max], v[MaxCoord] = float64(spec[iMax]), coord[iMax]
	v[Min], v[MinCoord] = float64(spec[iMin]), coord[iMin]
	v[StdDev] = math.NaN() // casacore: undefined for one value
	if len(spec) > 1 {
		v[StdDev] = math.Sqrt(max(0, (s2-s0*s0/n)/(n-1)))
	}
	v[WeightedCoord], v[WeightedDispersion] = math.NaN(), math.NaN()
	if s0 != 0 {
		wc := sx / s0
		v[WeightedCoord] = wc
		v[WeightedDispersion] = math.Sqrt(max(0, sxx/s0-wc*wc))
	}
	if c.need[MedianCoord] {
		v[MedianCoord] = medianCoord(spec, coord, s0) // before median sorts spec
	}
	if c.need[Median] { // sorts: only when asked
		v[Median] = median(spec)
	}
}

// width is the channel width in the moment axis's unit, |Δ|, as
// casacore multiplies the sum by for the integrated moment.
func (c *calc) width() float64 {
	co := c.req.Coords
	if len(co) < 2 {
		return 1
	}
	return math.Abs(co[1] - co[0])
}

// median sorts spec (scratch) and returns casacore's median: the mean of
// the two middle values for an even count up to 100, else the upper one
// (casacore Array median's takeEvenMean = n <= 100).
func median(spec []float32) float64 {
	s := spec
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	if n%2 == 0 && n <= 100 {
		return (float64(s[n/2-1]) + float64(s[n/2])) / 2
	}
	return float64(s[n/2])
}

// medianCoord is the coordinate at which the running sum of the values
// reaches half their sum, interpolated linearly between channels.
func medianCoord(spec []float32, coord []float64, total float64) float64 {
	half, run := total/2, 0.0
	for i, f := range spec {
		prev := run
		run += float64(f)
		if (total >= 0 && run >= half) || (total < 0 && run <= half) {
			if i == 0 || run == prev {
				return coord[i]
			}
			t := (half - prev) / (run - prev)
			return coord[i-1] + t*(coord[i]-coord[i-1])
		}
	}
	return coord[len(coord)-1]
}
