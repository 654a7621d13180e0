package wcs

import (
	"errors"
	"math"
	"strings"
	"testing"

	"cartago/imaging/fits"
)

// FuzzFromHeader feeds header text (one card per line, cut or padded to
// 80 columns) and a pixel to FromHeader and both transformations: no
// panic, only this package's errors, and finite results when ok. Run it
// with e.g.
//
//	go test ./imaging/wcs -run XXX -fuzz FuzzFromHeader -fuzztime 1m
func FuzzFromHeader(f *testing.F) {
	for _, tc := range astropyCases {
		f.Add(strings.Join(tc.cards, "\n"), 10.5, -3.0)
	}
	f.Add("CTYPE1  = 'RA---SIN'\nCTYPE2  = 'DEC--SIN'\nPV2_1   = 1e308\nPV2_2   = -1e308", 0.0, 0.0)
	f.Add("CTYPE2  = 'GLON-AIT'\nCTYPE1  = 'GLAT-AIT'\nCD1_1   = 1e-300\nCD2_2   = 1e300", math.Inf(1), math.NaN())
	f.Fuzz(func(t *testing.T, text string, x, y float64) {
		h, ok := fuzzHeader(text)
		if !ok {
			return
		}
		c, err := FromHeader(h)
		if err != nil {
			if !errors.Is(err, ErrNoCelestial) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if lon, lat, ok := c.PixelToWorld(x, y); ok {
			if !finite(lon, lat) || lon < 0 || lon >= 360 || math.Abs(lat) > 90 {
				t.Fatalf("PixelToWorld(%g, %g) = (%g, %g)", x, y, lon, lat)
			}
			if px, py, ok := c.WorldToPixel(lon, lat); ok && !finite(px, py) {
				t.Fatalf("WorldToPixel(%g, %g) = (%g, %g)", lon, lat, px, py)
			}
		}
	})
}

// fuzzHeader turns lines of text into a parsed header; ok is false when
// the text is not a header (non-ASCII bytes).
func fuzzHeader(text string) (*fits.Header, bool) {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if len(line) > fits.CardLen {
			line = line[:fits.CardLen]
		}
		if strings.HasPrefix(line, "END") {
			continue
		}
		b.WriteString(line + strings.Repeat(" ", fits.CardLen-len(line)))
	}
	b.WriteString("END" + strings.Repeat(" ", fits.CardLen-3))
	for b.Len()%fits.BlockLen != 0 {
		b.WriteByte(' ')
	}
	h, _, err := fits.ParseHeader([]byte(b.String()))
	return h, err == nil
}
