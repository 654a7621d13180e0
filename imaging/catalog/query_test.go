package catalog

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"

	"cartago/imaging/budget"
)

func sampleTable(t *testing.T) *Table {
	t.Helper()
	tab, err := Read(writeVO(t, sampleSpec(), TableData), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func rowsOf(v *View) []int {
	out := make([]int, v.Len())
	for k := range out {
		out[k] = v.Row(k)
	}
	return out
}

// Every ComparisonOperator, with the reference's semantics
// (DataColumn.tcc FilterIndices: the value is cast to the column type).
func TestFilterOperators(t *testing.T) {
	tab := sampleTable(t)
	cases := []struct {
		f    Filter
		want []int
	}{
		{Filter{Column: "id", Op: Equal, Value: 3}, []int{1}},
		{Filter{Column: "id", Op: Equal, Value: 3.9}, []int{1}}, // cast to int: 3
		{Filter{Column: "id", Op: NotEqual, Value: 3}, []int{0, 2, 3, 4}},
		{Filter{Column: "id", Op: Lesser, Value: 3}, []int{3, 4}},
		{Filter{Column: "id", Op: Greater, Value: 3}, []int{0, 2}},
		{Filter{Column: "id", Op: LesserOrEqual, Value: 3}, []int{1, 3, 4}},
		{Filter{Column: "id", Op: GreaterOrEqual, Value: 3}, []int{0, 1, 2}},
		{Filter{Column: "id", Op: RangeOpen, Value: 2, Second: 5}, []int{1, 2}},
		{Filter{Column: "id", Op: RangeClosed, Value: 2, Second: 5}, []int{0, 1, 2, 4}},
		{Filter{Column: "flux", Op: Equal, Value: 0.1}, []int{0, 2}}, // float32 column equals 0.1
		{Filter{Column: "RA", Op: NotEqual, Value: 1}, []int{0, 1, 2, 3, 4}},
		{Filter{Column: "RA", Op: Greater, Value: 0}, []int{0, 1, 2, 4}}, // NaN fails
		{Filter{Column: "name", Substring: "31"}, []int{1, 2}},
		{Filter{Column: "name", Substring: "M31"}, []int{2}}, // case-sensitive
		{Filter{Column: "flag", Op: Equal, Value: 1}, []int{0, 2, 4}},
		{Filter{Column: "nope", Op: Equal, Value: 1}, []int{0, 1, 2, 3, 4}},
	}
	for _, tc := range cases {
		v, err := tab.Select(t.Context(), Query{Filters: []Filter{tc.f}})
		if err != nil {
			t.Fatal(err)
		}
		if got := rowsOf(v); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: rows %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestSort(t *testing.T) {
	tab := sampleTable(t)
	cases := []struct {
		col  string
		desc bool
		want []int
	}{
		{"id", false, []int{3, 4, 1, 2, 0}},
		{"id", true, []int{0, 2, 1, 4, 3}},
		{"RA", false, []int{4, 1, 0, 2, 3}}, // NaN last
		{"RA", true, []int{2, 0, 1, 4, 3}},  // NaN last descending too
		{"flux", false, []int{0, 2, 1, 3, 4}},
		{"flag", false, []int{1, 3, 0, 2, 4}}, // stable: ties keep file order
		{"name", false, []int{3, 4, 2, 0, 1}},
		{"name", true, []int{1, 0, 2, 4, 3}},
	}
	for _, tc := range cases {
		v, err := tab.Select(t.Context(), Query{SortColumn: tc.col, Descending: tc.desc})
		if err != nil {
			t.Fatal(err)
		}
		if got := rowsOf(v); !slices.Equal(got, tc.want) {
			t.Errorf("sort %s desc=%v: %v, want %v", tc.col, tc.desc, got, tc.want)
		}
	}
}

func TestFilterSortBoundsAndSubset(t *testing.T) {
	tab := sampleTable(t)
	v, err := tab.Select(t.Context(), Query{
		Filters:    []Filter{{Column: "id", Op: GreaterOrEqual, Value: 2}},
		SortColumn: "id", Descending: true,
		Bounds: &Bounds{XColumn: "RA", YColumn: "DEC", XMin: 10, XMax: 11, YMin: -30.5, YMax: -29},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(v); !slices.Equal(got, []int{0, 2, 1}) {
		t.Fatalf("rows %v", got)
	}
	b := tab.Column("id").AppendValues(nil, v, 1, 10)
	if len(b) != 8 || binary.LittleEndian.Uint32(b) != 4 || binary.LittleEndian.Uint32(b[4:]) != 3 {
		t.Errorf("subset bytes %v", b)
	}
	if s := tab.Column("name").Strings(v, -3, 2); !slices.Equal(s, []string{"NGC 1 & co", "M31b"}) {
		t.Errorf("subset strings %q", s)
	}
	f := tab.Column("flux").AppendValues(nil, v, 0, 1)
	if math.Float32frombits(binary.LittleEndian.Uint32(f)) != float32(0.1) {
		t.Errorf("float bytes %v", f)
	}
}

func TestSelectCancelled(t *testing.T) {
	tab := sampleTable(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := tab.Select(ctx, Query{Filters: []Filter{{Column: "id", Op: Equal}}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

// A table over the limit or the budget is refused with a clear error,
// and a refused or closed table gives its memory back.
func TestMemoryBound(t *testing.T) {
	n := 100000
	s := &Spec{Columns: []SpecColumn{{Name: "x", Type: Double, Values: make([]float64, n)}}}
	vo := writeVO(t, s, TableData)
	if _, err := Read(vo, Options{MaxBytes: 100 << 10}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over MaxBytes: %v", err)
	}
	mem := budget.NewMemory(64 << 10)
	if _, err := Read(writeFITS(t, s), Options{Memory: mem}); !errors.Is(err, ErrTooLarge) || !errors.Is(err, budget.ErrOverBudget) {
		t.Fatalf("over budget: %v", err)
	}
	mem = budget.NewMemory(64 << 20)
	tab, err := Read(vo, Options{Memory: mem})
	if err != nil {
		t.Fatal(err)
	}
	if used := mem.Stats().Used; used < int64(8*n) {
		t.Errorf("charged %d bytes for %d doubles", used, n)
	}
	tab.Close()
	tab.Close()
	if used := mem.Stats().Used; used != 0 {
		t.Errorf("after Close %d bytes charged", used)
	}
}

// A VOTable announcing far more rows (nrows) than its size can hold
// does not make the reader reserve memory for them.
func TestLyingNrows(t *testing.T) {
	doc := `<?xml version="1.0"?><VOTABLE><RESOURCE><TABLE nrows="50000000"><FIELD name="a" datatype="double"/>` +
		`<DATA><TABLEDATA><TR><TD>1</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>`
	mem := budget.NewMemory(4 << 30)
	tab, err := Read([]byte(doc), Options{Memory: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	if peak := mem.Stats().Peak; peak > chargeStep {
		t.Errorf("charged %s for a one-row table", budget.Bytes(peak))
	}
}
