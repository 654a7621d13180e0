package regionfile

import (
	"fmt"
	"strconv"
	"strings"

	"cartago/imaging/region"
)

// Written is what writing regions gives: the file's lines (without line
// ends) and the regions that could not be written.
type Written struct {
	Lines    []string
	Problems []string
}

// Write writes regions for img in format f, in world coordinates of the
// image's frame or, with world false, in pixels.
func Write(f Format, regions []Region, img Image, world bool) (*Written, error) {
	if world && img.Sky == nil {
		return nil, fmt.Errorf("writing world coordinates: %w", ErrNoSky)
	}
	if world && img.Frame == FrameNone {
		return nil, fmt.Errorf("writing world coordinates of an unknown sky frame: %w", ErrUnsupported)
	}
	w := writer{c: converter{img: img, file: img.Frame}, world: world, out: &Written{}}
	switch f {
	case CRTF:
		w.out.Lines = append(w.out.Lines, "#CRTFv0 CASA Region Text Format version 0")
		for i, r := range regions {
			w.add(i, r, w.crtf)
		}
	case DS9:
		w.ds9Header()
		for i, r := range regions {
			w.add(i, r, w.ds9)
		}
	default:
		return nil, ErrFormat
	}
	return w.out, nil
}

type writer struct {
	c     converter
	world bool
	out   *Written
}

func (w writer) add(i int, r Region, fn func(Region) ([]string, error)) {
	if err := (region.Desc{Kind: r.Kind, Points: r.Points, Rotation: r.Rotation}).Validate(); err != nil {
		w.out.Problems = append(w.out.Problems, fmt.Sprintf("region %d (%s): %v", i+1, kindName(r.Kind), err))
		return
	}
	lines, err := fn(r)
	if err != nil {
		w.out.Problems = append(w.out.Problems, fmt.Sprintf("region %d (%s): %v", i+1, kindName(r.Kind), err))
		return
	}
	w.out.Lines = append(w.out.Lines, lines...)
}

// sizes converts a region's size point for writing: pixels, or arcsec
// with the same pixel scale reading uses. ellipse says the first size
// lies along y.
func (w writer) sizes(centre, size region.Point, ellipse bool, unit func(float64) string, pix func(float64) string) (string, string, error) {
	if !w.world {
		return pix(size.X), pix(size.Y), nil
	}
	sx, sy, err := w.c.pixelScale(centre)
	if err != nil {
		return "", "", err
	}
	if ellipse {
		sx, sy = sy, sx
	}
	return unit(size.X * sx), unit(size.Y * sy), nil
}

func arcsec(deg float64) string { return fmtFixed(deg*3600, 7) + "arcsec" }

// fmtFixed writes v with at most digits decimals, trailing zeros cut.
func fmtFixed(v float64, digits int) string {
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Style text goes into one line of the file: line ends become spaces,
// and what would end a quoted or braced value is replaced.
var (
	quoted = strings.NewReplacer("\n", " ", "\r", " ", `"`, "'")
	braced = strings.NewReplacer("\n", " ", "\r", " ", "{", "(", "}", ")")
)

func quoteLabel(s string) string { return `"` + quoted.Replace(s) + `"` }

func braceLabel(s string) string { return "{" + braced.Replace(s) + "}" }

// colorToken keeps a colour to the characters colours have, so that it
// cannot end the line's shape or properties.
func colorToken(c string) string {
	c = strings.Map(func(r rune) rune {
		if r == '#' || r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return -1
	}, c)
	if c == "" {
		return "green"
	}
	return c
}
