package regionfile

import (
	"strings"
	"testing"
)

// TestRoundTrip writes every kind of region the frontend draws and reads
// the file back: pixel files give the same float32 coordinates, world
// files the same within 1e-4 pixel, in both formats and in frames other
// than the image's (galactic and ecliptic images read ICRS files...).
func TestRoundTrip(t *testing.T) {
	images := map[string]Image{
		"icrs":     icrsImage(t),
		"fk5":      skyImage(t, "RA---TAN", "DEC--TAN", "FK5", FrameFK5),
		"galactic": skyImage(t, "GLON-TAN", "GLAT-TAN", "", FrameGalactic),
		"pixels":   {},
	}
	for name, img := range images {
		for _, f := range []Format{CRTF, DS9} {
			for _, world := range []bool{false, true} {
				if world && img.Sky == nil {
					continue
				}
				t.Run(name+"/"+f.String()+map[bool]string{false: "/pixel", true: "/world"}[world], func(t *testing.T) {
					in := sampleRegions()
					w, err := Write(f, in, img, world)
					if err != nil {
						t.Fatal(err)
					}
					if len(w.Problems) > 0 {
						t.Fatalf("write problems: %v", w.Problems)
					}
					res, err := Parse(f, strings.Join(w.Lines, "\n")+"\n", img)
					if err != nil {
						t.Fatal(err)
					}
					if len(res.Problems) > 0 {
						t.Fatalf("parse problems: %v\nfile:\n%s", res.Problems, strings.Join(w.Lines, "\n"))
					}
					if len(res.Regions) != len(in) {
						t.Fatalf("%d regions back, wrote %d:\n%s", len(res.Regions), len(in), strings.Join(w.Lines, "\n"))
					}
					tol := 0.0
					if world {
						tol = 1e-4
					}
					for i := range in {
						if d := sameRegion(res.Regions[i], in[i], tol); d != "" {
							t.Errorf("region %d (%s): %s", i, kindName(in[i].Kind), d)
						}
					}
				})
			}
		}
	}
}
