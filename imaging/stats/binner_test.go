package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The binning loops compute the float32 quotient (v−lo)/width through a
// float64 reciprocal (binner's comment says why that is exact). Checked
// here against the float32 division on 4 million pairs: any bit
// patterns (subnormal, huge, ±Inf, NaN widths and values) and, half of
// them, values within a few ulps of a multiple of the width, where the
// integer part (the bin) would change.
func TestReciprocalBinningIsDivision(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	inf := float32(math.Inf(1))
	bad := 0
	for i := range 4_000_000 {
		w := math.Float32frombits(r.Uint32() & 0x7fffffff)
		d := math.Float32frombits(r.Uint32() & 0x7fffffff)
		if i%2 == 0 {
			d = float32(r.IntN(100_000)) * w
			for range r.IntN(4) {
				d = math.Nextafter32(d, []float32{-inf, inf}[r.IntN(2)])
			}
			d = float32(math.Abs(float64(d)))
		}
		b := binner{width: w, inv: 1 / float64(w)}
		want, got := d/w, b.quotient(d)
		if math.Float32bits(want) != math.Float32bits(got) && !(want != want && got != got) {
			if bad++; bad <= 5 {
				t.Errorf("%g/%g: %g, want %g", d, w, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of 4000000 quotients differ", bad)
	}
}

// fill and fillSum put every value in the bin the float32 division
// gives, on histograms whose edges fall on awkward floats, with values
// at, just below and just above every bin edge.
func TestFillBinsByDivision(t *testing.T) {
	for _, nb := range []int{1, 3, 7, 100, 1000, 4099} {
		for _, r := range [][2]float64{{-5, 5}, {-3.3, 2.1}, {0, 1e-3}, {-1e30, 1e30}, {1, 1.0000001}, {7.25, 7.25}} {
			h := NewHistogram(nb, r[0], r[1])
			bn := newBinner(h)
			data := randomData(5000, (r[0]+r[1])/2, 0.01, uint64(nb))
			for k := range nb + 1 {
				e := float32(float64(bn.lo) + float64(k)*float64(bn.width))
				data = append(data, e, math.Nextafter32(e, -1e38), math.Nextafter32(e, 1e38))
			}
			want := make([]int32, nb)
			for _, v := range data {
				if v >= bn.lo && v <= bn.hi {
					want[min(uint(int((v-bn.lo)/bn.width)), uint(bn.last))]++
				}
			}
			got, sum := make([]int32, nb), make([]int32, nb)
			bn.fill(got, data)
			for off := 0; off < len(data); off += chunkLen {
				bn.fillSum(sum, data[off:min(off+chunkLen, len(data))], 0)
			}
			for i := range want {
				if got[i] != want[i] || sum[i] != want[i] {
					t.Fatalf("%d bins over %v, bin %d: fill %d, fillSum %d, want %d", nb, r, i, got[i], sum[i], want[i])
				}
			}
		}
	}
}
