package pv

import (
	"errors"
	"fmt"
	"math"

	"cartago/imaging/region"
)

// plan is where the boxes of a line lie in a gather buffer: the rows
// they touch, each read as one span per channel, and the spans of each
// box within those rows.
type plan struct {
	imgW     int
	rows     []rowSpan
	size     int     // values gathered per channel
	spans    []span  // of every box, box by box
	boxStart []int32 // box b owns spans[boxStart[b]:boxStart[b+1]]
}

// rowSpan is columns x0..x1 (exclusive) of row y, at off in the buffer.
type rowSpan struct {
	y, x0, x1, off int32
}

// span is n values at off in the buffer.
type span struct{ off, n int32 }

func (p *plan) boxes() int { return len(p.boxStart) - 1 }

// newPlan places the boxes of a line of the given averaging width on a
// w×h image. Boxes off the image have no spans (their means are NaN);
// a line none of whose boxes touches the image is an error.
func newPlan(line region.Desc, width, w, h int) (*plan, error) {
	if err := checkLine(line); err != nil {
		return nil, err
	}
	boxes, err := region.LineBoxes(line, width)
	if err != nil {
		return nil, fmt.Errorf("pv: %w", err)
	}
	masks := make([]*region.Mask, len(boxes))
	lo, hi := h, -1 // rows touched
	for i, b := range boxes {
		m, err := b.Mask(w, h)
		if errors.Is(err, region.ErrNoPixels) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pv: box %d: %w", i, err)
		}
		masks[i] = m
		r := m.Bounds()
		lo, hi = min(lo, r.Min.Y), max(hi, r.Max.Y)
	}
	if hi < 0 {
		return nil, ErrOffImage
	}
	p := &plan{imgW: w}
	p.placeRows(masks, lo, hi, w)
	p.placeBoxes(masks)
	return p, nil
}

// checkLine refuses what has no direction to sample along.
func checkLine(line region.Desc) error {
	if line.Kind != region.KindLine && line.Kind != region.KindPolyline {
		return fmt.Errorf("pv: region type %d is not a line or polyline", line.Kind)
	}
	if err := line.Validate(); err != nil {
		return fmt.Errorf("pv: %w", err)
	}
	length := 0.0
	for i := 1; i < len(line.Points); i++ {
		a, b := line.Points[i-1], line.Points[i]
		length += math.Hypot(b.X-a.X, b.Y-a.Y)
	}
	if !(length > 0) {
		return ErrEmptyLine
	}
	return nil
}

// placeRows makes one span per row from the leftmost to the rightmost
// column any box covers in it.
func (p *plan) placeRows(masks []*region.Mask, lo, hi, w int) {
	x0 := make([]int32, hi-lo)
	x1 := make([]int32, hi-lo)
	for i := range x0 {
		x0[i], x1[i] = int32(w), -1
	}
	for _, m := range masks {
		if m == nil {
			continue
		}
		r := m.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for _, s := range m.Row(y) {
				x0[y-lo], x1[y-lo] = min(x0[y-lo], s.X0), max(x1[y-lo], s.X1)
			}
		}
	}
	off := int32(0)
	for i := range x0 {
		if x1[i] <= x0[i] {
			continue
		}
		p.rows = append(p.rows, rowSpan{y: int32(lo + i), x0: x0[i], x1: x1[i], off: off})
		off += x1[i] - x0[i]
	}
	p.size = int(off)
}

// placeBoxes finds each box's spans in the gathered rows.
func (p *plan) placeBoxes(masks []*region.Mask) {
	at := make(map[int32]rowSpan, len(p.rows))
	for _, r := range p.rows {
		at[r.y] = r
	}
	p.boxStart = make([]int32, 0, len(masks)+1)
	for _, m := range masks {
		p.boxStart = append(p.boxStart, int32(len(p.spans)))
		if m == nil {
			continue
		}
		r := m.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := at[int32(y)]
			for _, s := range m.Row(y) {
				p.spans = append(p.spans, span{off: row.off + s.X0 - row.x0, n: s.X1 - s.X0})
			}
		}
	}
	p.boxStart = append(p.boxStart, int32(len(p.spans)))
}
