// Package stats computes image histograms and basic statistics the way
// the CARTA reference backend does (carta-backend src/ImageStats), on
// plain float32 slices: no protobuf, no sockets.
//
// Only finite values count: NaN (blank) and ±Inf pixels are skipped
// everywhere. Sums are accumulated in float64.
//
// Functions are safe for concurrent use and do not retain their inputs.
// The *Parallel functions and PlaneHistogram/CubeHistogram spread work
// over runtime.GOMAXPROCS(0) goroutines and stop early with ctx.Err()
// when ctx is cancelled.
package stats

import "math"

// Basic is the summary of the finite values in a set of pixels, the
// reference backend's BasicStats (BasicStatsCalculator.tcc) plus NaN count
// and extremum positions.
//
// The zero value is the summary of no pixels and is ready for Merge.
// Min, Max, MinIndex and MaxIndex are meaningful only when Count > 0;
// Compute sets them to NaN and -1 otherwise.
type Basic struct {
	Count    int64   // finite values
	NaNCount int64   // values skipped as NaN or ±Inf (masked-out pixels are not counted)
	Sum      float64 // Σv
	SumSq    float64 // Σv²
	Min, Max float32
	// MinIndex and MaxIndex are the indices (into the slice given to
	// Compute, or the plane for plane functions) of the first occurrence
	// of Min and Max in index order.
	MinIndex, MaxIndex int

	m2 float64 // Σ(v − mean)², for a Sigma free of cancellation
}

// Mean returns Sum/Count, or NaN if Count is 0.
func (b Basic) Mean() float64 {
	if b.Count == 0 {
		return math.NaN()
	}
	return b.Sum / float64(b.Count)
}

// RMS returns sqrt(SumSq/Count), or NaN if Count is 0.
func (b Basic) RMS() float64 {
	if b.Count == 0 {
		return math.NaN()
	}
	return math.Sqrt(b.SumSq / float64(b.Count))
}

// Sigma returns the sample standard deviation (n−1 denominator), as both
// the reference's BasicStatsCalculator and casacore's SIGMA do:
// sqrt(Σ(v − mean)²/(n−1)). It returns NaN if Count ≤ 1 (as the
// reference's histogram std_dev). The reference evaluates
// (SumSq − Sum²/n)/(n−1), which loses digits when |mean| ≫ sigma (about
// 1e-9 relative already at mean/sigma ≈ 300); we keep Σ(v − mean)²
// itself (chunk sums around the running mean, merged pairwise), which
// the tests hold to 1e-12 of a two-pass float64 reference up to
// mean/sigma ≈ 3·10⁴.
func (b Basic) Sigma() float64 {
	if b.Count <= 1 {
		return math.NaN()
	}
	return math.Sqrt(b.m2 / float64(b.Count-1))
}

// Extrema returns whichever of Min and Max has the larger absolute value,
// Max on a tie (CARTA's Extrema statistic), or NaN if Count is 0.
func (b Basic) Extrema() float64 {
	if b.Count == 0 {
		return math.NaN()
	}
	if math.Abs(float64(b.Min)) > math.Abs(float64(b.Max)) {
		return float64(b.Min)
	}
	return float64(b.Max)
}

// Merge folds o, a result of this package's functions, into b. When
// both sets hold the same extremum value, b's position is kept, so
// merging parts in index order keeps the first occurrence. Indices are
// not shifted: o's must already be in b's index space.
func (b *Basic) Merge(o Basic) {
	b.NaNCount += o.NaNCount
	if o.Count == 0 {
		return
	}
	if b.Count == 0 || o.Min < b.Min {
		b.Min, b.MinIndex = o.Min, o.MinIndex
	}
	if b.Count == 0 || o.Max > b.Max {
		b.Max, b.MaxIndex = o.Max, o.MaxIndex
	}
	b.addMoments(o.Count, o.Sum, o.m2)
	b.SumSq += o.SumSq
}

// Compute returns the statistics of the finite values of data.
func Compute(data []float32) Basic {
	return accumulate(data, nil, 0).finish()
}

// ComputeMasked returns the statistics of the finite values data[i] with
// mask[i] true. It panics if mask is shorter than data.
func ComputeMasked(data []float32, mask []bool) Basic {
	return accumulate(data, mask[:len(data)], 0).finish()
}

// finish marks the extrema of an empty set as absent.
func (b Basic) finish() Basic {
	if b.Count == 0 {
		nan := float32(math.NaN())
		b.Min, b.Max, b.MinIndex, b.MaxIndex = nan, nan, -1, -1
	}
	return b
}

// chunkLen is the number of values summarised at a time: small enough
// that a chunk holding a NaN is cheap to redo and its extremum cheap to
// locate, large enough to make the per-chunk merge negligible.
const chunkLen = 256

