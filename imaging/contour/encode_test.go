package contour

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"cartago/imaging/tooltest"
	"github.com/klauspost/compress/zstd"
)

// contourVertices returns the vertices of a realistic contour set: every
// level of a noisy 300×200 field, concatenated.
func contourVertices(t testing.TB) []float32 {
	t.Helper()
	var v []float32
	for _, pl := range mustTrace(t, field(makePlane(160, 120, noisy(10, 0.01))), -0.5, 0, 0.5, 1) {
		v = append(v, pl.Vertices...)
	}
	return v
}

func TestEncodeRawIsExact(t *testing.T) {
	v := []float32{0.5, 1.25, -3, float32(math.MaxFloat32), float32(math.SmallestNonzeroFloat32), 1e-3, float32(math.Inf(-1)), 7}
	for _, level := range []int{0, -4} {
		e := Encode(v, level, 4)
		if e.Decimation != 0 || e.UncompressedSize != 4*len(v) || len(e.Coordinates) != 4*len(v) {
			t.Fatalf("level %d: decimation %d, sizes %d/%d", level, e.Decimation, e.UncompressedSize, len(e.Coordinates))
		}
		if got := math.Float32frombits(binary.LittleEndian.Uint32(e.Coordinates[4:])); got != 1.25 {
			t.Fatalf("second float is %v, want 1.25 little-endian", got)
		}
		got, err := Decode(e)
		if err != nil || !slices.Equal(got, v) {
			t.Fatalf("level %d: decoded %v, %v; want %v", level, got, err, v)
		}
	}
}

// The wire layout, worked by hand: ×2, rounded, delta per axis, the first
// four int32 byte-shuffled, the last two left little-endian.
func TestEncodeLayout(t *testing.T) {
	v := []float32{1, 2, 3, 4, 5.5, 6}
	e := Encode(v, 1, 2)
	if e.Decimation != 2 || e.UncompressedSize != 24 {
		t.Fatalf("decimation %d size %d, want 2 and 24", e.Decimation, e.UncompressedSize)
	}
	// ints 2 4 6 8 11 12; deltas 2 4 4 4 5 4
	want := []byte{2, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0}
	if got := unzstd(t, e.Coordinates); !bytes.Equal(got, want) {
		t.Fatalf("uncompressed bytes %v, want %v", got, want)
	}
	// Negative deltas: −1 is ff ff ff ff in every byte plane.
	e = Encode([]float32{3, 3, 2, 2}, 1, 1)
	want = []byte{3, 3, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff}
	if got := unzstd(t, e.Coordinates); !bytes.Equal(got, want) {
		t.Fatalf("negative deltas: %v, want %v", got, want)
	}
}

