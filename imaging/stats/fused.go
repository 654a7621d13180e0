package stats

import (
	"context"
	"math"

	"cartago/imaging"
)

// This file holds PlaneHistogram's fast path: a min/max pass, then one
// pass that bins the values and accumulates the sums for mean and sigma.
// It does the same work as ComputeParallel followed by FillParallel, in
// fewer instructions per value (the min/max pass is the cheapest part of
// the statistics, and the sums fill slots the binning loop leaves idle).

// planeHistogram is PlaneHistogram's body; data is the plane's pixels and
// tlen a whole number of rows.
func planeHistogram(ctx context.Context, data []float32, autoBins int, cfg Config, tlen int) (Histogram, Basic, error) {
	ext, err := extremaParallel(ctx, data, tlen)
	if err != nil {
		return Histogram{}, Basic{}, err
	}
	if ext.Min == float32(math.Inf(-1)) || ext.Max == float32(math.Inf(1)) {
		return twoPass(ctx, data, autoBins, cfg, tlen) // ±Inf present: rare, keep it simple
	}
	n, lo, hi, err := cfg.Resolve(autoBins, ext)
	if err != nil {
		return Histogram{}, Basic{}, err
	}
	if len(data) == 0 { // the reference's placeholder, even with fixed bounds
		n, lo, hi = 1, 0, 0
	}
	h := NewHistogram(n, lo, hi)
	bn := newBinner(h)
	workers := imaging.Workers((len(data) + tlen - 1) / tlen)
	local := make([]int32, max(workers, 1)*n)
	parts := make([]Basic, (len(data)+tlen-1)/tlen)
	err = imaging.ForTasks(ctx, len(data), tlen, func(w, t, lo, hi int) {
		parts[t] = accumulateFill(local[w*n:(w+1)*n], bn, data[lo:hi])
	})
	if err != nil {
		return Histogram{}, Basic{}, err
	}
	for w := range workers {
		addSaturating(h.Bins, local[w*n:(w+1)*n])
	}
	var s Basic
	for _, p := range parts {
		s.addPart(p)
	}
	s.Min, s.Max, s.MinIndex, s.MaxIndex = ext.Min, ext.Max, ext.MinIndex, ext.MaxIndex
	s = s.finish()
	h.SetStats(s)
	return h, s, nil
}

// addPart merges the counts and moments of a part summarised by
// accumulateFill (which leaves out the extrema).
func (b *Basic) addPart(p Basic) {
	b.NaNCount += p.NaNCount
	if p.Count > 0 {
		b.addMoments(p.Count, p.Sum, p.m2)
		b.SumSq += p.SumSq
	}
}

// twoPass is the plain statistics pass followed by HistogramWithStats's
// counting pass.
func twoPass(ctx context.Context, data []float32, autoBins int, cfg Config, tlen int) (Histogram, Basic, error) {
	s, err := computeParallel(ctx, data, tlen)
	if err != nil {
		return Histogram{}, Basic{}, err
	}
	n, lo, hi, err := cfg.Resolve(autoBins, s)
	if err != nil {
		return Histogram{}, Basic{}, err
	}
	h := NewHistogram(n, lo, hi)
	h.SetStats(s)
	if err := h.fillParallel(ctx, data, tlen); err != nil {
		return Histogram{}, Basic{}, err
	}
	return h, s, nil
}

// extremaParallel returns the minimum and maximum of data ignoring NaN
// (but not ±Inf), with first-occurrence indices, as a Basic whose Count
// is 1 if there is any non-NaN value and 0 otherwise.
func extremaParallel(ctx context.Context, data []float32, tlen int) (Basic, error) {
	type ext struct{ mn, mx float32 }
	parts := make([]ext, (len(data)+tlen-1)/tlen)
	err := imaging.ForTasks(ctx, len(data), tlen, func(_, t, lo, hi int) {
		mn, mx := extremaOf(data[lo:hi])
		parts[t] = ext{mn, mx}
	})
	if err != nil {
		return Basic{}, err
	}
	var b Basic
	inf := float32(math.Inf(1))
	b.Min, b.Max = inf, -inf
	tmn, tmx := -1, -1
	for t, p := range parts {
		if p.mn < b.Min {
			b.Min, tmn = p.mn, t
		}
		if p.mx > b.Max {
			b.Max, tmx = p.mx, t
		}
	}
	if tmn < 0 { // nothing but NaN (ignoring ±Inf, which the caller checks)
		return Basic{}, nil
	}
	b.Count = 1
	b.MinIndex = tmn*tlen + locate(data[tmn*tlen:], b.Min)
	b.MaxIndex = b.MinIndex
	if tmx >= 0 { // else nothing but −Inf and NaN: Max stays −Inf, which sends the caller to its ±Inf path
		b.MaxIndex = tmx*tlen + locate(data[tmx*tlen:], b.Max)
	}
	return b, nil
}

