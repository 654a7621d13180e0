package regionfile

import (
	"os"
	"strings"
	"testing"

	"cartago/imaging/region"
)

// FuzzParse checks that neither parser panics on any text, that every
// region it returns is valid, and that the regions write and read back
// as many regions in pixels.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"casa.crtf", "ds9.reg"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("ann symbol [[1pix, 2pix], o]\n# compass [[1, 2], 3\"]\ncircle(1,2,3\"")
	img := icrsImage(f)
	f.Fuzz(func(t *testing.T, text string) {
		for _, format := range []Format{CRTF, DS9} {
			res, err := Parse(format, text, img)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Regions {
				if err := (region.Desc{Kind: r.Kind, Points: r.Points, Rotation: r.Rotation}).Validate(); err != nil {
					t.Fatalf("%s gave an invalid region %+v: %v", format, r, err)
				}
			}
			w, err := Write(format, res.Regions, img, false)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(format, strings.Join(w.Lines, "\n"), img)
			if err != nil {
				t.Fatal(err)
			}
			if len(back.Regions)+len(w.Problems) != len(res.Regions) {
				t.Fatalf("%s: %d regions, %d written back (problems %v, %v)\n%s", format, len(res.Regions), len(back.Regions), w.Problems, back.Problems, strings.Join(w.Lines, "\n"))
			}
		}
	})
}
