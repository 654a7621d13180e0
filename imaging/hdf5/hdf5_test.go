package hdf5

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func openT(t *testing.T, path string) *File {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func dataset(t *testing.T, f *File, path string) *Dataset {
	t.Helper()
	o, err := f.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := o.Dataset()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// TestDatasets reads every layout, index and filter whole and in
// slabs that cross chunk edges.
func TestDatasets(t *testing.T) {
	for _, path := range fixtureFiles(t) {
		f := openT(t, path)
		for _, name := range []string{"contig", "be64", "chunked", "gzip", "fletcher", "single", "compact", "resizable", "growable"} {
			d := dataset(t, f, "0/"+name)
			if !slices.Equal(d.Shape, []int{3, 5, 7}) {
				t.Fatalf("%s %s: shape %v", filepath.Base(path), name, d.Shape)
			}
			checkSlab(t, d, []int{0, 0, 0}, []int{3, 5, 7}, name)
			checkSlab(t, d, []int{1, 1, 2}, []int{2, 3, 4}, name)
			checkSlab(t, d, []int{2, 4, 0}, []int{1, 1, 7}, name)
			checkSlab(t, d, []int{0, 3, 5}, []int{3, 1, 1}, name) // a spectrum
		}
		ints := dataset(t, f, "0/int16")
		got := make([]int64, 3*5*7)
		if err := ints.ReadInt64(got, []int{0, 0, 0}, []int{3, 5, 7}); err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if v != int64(value(i)) {
				t.Fatalf("int16[%d] = %d, want %d", i, v, int64(value(i)))
			}
		}
		u := dataset(t, f, "0/uint8")
		f32 := make([]float32, 200)
		if err := u.ReadFloat32(f32, []int{0, 0}, []int{10, 20}); err != nil || f32[199] != 199 {
			t.Fatalf("uint8: %v %v", f32[199], err)
		}
		paged := dataset(t, f, "0/paged")
		all := make([]float32, 64*64)
		if err := paged.ReadFloat32(all, []int{0, 0}, []int{64, 64}); err != nil {
			t.Fatalf("paged: %v", err)
		}
		for i, v := range all {
			if v != float32(value(i)) {
				t.Fatalf("paged[%d] = %g, want %g", i, v, value(i))
			}
		}
		part := dataset(t, f, "0/partial")
		pv := make([]float32, 24)
		if err := part.ReadFloat32(pv, []int{0, 0}, []int{4, 6}); err != nil {
			t.Fatal(err)
		}
		if pv[0] != 1.5 || pv[8] != 1.5 || pv[3] != 0 || pv[23] != 0 {
			t.Fatalf("partly written dataset %v: unallocated chunks read as zeros", pv)
		}
	}
}

func checkSlab(t *testing.T, d *Dataset, start, count []int, name string) {
	t.Helper()
	n := count[0] * count[1] * count[2]
	got := make([]float32, n)
	if err := d.ReadFloat32(got, start, count); err != nil {
		t.Fatalf("%s %v+%v: %v", name, start, count, err)
	}
	g64 := make([]float64, n)
	if err := d.ReadFloat64(g64, start, count); err != nil {
		t.Fatal(err)
	}
	k := 0
	for z := start[0]; z < start[0]+count[0]; z++ {
		for y := start[1]; y < start[1]+count[1]; y++ {
			for x := start[2]; x < start[2]+count[2]; x++ {
				want := value((z*5+y)*7 + x)
				if got[k] != float32(want) || g64[k] != want {
					t.Fatalf("%s %v+%v: [%d,%d,%d] = %g / %g, want %g", name, start, count, z, y, x, got[k], g64[k], want)
				}
				k++
			}
		}
	}
}

// TestAttributes reads compact (earliest) and dense (latest, more than
// eight) attributes of every kind.
func TestAttributes(t *testing.T) {
	for _, path := range fixtureFiles(t) {
		f := openT(t, path)
		g, err := f.Open("0")
		if err != nil {
			t.Fatal(err)
		}
		attrs, err := g.Attrs()
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]any{}
		for _, a := range attrs {
			byName[a.Name] = a.Value
		}
		want := map[string]any{"S": "variable", "FS": "fixed", "T": true, "F": false, "N": int64(-42), "U": int64(65000),
			"A00": 0.0, "A39": 48.75}
		for k, v := range want {
			if byName[k] != v {
				t.Errorf("%s: %s = %#v, want %#v", filepath.Base(path), k, byName[k], v)
			}
		}
		if v, _ := byName["V"].([]float64); !slices.Equal(v, []float64{1, 2, 3}) {
			t.Errorf("V = %#v", byName["V"])
		}
		if len(attrs) != 40+7 {
			t.Errorf("%d attributes, want 47", len(attrs))
		}
	}
}

