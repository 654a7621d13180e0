package regionfile

import (
	"strings"
	"testing"

	"cartago/imaging/region"
)

// BenchmarkParse10000 reads 10,000 regions in world coordinates, the
// import part of scripts/bench-regionfile.sh without the server.
func BenchmarkParse10000(b *testing.B) {
	img := icrsImage(b)
	var rs []Region
	for i := range 10000 {
		c := region.Point{X: float64(20 + i%470), Y: float64(20 + (i/470)%470)}
		rs = append(rs, Region{Kind: region.KindEllipse, Points: []region.Point{c, {X: 8, Y: 5}}, Rotation: 30, Style: Style{Color: "#FF0000", LineWidth: 1}})
	}
	for _, f := range []Format{CRTF, DS9} {
		w, err := Write(f, rs, img, true)
		if err != nil {
			b.Fatal(err)
		}
		text := strings.Join(w.Lines, "\n")
		b.Run(f.String(), func(b *testing.B) {
			for b.Loop() {
				res, err := Parse(f, text, img)
				if err != nil || len(res.Regions) != len(rs) {
					b.Fatal(err, res.Problems)
				}
			}
		})
	}
}