// accumulate summarises data (restricted to mask if not nil); base is the
// index of data[0] in the caller's index space.
//
// Each chunk is first summed without testing values: a NaN or ±Inf makes
// the chunk's float64 sum non-finite (finite float32 values cannot
// overflow it). Only such chunks, and masked ones, have their finite
// values copied out before being summarised the same way.
func accumulate(data []float32, mask []bool, base int) Basic {
	var b Basic
	var vals [chunkLen]float32
	var idx [chunkLen]int
	for off := 0; off < len(data); off += chunkLen {
		c := data[off:min(off+chunkLen, len(data))]
		// A chunk that starts or ends blank is likely all blank (NaN
		// bands, masked borders): go straight to the checked path.
		if mask == nil && c[0]-c[0] == 0 && c[len(c)-1]-c[len(c)-1] == 0 {
			if k := summarise(c, b.shift(c)); k.Sum-k.Sum == 0 {
				b.mergeChunk(k, c, nil, base+off)
				continue
			}
		}
		n := 0
		for i, v := range c {
			if mask != nil && !mask[off+i] {
				continue
			}
			if v-v != 0 { // NaN or ±Inf
				b.NaNCount++
				continue
			}
			vals[n], idx[n] = v, i
			n++
		}
		if n > 0 {
			b.mergeChunk(summarise(vals[:n], b.shift(vals[:n])), vals[:n], idx[:n], base+off)
		}
	}
	return b
}

// chunk is the summary of a non-empty chunk of finite values.
type chunk struct {
	Sum, M2  float64 // Σv and Σ(v − mean)²
	Min, Max float32
}

// summarise sums c in one pass around shift: with d = v − shift it
// accumulates Σd and Σd², and M2 = Σd² − (Σd)²/n. Callers pass a shift
// close to the data (the running mean, or the chunk's first value), so
// the subtraction loses no more than ~n·ε relative to the M2 the data
// already has, instead of the ε·(mean/σ)² of the reference's
// SumSq − Sum²/n. If c holds NaN or ±Inf, Sum is not finite and the rest
// is meaningless.
func summarise(c []float32, shift float64) chunk {
	var s0, s1, q0, q1 float64
	mn, mx := c[0], c[0]
	i := 0
	for ; i+4 <= len(c); i += 4 {
		v := c[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(v[0])-shift, float64(v[1])-shift, float64(v[2])-shift, float64(v[3])-shift
		s0 += d0 + d2
		s1 += d1 + d3
		q0 += d0*d0 + d2*d2
		q1 += d1*d1 + d3*d3
		mn, mx = minMax(v[0], mn, mx)
		mn, mx = minMax(v[1], mn, mx)
		mn, mx = minMax(v[2], mn, mx)
		mn, mx = minMax(v[3], mn, mx)
	}
	for ; i < len(c); i++ {
		x := c[i]
		d := float64(x) - shift
		s0 += d
		q0 += d * d
		mn, mx = min(mn, x), max(mx, x)
	}
	n := float64(len(c))
	sd, q := s0+s1, q0+q1
	return chunk{Sum: sd + n*shift, M2: max(q-sd*(sd/n), 0), Min: mn, Max: mx}
}

func minMax(x, mn, mx float32) (float32, float32) {
	if x < mn {
		mn = x
	}
	if x > mx {
		mx = x
	}
	return mn, mx
}

// mergeChunk folds the summary k of the values c into b. idx maps
// positions in c to positions in the original chunk (nil: identity) and
// base is the original chunk's index. Extremum positions are only looked
// up when the chunk beats b's extrema.
func (b *Basic) mergeChunk(k chunk, c []float32, idx []int, base int) {
	pos := func(v float32) int {
		i := locate(c, v)
		if idx != nil {
			i = idx[i]
		}
		return base + i
	}
	if b.Count == 0 || k.Min < b.Min {
		b.Min, b.MinIndex = k.Min, pos(k.Min)
	}
	if b.Count == 0 || k.Max > b.Max {
		b.Max, b.MaxIndex = k.Max, pos(k.Max)
	}
	b.addChunk(len(c), k.Sum, k.M2)
}

// addChunk merges the moments of a chunk of n finite values.
func (b *Basic) addChunk(n int, sum, m2 float64) {
	b.addMoments(int64(n), sum, m2)
	b.SumSq += m2 + sum*(sum/float64(n)) // Σv² = M2 + n·mean², no cancellation
}

// shift returns the running mean, or c's first value at the start.
func (b *Basic) shift(c []float32) float64 {
	if b.Count > 0 {
		return b.Sum / float64(b.Count)
	}
	return float64(c[0])
}

// addMoments merges count, sum and M2 of a disjoint set into b with
// Chan et al.'s pairwise update of M2.
func (b *Basic) addMoments(n int64, sum, m2 float64) {
	if b.Count == 0 {
		b.Count, b.Sum, b.m2 = n, sum, m2
		return
	}
	na, nb := float64(b.Count), float64(n)
	d := sum/nb - b.Sum/na
	b.m2 += m2 + d*d*(na*nb/(na+nb))
	b.Count += n
	b.Sum += sum
}

// locate returns the index of the first v in c.
func locate(c []float32, v float32) int {
	for i, x := range c {
		if x == v {
			return i
		}
	}
	return -1
}
