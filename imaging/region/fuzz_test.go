package region

import (
	"errors"
	"testing"
)

// FuzzMask feeds arbitrary shapes and images to Desc.Mask: it must not
// panic, must return a known error or a consistent mask within the image
// whose size is bounded by the image's.
func FuzzMask(f *testing.F) {
	f.Add(int32(3), 10.0, 10.0, 4.0, 4.0, 0.0, 0.0, 30.0, 20, 20)
	f.Add(int32(4), 10.5, 3.0, 7.0, 2.0, 0.0, 0.0, 33.0, 16, 40)
	f.Add(int32(6), -5.0, 2.0, 40.0, 7.5, 12.0, 30.0, 0.0, 32, 32)
	f.Add(int32(0), -1.2, 0.49, 0.0, 0.0, 0.0, 0.0, 0.0, 3, 3)
	f.Add(int32(3), 1e9, -1e9, 1e9, 1e9, 0.0, 0.0, 45.0, 64, 48)
	f.Fuzz(func(t *testing.T, kind int32, x0, y0, x1, y1, x2, y2, rot float64, w, h int) {
		if w < 1 || h < 1 || w > 512 || h > 512 {
			return
		}
		d := Desc{Kind: Kind(kind), Rotation: rot, Points: []Point{{x0, y0}, {x1, y1}, {x2, y2}}}
		switch d.Kind {
		case KindPoint:
			d.Points = d.Points[:1]
		case KindRectangle, KindEllipse:
			d.Points = d.Points[:2]
		}
		m, err := d.Mask(w, h)
		if err != nil {
			for _, e := range []error{ErrInvalid, ErrTooLarge, ErrNoMask, ErrUnsupported, ErrNoPixels} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		b := m.Bounds()
		if b.Min.X < 0 || b.Min.Y < 0 || b.Max.X > w || b.Max.Y > h || b.Empty() || m.Count() < 1 {
			t.Fatalf("%+v: box %v count %d on %d×%d", d, b, m.Count(), w, h)
		}
		if m.SizeBytes() > 8*w*h+4*(h+1)+64 {
			t.Fatalf("%+v: %d bytes for %d×%d", d, m.SizeBytes(), w, h)
		}
		checkConsistent(t, m)
	})
}

// FuzzConvert carries arbitrary shapes through arbitrary affine maps: no
// panic, a known error or a region whose outline stays within
// ConvertVertices points (plus one per vertex) and whose mask can be
// made.
func FuzzConvert(f *testing.F) {
	f.Add(int32(3), 10.0, 10.0, 4.0, 4.0, 0.0, 0.0, 30.0, 1.0, 0.2, 3.0, -0.1, 1.3, 2.0)
	f.Add(int32(4), 10.5, 3.0, 7.0, 2.0, 0.0, 0.0, 33.0, 2.0, 0.0, 0.0, 0.0, 2.0, 0.0)
	f.Add(int32(6), -5.0, 2.0, 40.0, 7.5, 12.0, 30.0, 0.0, 1e300, 0.0, 0.0, 0.0, 1e-300, 0.0)
	f.Add(int32(0), -1.2, 0.49, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
	f.Fuzz(func(t *testing.T, kind int32, x0, y0, x1, y1, x2, y2, rot, a, b, c, d, e, g float64) {
		desc := Desc{Kind: Kind(kind), Rotation: rot, Points: []Point{{x0, y0}, {x1, y1}, {x2, y2}}}
		switch desc.Kind {
		case KindPoint:
			desc.Points = desc.Points[:1]
		case KindRectangle, KindEllipse, KindLine:
			desc.Points = desc.Points[:2]
		}
		out, err := Convert(desc, affine(a, b, c, d, e, g))
		if err != nil {
			for _, e := range []error{ErrInvalid, ErrTooLarge, ErrNoMask, ErrUnsupported, ErrNotConverted} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		if len(out.Points) > ConvertVertices+len(desc.Points)+4 {
			t.Fatalf("%+v: %d outline points", desc, len(out.Points))
		}
		if _, err := out.Mask(64, 64); err != nil && !errors.Is(err, ErrNoPixels) && !errors.Is(err, ErrTooLarge) &&
			!errors.Is(err, ErrNoMask) && !errors.Is(err, ErrInvalid) {
			t.Fatalf("mask of %+v: %v", out, err)
		}
	})
}
