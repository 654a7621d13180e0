package catalog

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
)

// Op is a comparison; the numbers are the ICD's ComparisonOperator.
type Op uint8

const (
	Equal Op = iota
	NotEqual
	Lesser
	Greater
	LesserOrEqual
	GreaterOrEqual
	RangeOpen   // Value < x < Second
	RangeClosed // Value <= x <= Second
)

// Filter keeps the rows whose Column passes: numbers by Op against
// Value (and Second for ranges), strings by containing Substring
// (case-sensitive, as the reference's TableView::StringFilter).
type Filter struct {
	Column        string
	Op            Op
	Value, Second float64
	Substring     string
}

// Bounds keeps rows whose X and Y columns fall inside a box (closed):
// in the columns' own units, or, with ToPixel, in the coordinates it
// maps the columns' values to (an image's pixels); rows it cannot map
// are dropped.
type Bounds struct {
	XColumn, YColumn       string
	XMin, XMax, YMin, YMax float64
	ToPixel                func(x, y float64) (px, py float64, ok bool)
}

// Query selects and orders rows. Filters on columns the table does not
// have, or on unsupported columns, are ignored, as in the reference
// (TableController::ApplyFilter); so is an unknown sort column.
type Query struct {
	Filters    []Filter
	SortColumn string
	Descending bool
	Bounds     *Bounds
}

// View is a selection of a table's rows in display order.
type View struct {
	t    *Table
	all  bool    // every row in file order; rows is nil
	rows []int32 // table rows, when !all
}

// Len is the number of rows in the view.
func (v *View) Len() int {
	if v.all {
		return v.t.Rows
	}
	return len(v.rows)
}

// Row is the table row shown at position k.
func (v *View) Row(k int) int {
	if v.all {
		return k
	}
	return int(v.rows[k])
}

// ctxEvery is how many rows pass between cancellation checks.
const ctxEvery = 1 << 16

// Select applies q. The result is stable: rows with equal sort keys
// keep file order, and NaN sorts last both ways (as the reference's
// DataColumn::SortIndices puts it).
func (t *Table) Select(ctx context.Context, q Query) (*View, error) {
	v := &View{t: t, all: true}
	for _, f := range q.Filters {
		c := t.Column(f.Column)
		if c == nil || c.Type == Unsupported {
			continue
		}
		var keep func(int) bool
		if c.Type == String {
			sub := []byte(f.Substring)
			keep = func(i int) bool { return bytes.Contains(c.strBytes(i), sub) }
		} else {
			keep = numericTest(c, f)
		}
		if err := v.filter(ctx, keep); err != nil {
			return nil, err
		}
	}
	if b := q.Bounds; b != nil {
		if err := v.bound(ctx, b); err != nil {
			return nil, err
		}
	}
	if c := t.Column(q.SortColumn); c != nil && c.Type != Unsupported {
		v.sort(c, q.Descending)
	}
	return v, nil
}

func (v *View) filter(ctx context.Context, keep func(int) bool) error {
	out := make([]int32, 0, v.Len()) // 4 bytes a row; growing by copies costs more
	for k := range v.Len() {
		if k%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("catalog filter: %w", err)
			}
		}
		if i := v.Row(k); keep(i) {
			out = append(out, int32(i))
		}
	}
	v.all, v.rows = false, out
	return nil
}

func (v *View) bound(ctx context.Context, b *Bounds) error {
	x, y := v.t.Column(b.XColumn), v.t.Column(b.YColumn)
	if x == nil || y == nil || x.width == 0 || y.width == 0 {
		return nil
	}
	return v.filter(ctx, func(i int) bool {
		xv, yv := x.Float(i), y.Float(i)
		if b.ToPixel != nil {
			var ok bool
			if xv, yv, ok = b.ToPixel(xv, yv); !ok {
				return false
			}
		}
		return xv >= b.XMin && xv <= b.XMax && yv >= b.YMin && yv <= b.YMax
	})
}

// numericTest compares in the column's own type, as the reference casts
// the filter value to it (DataColumn::FilterIndices): 0.1 equals a
// float32 column's 0.1, and 2.7 is 2 for an integer column.
func numericTest(c *Column, f Filter) func(int) bool {
	a, b := castTo(c.Type, f.Value), castTo(c.Type, f.Second)
	var test func(x float64) bool
	switch f.Op {
	case Equal:
		test = func(x float64) bool { return x == a }
	case NotEqual:
		test = func(x float64) bool { return x != a }
	case Lesser:
		test = func(x float64) bool { return x < a }
	case Greater:
		test = func(x float64) bool { return x > a }
	case LesserOrEqual:
		test = func(x float64) bool { return x <= a }
	case GreaterOrEqual:
		test = func(x float64) bool { return x >= a }
	case RangeOpen:
		test = func(x float64) bool { return x > a && x < b }
	case RangeClosed:
		test = func(x float64) bool { return x >= a && x <= b }
	default:
		test = func(float64) bool { return false }
	}
	return func(i int) bool { return test(c.Float(i)) }
}

