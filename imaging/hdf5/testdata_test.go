package hdf5

import (
	"cartago/imaging/tooltest"
	"os/exec"
	"path/filepath"
	"testing"
)

// writeFixtures writes, with Debian's h5py, one file per libver with
// every layout, chunk index, filter, datatype and attribute kind this
// package reads, plus what it refuses. Values follow value() below.
const fixtureScript = `import sys, h5py, numpy as np
def arr(shape, dt):
    return (np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * 0.5 - 7).astype(dt)
for libver in ["earliest", "latest"]:
    with h5py.File(sys.argv[1] + "/" + libver + ".h5", "w", libver=libver) as f:
        g = f.create_group("0")
        g.create_dataset("contig", data=arr((3, 5, 7), "<f4"))
        g.create_dataset("be64", data=arr((3, 5, 7), ">f8"))
        g.create_dataset("int16", data=arr((3, 5, 7), ">i2"))
        g.create_dataset("uint8", data=np.arange(200, dtype="u1").reshape(10, 20))
        g.create_dataset("chunked", data=arr((3, 5, 7), "<f4"), chunks=(2, 2, 3))
        g.create_dataset("gzip", data=arr((3, 5, 7), "<f4"), chunks=(1, 4, 4), compression="gzip", shuffle=True)
        g.create_dataset("fletcher", data=arr((3, 5, 7), "<f4"), chunks=(1, 5, 7), fletcher32=True)
        g.create_dataset("single", data=arr((3, 5, 7), "<f4"), chunks=(3, 5, 7), compression="gzip")
        g.create_dataset("paged", data=arr((64, 64), "<f4"), chunks=(1, 2))
        g.create_dataset("growable", data=arr((3, 5, 7), "<f4"), chunks=(1, 2, 3), maxshape=(3, 10, 14))
        p = g.create_dataset("partial", shape=(4, 6), dtype="<f4", chunks=(2, 3))
        p[0:2, 0:3] = 1.5
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        d = h5py.h5d.create(g.id, b"compact", h5py.h5t.IEEE_F32LE, h5py.h5s.create_simple((3, 5, 7)), dcpl)
        d.write(h5py.h5s.ALL, h5py.h5s.ALL, arr((3, 5, 7), "<f4"))
        g.create_dataset("resizable", data=arr((3, 5, 7), "<f4"), chunks=(1, 5, 7), maxshape=(None, 5, 7))
        g.create_dataset("lzf", data=arr((3, 5, 7), "<f4"), chunks=(1, 5, 7), compression="lzf")
        for i in range(40):
            g.attrs["A%02d" % i] = float(i) * 1.25
        g.attrs["S"] = "variable"
        g.attrs.create("FS", np.bytes_(b"fixed"))
        g.attrs["T"] = True
        g.attrs["F"] = False
        g.attrs["N"] = np.int64(-42)
        g.attrs["U"] = np.uint16(65000)
        g.attrs["V"] = np.array([1.0, 2.0, 3.0])
        many = f.create_group("many")
        for i in range(30):
            many.create_group("g%02d" % i)
        many["soft"] = h5py.SoftLink("/0")
    with h5py.File(sys.argv[1] + "/tiny-" + libver + ".h5", "w", libver=libver) as f:
        g = f.create_group("0")
        g.create_dataset("DATA", data=arr((2, 3), "<f4"), chunks=(1, 2), compression="gzip", shuffle=True)
        g.create_dataset("C", data=arr((2, 2), ">f8"))
        for i in range(10 if libver == "latest" else 2):
            g.attrs["K%d" % i] = i
        g.attrs["S"] = "s"
        if libver == "latest":  # chunk indices of resizable datasets, for the fuzz target
            g.create_dataset("EA", data=arr((300, 2), "<f4"), chunks=(1, 2), maxshape=(None, 2))
            g.create_dataset("BT", data=arr((4, 6), "<f4"), chunks=(2, 2), maxshape=(None, None), compression="gzip")
`

// fixtures writes the files once per test binary run into a temp dir.
func fixtures(t *testing.T) string {
	t.Helper()
	tooltest.NeedPython(t, "python3-h5py", "h5py")
	dir := t.TempDir()
	if out, err := exec.Command(tooltest.Python, "-c", fixtureScript, dir).CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	return dir
}

// value is the fixture's element i (row-major).
func value(i int) float64 { return float64(i)*0.5 - 7 }

func fixtureFiles(t *testing.T) []string {
	dir := fixtures(t)
	return []string{filepath.Join(dir, "earliest.h5"), filepath.Join(dir, "latest.h5")}
}
