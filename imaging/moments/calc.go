package moments

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// calc is one worker's scratch: a band's values and running sums.
type calc struct {
	req  Request
	need [kinds]bool
	n    int       // channels
	buf  []float32 // one channel of a band, or every channel when spectra
	// Running sums per pixel of the band, in float64 as casacore's
	// PrecisionType for Float (MomentCalcBase::accumSums).
	s0, s0Sq, s1, s2 []float64
	count            []int32
	lo, hi           []float32 // smallest and largest value, first one wins
	iLo, iHi         []int32   // their channels
	spectra          bool
	sq, extremes     bool      // some kind needs the squares, or the extremes
	coords           bool      // some kind needs the coordinate-weighted sums
	vals             []float32 // one pixel's counted values
	idx              []int32   // and their channels
	cum              []float32 // their running sum, for the median coordinate
}

func newCalc(req Request, pixels int, spectra bool) *calc {
	n := req.To - req.From + 1
	c := &calc{req: req, n: n, spectra: spectra,
		s0: make([]float64, pixels), s0Sq: make([]float64, pixels), s1: make([]float64, pixels), s2: make([]float64, pixels),
		count: make([]int32, pixels), lo: make([]float32, pixels), hi: make([]float32, pixels),
		iLo: make([]int32, pixels), iHi: make([]int32, pixels)}
	for _, k := range req.Kinds {
		c.need[k] = true
	}
	c.sq = c.need[StdDev] || c.need[RMS]
	c.extremes = c.need[Max] || c.need[MaxCoord] || c.need[Min] || c.need[MinCoord]
	c.coords = c.need[WeightedCoord] || c.need[WeightedDispersion]
	if spectra {
		c.buf = make([]float32, pixels*n)
		c.vals, c.idx, c.cum = make([]float32, n), make([]int32, n), make([]float32, n)
	} else {
		c.buf = make([]float32, pixels)
	}
	return c
}

// band computes rows y0..y0+r-1 of the rectangle into out.
func (c *calc) band(ctx context.Context, src Source, y0, r int, out [][]float32) error {
	rect := c.req.Rect
	px := r * rect.W
	c.reset(px)
	for ch := 0; ch < c.n; ch++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf := c.buf[:px]
		if c.spectra {
			buf = c.buf[ch*px : (ch+1)*px]
		}
		if err := src.ReadRect(buf, c.req.From+ch, rect.X0, rect.Y0+y0, rect.W, r); err != nil {
			return fmt.Errorf("moments: channel %d rows %d..%d: %w", c.req.From+ch, rect.Y0+y0, rect.Y0+y0+r-1, err)
		}
		c.accumulate(buf, ch)
	}
	for i := 0; i < px; i++ {
		pos := y0*rect.W + i
		if c.count[i] == 0 || c.req.Region != nil && !c.req.Region[pos] {
			for k := range out {
				out[k][pos] = float32(math.NaN())
			}
			continue
		}
		c.pixel(i, px, pos, out)
	}
	return nil
}