// castTo rounds v as a conversion to the column's type would (toward
// zero, saturating for integers).
func castTo(t Type, v float64) float64 {
	lim := map[Type][2]float64{
		Uint8: {0, math.MaxUint8}, Bool: {0, math.MaxUint8}, Int8: {math.MinInt8, math.MaxInt8},
		Uint16: {0, math.MaxUint16}, Int16: {math.MinInt16, math.MaxInt16},
		Uint32: {0, math.MaxUint32}, Int32: {math.MinInt32, math.MaxInt32},
		Uint64: {0, math.MaxUint64}, Int64: {math.MinInt64, math.MaxInt64},
	}
	switch t {
	case Float:
		return float64(float32(v))
	case Double:
		return v
	}
	if math.IsNaN(v) {
		return 0
	}
	l := lim[t]
	return math.Trunc(min(max(v, l[0]), l[1]))
}

func (v *View) sort(c *Column, desc bool) {
	n := v.Len()
	if c.Type == String {
		rows := make([]int32, n)
		for k := range n {
			rows[k] = int32(v.Row(k))
		}
		slices.SortStableFunc(rows, func(a, b int32) int {
			r := bytes.Compare(c.strBytes(int(a)), c.strBytes(int(b)))
			if desc {
				r = -r
			}
			return r
		})
		v.all, v.rows = false, rows
		return
	}
	keys := make([]uint64, n)
	rows := make([]int32, n)
	for k := range n {
		i := v.Row(k)
		keys[k], rows[k] = sortKey(c.Float(i), desc), int32(i)
	}
	radixSort(keys, rows)
	v.all, v.rows = false, rows
}

// sortKey maps a float to an unsigned key in the same order (the usual
// sign flip), reversed for descending order; NaN is the largest key
// either way, so it sorts last.
func sortKey(f float64, desc bool) uint64 {
	if math.IsNaN(f) {
		return math.MaxUint64
	}
	b := math.Float64bits(f + 0) // -0 and +0 alike
	if b>>63 != 0 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	if desc {
		b = ^b
		if b == math.MaxUint64 { // cannot collide with NaN's key
			b--
		}
	}
	return b
}

// radixSort sorts keys with their rows in place: LSD radix, a byte per
// pass, stable (equal keys keep their order), skipping bytes all keys
// share.
func radixSort(keys []uint64, rows []int32) {
	n := len(keys)
	if n < 2 {
		return
	}
	outRows := rows
	tk, tr := make([]uint64, n), make([]int32, n)
	for shift := uint(0); shift < 64; shift += 8 {
		var count [257]int
		for _, k := range keys {
			count[(k>>shift)&0xff+1]++
		}
		if slices.Contains(count[1:], n) {
			continue
		}
		for b := 1; b < 257; b++ {
			count[b] += count[b-1]
		}
		for i, k := range keys {
			d := (k >> shift) & 0xff
			tk[count[d]], tr[count[d]] = k, rows[i]
			count[d]++
		}
		keys, tk = tk, keys
		rows, tr = tr, rows
	}
	copy(outRows, rows) // a no-op when the passes ended in outRows
}

// span clamps [start, end) to the view as the reference's
// DataColumn::GetColumnData does.
func (v *View) span(start, end int) (int, int) {
	n := v.Len()
	start = min(max(start, 0), n)
	if end < 0 {
		end = n
	}
	return start, min(max(end, start), n)
}

// AppendValues appends the little-endian values of rows [start, end) of
// the view (the ICD's ColumnData binary_data); nothing for strings and
// unsupported columns.
func (c *Column) AppendValues(dst []byte, v *View, start, end int) []byte {
	if c.width == 0 {
		return dst
	}
	start, end = v.span(start, end)
	if v.all {
		return append(dst, c.raw[start*c.width:end*c.width]...)
	}
	dst = slices.Grow(dst, (end-start)*c.width)
	for _, i := range v.rows[start:end] {
		o := int(i) * c.width
		dst = append(dst, c.raw[o:o+c.width]...)
	}
	return dst
}

// Strings returns the values of rows [start, end) of a String column.
func (c *Column) Strings(v *View, start, end int) []string {
	if c.Type != String {
		return nil
	}
	start, end = v.span(start, end)
	out := make([]string, 0, end-start)
	for k := start; k < end; k++ {
		out = append(out, c.Str(v.Row(k)))
	}
	return out
}