// TestGroups lists a group with many links (dense in the newest format)
// and leaves the soft link out.
func TestGroups(t *testing.T) {
	for _, path := range fixtureFiles(t) {
		f := openT(t, path)
		g, err := f.Open("many")
		if err != nil {
			t.Fatal(err)
		}
		links, err := g.Links()
		if err != nil {
			t.Fatal(err)
		}
		if len(links) != 30 || links[0].Name != "g00" || links[29].Name != "g29" {
			t.Fatalf("%s: links %v", filepath.Base(path), links)
		}
		if _, err := f.Open("many/g17"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Open("many/nothing"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing link: %v", err)
		}
	}
}

// TestUnsupported gets clear errors for what is not read.
func TestUnsupported(t *testing.T) {
	for _, path := range fixtureFiles(t) {
		f := openT(t, path)
		o, err := f.Open("0/lzf")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.Dataset(); !errors.Is(err, ErrUnsupported) {
			t.Errorf("lzf filter: %v", err)
		}
	}
}

// TestBadSlabs refuses reads outside the shape or with a wrong buffer.
func TestBadSlabs(t *testing.T) {
	f := openT(t, fixtureFiles(t)[0])
	d := dataset(t, f, "0/gzip")
	for _, c := range []struct{ start, count []int }{
		{[]int{0, 0, 0}, []int{4, 5, 7}}, {[]int{-1, 0, 0}, []int{1, 1, 1}}, {[]int{0, 0}, []int{1, 1}}, {[]int{2, 4, 6}, []int{1, 1, 2}},
	} {
		if err := d.ReadFloat32(make([]float32, 1), c.start, c.count); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("%v+%v: %v", c.start, c.count, err)
		}
	}
	f.Close()
	if err := d.ReadFloat32(make([]float32, 1), []int{0, 0, 0}, []int{1, 1, 1}); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

// TestTruncated reads every prefix-cut of a file without a panic.
func TestTruncated(t *testing.T) {
	src := fixtureFiles(t)[1]
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []int{0, 8, 100, 500, len(b) / 4, len(b) / 2, len(b) - 100} {
		p := filepath.Join(dir, "cut.h5")
		if err := os.WriteFile(p, b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		walk(p)
	}
	if _, err := Open(filepath.Join(dir, "nothing")); err == nil {
		t.Fatal("opened a missing file")
	}
	p := filepath.Join(dir, "text")
	os.WriteFile(p, []byte("SIMPLE  =                    T"), 0o644)
	if _, err := Open(p); !errors.Is(err, ErrNotHDF5) {
		t.Fatalf("FITS bytes: %v", err)
	}
}

// walk reads everything reachable in a file, ignoring errors; for the
// truncation test and the fuzz target, which need only no panic.
func walk(path string) {
	f, err := Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	root, err := f.object(f.rootAddr)
	if err != nil {
		return
	}
	seen := map[uint64]bool{}
	var visit func(o *Object, depth int)
	visit = func(o *Object, depth int) {
		if depth > 8 || seen[o.addr] {
			return
		}
		seen[o.addr] = true
		o.Attrs()
		if d, err := o.Dataset(); err == nil {
			n := 1
			for _, s := range d.Shape {
				n *= s
			}
			if n <= 1<<16 {
				start := make([]int, len(d.Shape))
				d.ReadFloat32(make([]float32, n), start, d.Shape)
			}
		}
		links, _ := o.Links()
		for _, l := range links {
			if c, err := f.object(l.Addr); err == nil {
				visit(c, depth+1)
			}
		}
	}
	visit(root, 0)
}

var _ = math.NaN
