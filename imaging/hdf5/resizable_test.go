package hdf5

import (
	"bytes"
	"cartago/imaging/tooltest"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// resizableScript writes, with Debian's h5py and the newest format,
// resizable datasets: one unlimited dimension gets an extensible-array
// chunk index, two get a v2 B-tree. Values follow value() below, but
// for easparse, whose rows 2000 to 2099 only are written.
const resizableScript = `import sys, h5py, numpy as np
def arr(shape, dt="<f4"):
    return (np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * 0.5 - 7).astype(dt)
with h5py.File(sys.argv[1] + "/resizable.h5", "w", libver="latest") as f:
    # 70000 x 2 chunks: past the 131060 elements after which default
    # extensible arrays page their data blocks; the maximum dims hold
    # more chunks than the current ones, which number the chunks
    f.create_dataset("ea", data=arr((70000, 3, 2)), chunks=(1, 2, 2), maxshape=(None, 6, 2))
    f.create_dataset("eagzip", data=arr((70000, 3, 2)), chunks=(1, 2, 2), maxshape=(None, 6, 2), compression="gzip", shuffle=True)
    f.create_dataset("eamiddle", data=arr((3, 5000, 2)), chunks=(2, 1, 2), maxshape=(3, None, 2))
    s = f.create_dataset("easparse", shape=(0, 4, 4), dtype="<f4", chunks=(1, 4, 4), maxshape=(None, 4, 4), compression="gzip")
    s.resize(3000, axis=0)
    s[2000:2100] = arr((100, 4, 4))
    f.create_dataset("bt2", data=arr((200, 60, 3)), chunks=(2, 3, 3), maxshape=(None, None, 3))
    s = f.create_dataset("eafar", shape=(140800, 1), dtype="<f4", chunks=(1, 1), maxshape=(None, 1))
    s[0] = 1.5  # and one chunk in the second page of a paged data block, its first page never written
    s[140752] = 2.5
    p = f.create_dataset("fapartial", shape=(4096, 2), dtype="<f4", chunks=(1, 2))  # a paged fixed array
    p[0:100] = 1.5
    p[3000] = 2.5
    f.create_dataset("bt2gzip", data=arr((200, 60, 3)), chunks=(2, 3, 3), maxshape=(None, None, 3), compression="gzip", shuffle=True)
`

// TestResizable reads every element of datasets indexed by extensible
// arrays (with super blocks and paged data blocks, filtered or not)
// and by v2 B-trees, and checks that each used the index it tests; its
// subtests read arrays with pages never written.
func TestResizable(t *testing.T) {
	dir := fixtures(t) // skips or fails without h5py, as the other fixtures do
	if out, err := exec.Command(tooltest.Python, "-c", resizableScript, dir).CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	t.Run("unwritten extensible array pages", func(t *testing.T) { testExtensibleArrayUnwrittenPages(t, dir) })
	t.Run("unwritten fixed array pages", func(t *testing.T) { testFixedArrayUnwrittenPages(t, dir) })
	f := openT(t, filepath.Join(dir, "resizable.h5"))
	for _, c := range []struct {
		name  string
		index int
	}{
		{"ea", indexExtArr}, {"eagzip", indexExtArr}, {"eamiddle", indexExtArr}, {"easparse", indexExtArr},
		{"bt2", indexBtree2}, {"bt2gzip", indexBtree2},
	} {
		d := dataset(t, f, c.name)
		if d.layout.index != c.index {
			t.Fatalf("%s: chunk index type %d, want %d", c.name, d.layout.index, c.index)
		}
		n := 1
		for _, s := range d.Shape {
			n *= s
		}
		got := make([]float32, n)
		if err := d.ReadFloat32(got, make([]int, len(d.Shape)), d.Shape); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, v := range got {
			want := float32(value(i))
			if c.name == "easparse" {
				want = 0
				if row := i / 16; row >= 2000 && row < 2100 {
					want = float32(value(i - 2000*16))
				}
			}
			if v != want {
				t.Fatalf("%s %v: element %d = %g, want %g", c.name, d.Shape, i, v, want)
			}
		}
	}
}

// testExtensibleArrayUnwrittenPages reads an extensible array with
// two chunks written, the second in the second page of a paged data
// block whose first page was never written (the super block says so).
func testExtensibleArrayUnwrittenPages(t *testing.T, dir string) {
	d := dataset(t, openT(t, filepath.Join(dir, "resizable.h5")), "eafar")
	got := make([]float32, 140800)
	if err := d.ReadFloat32(got, []int{0, 0}, []int{140800, 1}); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		want := float32(0)
		if i == 0 {
			want = 1.5
		} else if i == 140752 {
			want = 2.5
		}
		if v != want {
			t.Fatalf("element %d = %g, want %g", i, v, want)
		}
	}
	if len(d.index) != 2 {
		t.Fatalf("%d chunks indexed, want the 2 written", len(d.index))
	}
}

// testFixedArrayUnwrittenPages reads a paged fixed array (4096
// chunks, pages of 1024) two of whose pages were never written: their
// entries are not chunk addresses.
func testFixedArrayUnwrittenPages(t *testing.T, dir string) {
	d := dataset(t, openT(t, filepath.Join(dir, "resizable.h5")), "fapartial")
	got := make([]float32, 4096*2)
	if err := d.ReadFloat32(got, []int{0, 0}, []int{4096, 2}); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		want := float32(0)
		if i < 200 {
			want = 1.5
		} else if i/2 == 3000 {
			want = 2.5
		}
		if v != want {
			t.Fatalf("element %d = %g, want %g", i, v, want)
		}
	}
	if len(d.index) != 101 {
		t.Fatalf("%d chunks indexed, want the 101 written", len(d.index))
	}
}

// TestLookup3 checks the checksum against the hash's published values.
func TestLookup3(t *testing.T) {
	for s, want := range map[string]uint32{"": 0xdeadbeef, "Four score and seven years ago": 0x17770551} {
		if got := lookup3([]byte(s)); got != want {
			t.Errorf("lookup3(%q) = %#x, want %#x", s, got, want)
		}
	}
}

// TestResizableCorrupt damages each kind of extensible-array block of
// the tiny fixture (300 chunks: index block, data blocks, a super
// block) and the v2 B-tree chunk index (its header and leaf are the
// file's last) and gets ErrCorrupt, not wrong values.
func TestResizableCorrupt(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(fixtures(t), "tiny-latest.h5"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, sig := range []string{"EAHD", "EAIB", "EASB", "EADB", "BTHD", "BTLF"} {
		at := bytes.LastIndex(src, []byte(sig)) // the last data block is the super block's
		if at < 0 {
			t.Fatalf("no %s in the fixture", sig)
		}
		b := bytes.Clone(src)
		b[at+6] ^= 0x10
		p := filepath.Join(dir, sig+".h5")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		f := openT(t, p)
		err := readAll(t, f, "0/"+sig[:2])
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s damaged: %v", sig, err)
		}
	}
	for _, name := range []string{"0/EA", "0/BT"} {
		if err := readAll(t, openT(t, filepath.Join(fixtures(t), "tiny-latest.h5")), name); err != nil {
			t.Fatalf("%s undamaged: %v", name, err)
		}
	}
}

// readAll reads a whole dataset.
func readAll(t *testing.T, f *File, path string) error {
	o, err := f.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := o.Dataset()
	if err != nil {
		return err
	}
	return d.ReadFloat32(make([]float32, d.Shape[0]*d.Shape[1]), []int{0, 0}, d.Shape)
}