// extremaOf returns the minimum and maximum of c ignoring NaN; +Inf and
// −Inf respectively if c holds nothing else.
func extremaOf(c []float32) (mn, mx float32) {
	mn, mx = float32(math.Inf(1)), float32(math.Inf(-1))
	i := 0
	for ; i+4 <= len(c); i += 4 {
		v := c[i : i+4 : i+4]
		mn, mx = minMax(v[0], mn, mx)
		mn, mx = minMax(v[1], mn, mx)
		mn, mx = minMax(v[2], mn, mx)
		mn, mx = minMax(v[3], mn, mx)
	}
	for ; i < len(c); i++ {
		mn, mx = minMax(c[i], mn, mx)
	}
	return mn, mx
}

// accumulateFill bins data into bins and returns its statistics without
// extrema (Count, NaNCount, Sum, SumSq and M2), chunk by chunk like
// accumulate: the binning and the unchecked sums share one loop, and
// only chunks holding NaN or ±Inf have their sums redone from their
// finite values. data must not hold ±Inf in range of bn (its bounds are
// finite, so it cannot).
func accumulateFill(bins []int32, bn binner, data []float32) Basic {
	var b Basic
	var vals [chunkLen]float32
	for off := 0; off < len(data); off += chunkLen {
		c := data[off:min(off+chunkLen, len(data))]
		if c[0]-c[0] == 0 && c[len(c)-1]-c[len(c)-1] == 0 {
			if sum, m2 := bn.fillSum(bins, c, b.shift(c)); sum-sum == 0 {
				b.addChunk(len(c), sum, m2)
				continue
			}
		} else {
			bn.fill(bins, c)
		}
		n := 0
		for _, v := range c {
			if v-v == 0 {
				vals[n] = v
				n++
			} else {
				b.NaNCount++
			}
		}
		if n > 0 {
			k := summarise(vals[:n], b.shift(vals[:n]))
			b.addChunk(n, k.Sum, k.M2)
		}
	}
	return b
}

// fillSum is fill, also returning Σv and M2 of c computed around shift
// as in summarise. If c holds NaN or ±Inf, sum is not finite and m2
// meaningless (the binning is right regardless).
func (b binner) fillSum(bins []int32, c []float32, shift float64) (sum, m2 float64) {
	bins = bins[:b.last+1]
	lo, hi, inv, last := b.lo, b.hi, b.inv, uint(b.last)
	var s0, s1, q0, q1 float64
	i := 0
	for ; i+2 <= len(c); i += 2 {
		v := c[i : i+2 : i+2]
		d0, d1 := float64(v[0])-shift, float64(v[1])-shift
		s0 += d0
		s1 += d1
		q0 += d0 * d0
		q1 += d1 * d1
		if x := v[0]; x >= lo && x <= hi {
			bins[min(uint(int(float32(float64(x-lo)*inv))), last)]++
		}
		if x := v[1]; x >= lo && x <= hi {
			bins[min(uint(int(float32(float64(x-lo)*inv))), last)]++
		}
	}
	if i < len(c) {
		x := c[i]
		d := float64(x) - shift
		s0 += d
		q0 += d * d
		if x >= lo && x <= hi {
			bins[min(uint(int(float32(float64(x-lo)*inv))), last)]++
		}
	}
	n := float64(len(c))
	sd, q := s0+s1, q0+q1
	return sd + n*shift, max(q-sd*(sd/n), 0)
}