func unzstd(t *testing.T, b []byte) []byte {
	t.Helper()
	d, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out, err := d.DecodeAll(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Whole groups of four round half to even (SSE), the tail half away from
// zero (round()), as the reference does.
func TestEncodeRounding(t *testing.T) {
	v := []float32{0.25, 0.75, -0.25, 1.25, 0.25, -0.25}
	got, err := Decode(Encode(v, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 1, 0, 1, 0.5, -0.5}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// Decimated coordinates come back within half a step, 1/(2d), of the
// original, for every level and the clamped extremes; for power-of-two d
// the frontend's float32 sums are exact multiples of 1/d.
func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	v := contourVertices(t)
	if len(v) < 10000 {
		t.Fatalf("only %d floats", len(v))
	}
	for _, tc := range []struct{ level, dec, wantDec int }{
		{1, 1, 1}, {8, 4, 4}, {40, 99, 32}, {5, 0, 1}, {2, -3, 1}, {3, 3, 3}, {9, 5, 5},
	} {
		e := Encode(v, tc.level, tc.dec)
		if e.Decimation != tc.wantDec || e.UncompressedSize != 4*len(v) {
			t.Fatalf("level %d dec %d: decimation %d size %d", tc.level, tc.dec, e.Decimation, e.UncompressedSize)
		}
		got, err := Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		d := float64(tc.wantDec)
		tol := 0.5 / d
		if tc.wantDec&(tc.wantDec-1) != 0 {
			// 1/d is inexact: the frontend's float32 running sums drift
			// like a random walk of ulp-sized steps (here ~2e-3).
			tol += 0.01
		}
		worst := 0.0
		for i := range v {
			worst = max(worst, math.Abs(float64(got[i])-float64(v[i])))
			if tc.wantDec&(tc.wantDec-1) == 0 && float64(got[i])*d != math.Round(float64(got[i])*d) {
				t.Fatalf("dec %d: %v is not a multiple of 1/d", tc.wantDec, got[i])
			}
		}
		if worst > tol {
			t.Fatalf("level %d dec %d: worst error %v > %v", tc.level, tc.dec, worst, tol)
		}
		t.Logf("level %2d dec %2d: %7d → %7d bytes, worst error %.4g", tc.level, tc.wantDec, 4*len(v), len(e.Coordinates), worst)
	}
}

func TestEncodeEmpty(t *testing.T) {
	for _, level := range []int{0, 8} {
		if e := Encode(nil, level, 4); e.Coordinates != nil || e.UncompressedSize != 0 || e.Decimation != 0 {
			t.Fatalf("level %d: %+v, want the zero Encoded", level, e)
		}
	}
	if got, err := Decode(Encoded{}); err != nil || len(got) != 0 {
		t.Fatalf("decode of nothing: %v %v", got, err)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	good := Encode([]float32{1, 2, 3, 4}, 5, 4)
	for name, e := range map[string]Encoded{
		"raw length":  {Coordinates: []byte{1, 2, 3}},
		"size":        {Coordinates: good.Coordinates, UncompressedSize: 12, Decimation: 4},
		"odd size":    {Coordinates: good.Coordinates, UncompressedSize: 15, Decimation: 4},
		"huge size":   {Coordinates: good.Coordinates, UncompressedSize: 1 << 31, Decimation: 4},
		"not zstd":    {Coordinates: []byte("not zstd at all"), UncompressedSize: 16, Decimation: 4},
		"truncated":   {Coordinates: good.Coordinates[:len(good.Coordinates)-2], UncompressedSize: 16, Decimation: 4},
		"larger size": {Coordinates: good.Coordinates, UncompressedSize: 20, Decimation: 4},
	} {
		if _, err := Decode(e); err != ErrCorrupt {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
	if _, err := DecodeStarts([]byte{1, 2}); err != ErrCorrupt {
		t.Errorf("starts: %v", err)
	}
}

func TestStartsRoundTrip(t *testing.T) {
	s := []int32{0, 14, 200, 1 << 30}
	b := EncodeStarts(s)
	if !bytes.Equal(b[4:8], []byte{14, 0, 0, 0}) {
		t.Fatalf("not little-endian: %v", b[4:8])
	}
	if got, err := DecodeStarts(b); err != nil || !slices.Equal(got, s) {
		t.Fatalf("got %v %v", got, err)
	}
}

// missingTool skips a test whose outside tool is missing, but fails it
// under scripts/test.sh (and so CI), which installs the tools and sets
// CARTAGO_REQUIRE_TOOLS, so that a missing tool never hides there.
func missingTool(t *testing.T, why string) {
	t.Helper()
	tooltest.Missing(t, why)
}

// libzstd itself (the zstd command) must read our frames; the frontend
// decompresses with libzstd compiled to WebAssembly.
func TestEncodeZstdCLI(t *testing.T) {
	t.Parallel()
	zstdCmd, err := exec.LookPath("zstd")
	if err != nil {
		missingTool(t, "no zstd command (apt-get install zstd)")
	}
	v := contourVertices(t)
	for _, level := range []int{1, 4, 8, 19} {
		if level > 9 {
			v = v[:4000] // the best-compression encoder is slow under -race
		}
		e := Encode(v, level, 8)
		cmd := exec.Command(zstdCmd, "-d", "-c")
		cmd.Stdin = bytes.NewReader(e.Coordinates)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("level %d: zstd -d: %v", level, err)
		}
		if want := unzstd(t, e.Coordinates); !bytes.Equal(out, want) || len(out) != e.UncompressedSize {
			t.Fatalf("level %d: libzstd and klauspost disagree (%d vs %d bytes)", level, len(out), len(want))
		}
	}
}

// The frontend's own decoder (carta_computation.wasm from the installed
// carta-frontend, run under node) must turn our encoding into exactly the
// floats Decode gives. Skipped without node or the installed frontend.
func TestEncodeFrontendDecodes(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		missingTool(t, "no node (Node.js, which scripts/fetch-frontend.sh needs too)")
	}
	wasm, err := filepath.Abs("../../frontend/carta_computation.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(wasm); err != nil {
		missingTool(t, "frontend not installed (scripts/fetch-frontend.sh)")
	}
	v := contourVertices(t)
	r := rand.New(rand.NewPCG(11, 2))
	for range 6 {
		v = append(v, float32(r.Float64()*5000), float32(r.Float64()*5000))
	}
	v = append(v, 4095.5, 0.5)
	type job struct {
		n, level, dec int
		want          []float32
		out           string
	}
	jobs := []job{{n: len(v), level: 8, dec: 4}, {n: len(v), level: 1, dec: 1}, {n: len(v), level: 4, dec: 3},
		{n: 4000, level: 20, dec: 32}, {n: 6, level: 8, dec: 4}, {n: 2, level: 8, dec: 7}, {n: 1026, level: 12, dec: 5}}
	dir := t.TempDir()
	args := []string{"testdata/frontend_decode.js", wasm}
	for k := range jobs {
		j := &jobs[k]
		e := Encode(v[:j.n], j.level, j.dec)
		if j.want, err = Decode(e); err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, strconv.Itoa(k)+".in")
		j.out = filepath.Join(dir, strconv.Itoa(k)+".out")
		if err := os.WriteFile(in, e.Coordinates, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, in, strconv.Itoa(e.UncompressedSize), strconv.Itoa(e.Decimation), j.out)
	}
	if msg, err := exec.Command(node, args...).CombinedOutput(); err != nil {
		t.Fatalf("node: %v\n%s", err, msg)
	}
	for _, j := range jobs {
		b, err := os.ReadFile(j.out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rawFloats(b)
		if err != nil || len(got) != len(j.want) {
			t.Fatalf("%d floats level %d dec %d: frontend gave %d floats (%v)", j.n, j.level, j.dec, len(got), err)
		}
		for i := range j.want {
			if math.Float32bits(got[i]) != math.Float32bits(j.want[i]) {
				t.Fatalf("%d floats level %d dec %d: frontend decodes value %d as %v, Decode as %v (original %v)",
					j.n, j.level, j.dec, i, got[i], j.want[i], v[i])
			}
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	v := contourVertices(b)
	for _, level := range []int{1, 4, 8, 12} {
		b.Run("level"+strconv.Itoa(level), func(b *testing.B) {
			b.SetBytes(int64(4 * len(v)))
			var n int
			for b.Loop() {
				n = len(Encode(v, level, 4).Coordinates)
			}
			b.ReportMetric(float64(4*len(v))/float64(n), "ratio")
		})
	}
}
