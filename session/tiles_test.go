package session

import (
	"math"
	"testing"

	"cartago/icd"
)

// TestTileEncodersDoNotAllocate: after the first tile, encoding reuses
// the encoder's buffers (the hot path of tile streaming).
func TestTileEncodersDoNotAllocate(t *testing.T) {
	data := make([]float32, 256*256)
	for i := range data {
		data[i] = float32(math.Sin(float64(i) / 300))
	}
	data[77] = float32(math.NaN()) // exercise the NaN fill too
	for _, ct := range []icd.CompressionType{icd.CompressionType_ZFP, icd.CompressionType_NONE} {
		enc := newTileEncoder(ct)
		td := &icd.TileData{Width: 256, Height: 256}
		buf := make([]float32, len(data))
		encode := func() {
			copy(buf, data)
			enc.encode(td, buf, 11)
		}
		encode()
		if n := testing.AllocsPerRun(20, encode); n != 0 {
			t.Errorf("%s: %v allocations per tile", ct, n)
		}
	}
}
