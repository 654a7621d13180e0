package region

import (
	"context"
	"errors"
	"fmt"
	"math"

	"cartago/imaging"
)

// Averaging widths a line profile accepts, as the reference.
const (
	MinLineWidth = 1
	MaxLineWidth = 20
)

// MaxLineSamples bounds the samples of one line profile, so that a line
// with absurd coordinates is refused instead of costing unbounded work.
const MaxLineSamples = 1 << 20

// ErrLineTooLong means a line or polyline would need more than
// MaxLineSamples samples.
var ErrLineTooLong = errors.New("region: line too long for a profile")

// LineBoxes returns the rectangles whose means make up the spatial
// profile of a line or polyline region, one pixel apart, as the
// reference backend places them for images with linear pixel spacing:
//
//   - a line is sampled outwards from its midpoint, round((length−1)/2)
//     samples each way, and the profile runs from the second point
//     towards the first;
//   - a polyline is sampled from each vertex along its segment,
//     round(length)+1 samples, skipping a segment's first sample when the
//     previous segment's last one lies within half a pixel of it.
//
// Each box is width pixels along the segment (the reference's rectangle
// convention, rotation turning the width axis) and 1 pixel across for
// segments along an axis, else 3 so that neighbouring boxes overlap.
// Computation follows the reference's float32 steps so that masks, and
// so means, agree with it.
func LineBoxes(d Desc, width int) ([]Desc, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.Kind != KindLine && d.Kind != KindPolyline {
		return nil, fmt.Errorf("%w: line profiles need a line or polyline", ErrUnsupported)
	}
	if width < MinLineWidth || width > MaxLineWidth {
		return nil, fmt.Errorf("averaging width %d: want %d to %d pixels", width, MinLineWidth, MaxLineWidth)
	}
	total := 0.0
	for i := 1; i < len(d.Points); i++ {
		total += math.Hypot(d.Points[i].X-d.Points[i-1].X, d.Points[i].Y-d.Points[i-1].Y)
	}
	if total+float64(len(d.Points)) > MaxLineSamples {
		return nil, ErrLineTooLong
	}
	if d.Kind == KindLine {
		return lineBoxes(d.Points[0], d.Points[1], width), nil
	}
	return polylineBoxes(d.Points, width), nil
}

// segment is the direction of a line from its end towards its start, as
// the reference measures it: the rotation in float32 degrees and its
// cosine and sine in float32.
type segment struct {
	rotation float32
	cos, sin float64
}

func segmentOf(start, end Point) segment {
	s32 := func(p Point) (float64, float64) { return float64(float32(p.X)), float64(float32(p.Y)) }
	x0, y0 := s32(start)
	x1, y1 := s32(end)
	rot := float32(math.Atan2(y0-y1, x0-x1) * 180 / math.Pi)
	rad := float64(rot) * math.Pi / 180
	return segment{rotation: rot, cos: float64(float32(math.Cos(rad))), sin: float64(float32(math.Sin(rad)))}
}

// box is the sampling rectangle centred at (x, y).
func (s segment) box(x, y float64, width int) Desc {
	height := 3.0
	if math.Mod(float64(s.rotation), 90) == 0 {
		height = 1
	}
	return Desc{
		Kind:     KindRectangle,
		Points:   []Point{{x, y}, {float64(width), height}},
		Rotation: float64(s.rotation),
	}
}

func lineBoxes(start, end Point, width int) []Desc {
	x0, y0 := float64(float32(start.X)), float64(float32(start.Y))
	x1, y1 := float64(float32(end.X)), float64(float32(end.Y))
	length := math.Hypot(x1-x0, y1-y0)
	n := max(int(math.Round((length-1)/2)), 0)
	s := segmentOf(start, end)
	cx, cy := (x0+x1)/2, (y0+y1)/2
	out := make([]Desc, 0, 2*n+1)
	for k := -n; k <= n; k++ {
		out = append(out, s.box(cx+float64(k)*s.cos, cy+float64(k)*s.sin, width))
	}
	return out
}

func polylineBoxes(points []Point, width int) []Desc {
	var out []Desc
	trim := false
	for i := 0; i+1 < len(points); i++ {
		start, end := points[i], points[i+1]
		x0, y0 := float64(float32(start.X)), float64(float32(start.Y))
		x1, y1 := float64(float32(end.X)), float64(float32(end.Y))
		n := int(math.Round(math.Hypot(x1-x0, y1-y0))) + 1
		s := segmentOf(start, end)
		first := 0
		if trim {
			first = 1
		}
		var lastX, lastY float64
		for k := first; k < n; k++ {
			lastX, lastY = x0-float64(k)*s.cos, y0-float64(k)*s.sin
			out = append(out, s.box(lastX, lastY, width))
		}
		// The next segment starts where this one ended; its first sample
		// would repeat this one's last when they are that close. (The
		// reference compares sky separations; along one segment their
		// ratio is the pixel distances' for linear coordinates.)
		trim = n > first && math.Hypot(lastX-x1, lastY-y1) < 0.5
	}
	return out
}

// LineProfile returns the mean of the finite pixels of each box in p,
// NaN for a box with none or outside the image.
func LineProfile(ctx context.Context, p imaging.Plane, boxes []Desc) ([]float32, error) {
	out := make([]float32, len(boxes))
	for i, b := range boxes {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i] = float32(math.NaN())
		if offImage(b, p.Width, p.Height) {
			continue // most samples of an absurdly long line: no mask needed
		}
		m, err := b.Mask(p.Width, p.Height)
		if errors.Is(err, ErrNoPixels) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[i] = m.mean(p)
	}
	return out, nil
}

// offImage reports whether box b lies wholly beyond the pixel centres
// of a width×height image, with a pixel's margin: its centre is farther
// from the image than half its diagonal.
func offImage(b Desc, width, height int) bool {
	c, s := b.Points[0], b.Points[1]
	r := math.Hypot(s.X, s.Y)/2 + 1
	return c.X < -r || c.Y < -r || c.X > float64(width-1)+r || c.Y > float64(height-1)+r
}

// mean is the mean of the finite values under the mask, NaN if none.
func (m *Mask) mean(p imaging.Plane) float32 {
	var sum float64
	var n int
	for y := m.box.Min.Y; y < m.box.Max.Y; y++ {
		row := p.Data[y*p.Width : (y+1)*p.Width]
		for _, s := range m.Row(y) {
			for _, v := range row[s.X0:s.X1] {
				if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
					sum += float64(v)
					n++
				}
			}
		}
	}
	if n == 0 {
		return float32(math.NaN())
	}
	return float32(sum / float64(n))
}