func (c *calc) reset(px int) {
	clear(c.s0[:px])
	clear(c.s0Sq[:px])
	clear(c.s1[:px])
	clear(c.s2[:px])
	clear(c.count[:px])
	for i := range px {
		c.lo[i], c.hi[i] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
}

// accumulate adds channel ch (index in the range) of every pixel of
// the band: casacore MomentCalcBase::accumSums over the values that
// MomentClip::multiProcess selects. The common requests (no mask, no
// extremes, no squares) take a loop with nothing else in it.
func (c *calc) accumulate(vals []float32, ch int) {
	x := c.req.Coords[c.req.From+ch]
	if c.req.Mask.Mode == 0 && !c.sq && !c.extremes {
		switch {
		case c.need[WeightedDispersion]:
			c.addCoords(vals, x)
		case c.coords:
			c.addCoord(vals, x)
		default:
			c.addSums(vals)
		}
		return
	}
	m := c.req.Mask
	for i, v := range vals {
		if v != v || m.Mode != 0 && !m.keep(v) { // NaN: masked in the image
			continue
		}
		d := float64(v)
		c.s0[i] += d
		c.s0Sq[i] += d * d
		c.s1[i] += d * x
		c.s2[i] += d * x * x
		c.count[i]++
		if v < c.lo[i] {
			c.lo[i], c.iLo[i] = v, int32(ch)
		}
		if v > c.hi[i] {
			c.hi[i], c.iHi[i] = v, int32(ch)
		}
	}
}

// addSums counts and sums the values that are not NaN.
func (c *calc) addSums(vals []float32) {
	s0, count := c.s0[:len(vals)], c.count[:len(vals)]
	for i, v := range vals {
		if v == v {
			s0[i] += float64(v)
			count[i]++
		}
	}
}

// addCoord is addSums with the coordinate-weighted sum.
func (c *calc) addCoord(vals []float32, x float64) {
	s0, s1, count := c.s0[:len(vals)], c.s1[:len(vals)], c.count[:len(vals)]
	for i, v := range vals {
		if v == v {
			d := float64(v)
			s0[i] += d
			s1[i] += d * x
			count[i]++
		}
	}
}

// addCoords is addSums with both coordinate-weighted sums.
func (c *calc) addCoords(vals []float32, x float64) {
	s0, s1, s2, count := c.s0[:len(vals)], c.s1[:len(vals)], c.s2[:len(vals)], c.count[:len(vals)]
	for i, v := range vals {
		if v == v {
			d := float64(v)
			s0[i] += d
			s1[i] += d * x
			s2[i] += d * x * x
			count[i]++
		}
	}
}

// pixel writes every moment of band pixel i (planes of px values in
// c.buf when spectra) at position pos of out: casacore
// MomentCalcBase::setCalcMoments. A masked moment is NaN.
func (c *calc) pixel(i, px, pos int, out [][]float32) {
	nan := math.NaN()
	s0, s0Sq, s1, s2, n := c.s0[i], c.s0Sq[i], c.s1[i], c.s2[i], float64(c.count[i])
	var absDev, median, medianCoord float64
	if c.spectra {
		absDev, median, medianCoord = c.costly(i, px)
	}
	for k, kind := range c.req.Kinds {
		var v float64
		switch kind {
		case Mean:
			v = s0 / n
		case Integrated:
			v = s0 * c.req.Scale
		case WeightedCoord:
			v = nan
			if math.Abs(s0) > 0 {
				v = s1 / s0
			}
		case WeightedDispersion:
			v = nan
			if math.Abs(s0) > 0 {
				wc := s1 / s0
				if d := math.Abs(s2/s0 - wc*wc); d > 0 {
					v = math.Sqrt(d)
				}
			}
		case StdDev:
			v = nan
			if n > 1 && float32((s0Sq-s0*s0/n)/(n-1)) > 0 {
				v = math.Sqrt((s0Sq - s0*s0/n) / (n - 1))
			}
		case RMS:
			v = math.Sqrt(s0Sq / n)
		case AbsMeanDeviation:
			v = absDev
		case Median:
			v = median
		case MedianCoord:
			v = medianCoord
		case Max:
			v = float64(c.hi[i])
		case MaxCoord:
			v = c.req.Coords[c.req.From+int(c.iHi[i])]
		case Min:
			v = float64(c.lo[i])
		case MinCoord:
			v = c.req.Coords[c.req.From+int(c.iLo[i])]
		}
		out[k][pos] = float32(v)
	}
}

// costly computes the kinds that need pixel i's counted values, in
// channel order (MomentClip::multiProcess).
func (c *calc) costly(i, px int) (absDev, median, medianCoord float64) {
	vals, idx := c.vals[:0], c.idx[:0]
	m := c.req.Mask
	for ch := 0; ch < c.n; ch++ {
		v := c.buf[ch*px+i]
		if v == v && (m.Mode == 0 || m.keep(v)) {
			vals, idx = append(vals, v), append(idx, int32(ch))
		}
	}
	if c.need[AbsMeanDeviation] {
		mean := float32(c.s0[i] / float64(len(vals))) // casacore: T iMean
		for _, v := range vals {
			absDev += math.Abs(float64(v - mean))
		}
		absDev /= float64(len(vals))
	}
	if c.need[MedianCoord] {
		medianCoord = c.medianCoord(vals, idx)
	}
	if c.need[Median] {
		median = medianOf(vals)
	}
	return absDev, median, medianCoord
}

// medianOf sorts vals (scratch) and returns casacore's median: the mean
// of the two middle values for an even count up to 100, else the upper
// one (casacore median(Array) takes the even mean when n ≤ 100).
func medianOf(vals []float32) float64 {
	slices.Sort(vals)
	n := len(vals)
	if n%2 == 0 && n <= 100 {
		return float64((vals[n/2-1] + vals[n/2]) / 2)
	}
	return float64(vals[n/2])
}

// medianCoord is casacore's median coordinate (MomentClip::multiProcess):
// the counted values made cumulative as c_0 = |v_0|, c_i = v_i + |c_(i-1)|;
// the first channel whose c_i reaches half the largest c_i gives the
// coordinate. casacore "interpolates" between that channel and the one
// before, but its line through both points is evaluated at the later
// one's own value, so the result is that channel's coordinate exactly.
func (c *calc) medianCoord(vals []float32, idx []int32) float64 {
	cum := c.cum[:len(vals)]
	cum[0] = float32(math.Abs(float64(vals[0])))
	top := cum[0]
	for i := 1; i < len(vals); i++ {
		cum[i] = vals[i] + float32(math.Abs(float64(cum[i-1])))
		top = max(top, cum[i])
	}
	half := float64(top) / 2
	at := 0
	for i, v := range cum {
		if float64(v) >= half {
			at = i
			break
		}
	}
	return c.req.Coords[c.req.From+int(idx[at])]
}
