package fit

import (
	"context"
	"testing"
)

// BenchmarkFit3On512 fits three Gaussians with noise on 512×512 pixels,
// the measurement (scripts/fit-check.sh compares with scipy).
func BenchmarkFit3On512(b *testing.B) {
	truth := Params{Components: []Gaussian{
		{X: 180, Y: 200, Amp: 10, FWHMX: 30, FWHMY: 15, PA: 30},
		{X: 330, Y: 320, Amp: 5, FWHMX: 20, FWHMY: 20, PA: 0},
		{X: 260, Y: 120, Amp: -3, FWHMX: 40, FWHMY: 12, PA: 120},
	}, Offset: 0.5}
	img := synth(512, 512, 0, 0, truth, 0.2, 7)
	req := Request{Initial: nudge(truth), Fixed: make([]bool, 19)}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Fit(context.Background(), img, req, nil); err != nil {
			b.Fatal(err)
		}
	}
}
