package moments

import (
	"context"
	"testing"
)

// BenchmarkMoments01 is moments 0 and 1 of a 512×512×100 cube held in
// memory (reading excluded).
func BenchmarkMoments01(b *testing.B) {
	c := genCube(512, 512, 100)
	coords := make([]float64, 100)
	for i := range coords {
		coords[i] = float64(i)
	}
	req := Request{Kinds: []Kind{Integrated, WeightedCoord}, To: 99, Coords: coords, Scale: 1, BandBytes: 32 << 20}
	b.SetBytes(4 * 512 * 512 * 100)
	for b.Loop() {
		if _, err := Compute(context.Background(), c, req, nil); err != nil {
			b.Fatal(err)
		}
	}
}
