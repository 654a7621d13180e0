package stats

import (
	"math"
)

// AutoBinSize is the NumBins value that asks for the automatic bin count
// (the protocol's num_bins = -1).
const AutoBinSize = -1

// MaxBins bounds the number of bins a Config may ask for, so a client
// cannot make the server allocate gigabytes; the automatic count reaches
// it only for images of more than 2^44 pixels.
const MaxBins = 1 << 22

// AutoBins is the reference backend's automatic bin count for a
// width×height image: int(max(sqrt(width·height), 2)) (Frame::AutoBinSize;
// regions use their bounding box).
func AutoBins(width, height int) int {
	return int(max(math.Sqrt(float64(width)*float64(height)), 2))
}

// Config selects bins and bounds, mirroring the protocol's
// HistogramConfig.
//
// As in the reference backend, NumBins decides the bin count on its own:
// AutoBinSize (or any value ≤ 0) means automatic, anything else is used
// even when FixedNumBins is false. (The frontend always sends -1 with
// FixedNumBins false.) FixedNumBins is carried so callers can echo the
// config back.
type Config struct {
	FixedNumBins bool
	NumBins      int
	// FixedBounds selects Min and Max (rounded to float32) as the range
	// instead of the finite min and max of the data.
	FixedBounds bool
	Min, Max    float64
}

// Histogram is the content of the protocol's Histogram message plus the
// bounds it covers.
type Histogram struct {
	NumBins int
	// BinWidth and FirstBinCenter are float32 values widened to float64,
	// as the reference sends them.
	BinWidth       float64
	FirstBinCenter float64
	Bins           []int32
	// Mean and StdDev are those of all finite values of the data,
	// whatever the bounds (the reference's BasicStats); NaN when there
	// are none (StdDev also for a single value).
	Mean, StdDev float64
	// Min and Max are the bounds binned, both inclusive (float32 values).
	Min, Max float64
}

// Resolve returns the bin count and bounds the reference backend would
// use for data of an image whose automatic bin count is autoBins and
// whose statistics are s. Bounds that are invalid — no finite data
// (without fixed bounds), Min ≥ Max, or a non-finite or ±FLT_MAX
// sentinel bound — give the reference's placeholder: 1 bin over [0, 0].
// It returns ErrTooManyBins if NumBins exceeds MaxBins.
func (c Config) Resolve(autoBins int, s Basic) (numBins int, lo, hi float64, err error) {
	numBins = c.NumBins
	if numBins <= 0 {
		numBins = autoBins
	}
	if numBins > MaxBins {
		return 0, 0, 0, ErrTooManyBins
	}
	numBins = max(numBins, 1)
	var l, h float32
	switch {
	case c.FixedBounds:
		l, h = float32(c.Min), float32(c.Max)
	case s.Count > 0:
		l, h = s.Min, s.Max
	default:
		return 1, 0, 0, nil
	}
	if !(l < h) || isInf32(l) || isInf32(h) || l == math.MaxFloat32 || h == -math.MaxFloat32 {
		return 1, 0, 0, nil
	}
	return numBins, float64(l), float64(h), nil
}

func isInf32(v float32) bool { return math.IsInf(float64(v), 0) }

// NewHistogram returns an empty histogram of numBins bins over [lo, hi],
// with the bin width and first bin centre computed as the reference does:
// width = float32((hi−lo)/numBins), centre = float32(lo + width/2). lo
// and hi should be float32 values (as from Resolve). It panics if numBins
// is below 1.
func NewHistogram(numBins int, lo, hi float64) Histogram {
	w := float32((hi - lo) / float64(numBins))
	return Histogram{
		NumBins:        numBins,
		BinWidth:       float64(w),
		FirstBinCenter: float64(float32(lo + float64(w)*0.5)),
		Bins:           make([]int32, numBins),
		Mean:           math.NaN(),
		StdDev:         math.NaN(),
		Min:            lo,
		Max:            hi,
	}
}

// SetStats sets Mean and StdDev from s.
func (h *Histogram) SetStats(s Basic) {
	h.Mean, h.StdDev = s.Mean(), s.Sigma()
}

// Fill adds the values of data to h's counts. A value v counts if
// Min ≤ v ≤ Max; its bin is int((v−Min)/BinWidth) computed in float32,
// clamped to the last bin, so the last bin is closed and values at Max
// land in it — bit for bit the reference's Histogram::Fill. NaN never
// counts. Counts wrap if one call adds 2^31 values to a bin.
func (h *Histogram) Fill(data []float32) {
	newBinner(*h).fill(h.Bins, data)
}

// binner holds the parameters of the binning loop.
type binner struct {
	lo, hi, width float32
	last          int
	// inv is 1/width in float64. The bin of v is int of the float32
	// quotient (v−lo)/width; float32(float64(v−lo)·inv) is that same
	// quotient, and a multiplication is about twice as fast as the
	// float32 division, which bounded the histogram loops. Why equal:
	// the float64 product is within 2^-52 (relative) of the exact
	// quotient, while a quotient of two float32 values is either at
	// least 2^-49 (relative) from a midpoint between float32 values or
	// is one only below the normal range, where the integer part is 0
	// either way; so both round to the same float32.
	// (TestReciprocalBinningIsDivision checks it on 4 million pairs.)
	inv float64
}

func newBinner(h Histogram) binner {
	w := float32(h.BinWidth)
	return binner{lo: float32(h.Min), hi: float32(h.Max), width: w, last: len(h.Bins) - 1, inv: 1 / float64(w)}
}

// quotient is float32((v−lo)/width), computed as the binner's comment
// says.
func (b binner) quotient(v float32) float32 { return float32(float64(v-b.lo) * b.inv) }

func (b binner) fill(bins []int32, data []float32) {
	bins = bins[:b.last+1]
	lo, hi, inv, last := b.lo, b.hi, b.inv, uint(b.last)
	for _, v := range data {
		if v >= lo && v <= hi {
			// For width 0 (the 1-bin [0,0] placeholder) or ±Inf
			// quotients the conversion yields an out-of-range int
			// and the unsigned clamp sends the value to the last bin.
			bins[min(uint(int(float32(float64(v-lo)*inv))), last)]++
		}
	}
}

// Add adds o's counts to h, saturating at math.MaxInt32. It returns
// ErrMismatch unless both have the same bins and bounds.
func (h *Histogram) Add(o Histogram) error {
	if len(o.Bins) != len(h.Bins) || o.Min != h.Min || o.Max != h.Max {
		return ErrMismatch
	}
	addSaturating(h.Bins, o.Bins)
	return nil
}

func addSaturating(dst, src []int32) {
	src = src[:len(dst)]
	for i, c := range src {
		s := int64(dst[i]) + int64(c)
		dst[i] = int32(min(s, math.MaxInt32))
	}
}
