package hdf5

import (
	"cartago/imaging/tooltest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// FuzzOpen opens arbitrary bytes as an HDF5 file and reads everything
// reachable: it must fail cleanly, never panic or allocate without
// bound. Seeds are small files h5py writes (both formats) when it is
// installed, else the bare signature. Run with -fuzzminimizetime=1x:
//
//	go test ./imaging/hdf5 -run XXX -fuzz FuzzOpen -fuzzminimizetime=1x
func FuzzOpen(f *testing.F) {
	f.Add([]byte(Signature))
	if exec.Command(tooltest.Python, "-c", "import h5py").Run() == nil {
		dir := f.TempDir()
		if out, err := exec.Command(tooltest.Python, "-c", fixtureScript, dir).CombinedOutput(); err != nil {
			f.Fatalf("h5py: %v\n%s", err, out)
		}
		for _, name := range []string{"tiny-earliest.h5", "tiny-latest.h5"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	} else if tooltest.Required() {
		f.Fatal(tooltest.Python + " cannot import h5py; scripts/test.sh requires it")
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f.h5")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		walk(p)
	})
}
