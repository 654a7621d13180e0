package zfp

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Golden streams come from the zfp C library through scripts/zfpref
// (zfpref.c, a few lines around zfp_compress and zfp_decompress). Refresh
// them with
//
//	scripts/zfpref/check.sh -update
//
// which builds zfpref against libzfp-dev and runs this package's tests
// with -update and $ZFPREF set. testdata/golden/manifest.txt lists every
// case with the SHA-256 of the library's stream and of the floats the
// library decodes from it; streams of up to goldenFileMax bytes are also
// kept whole, to point at the first differing block on a mismatch.
var update = flag.Bool("update", false, "regenerate testdata/golden with the zfp library tool named by $ZFPREF")

const (
	goldenDir      = "testdata/golden"
	goldenManifest = "manifest.txt"
	goldenFileMax  = 2048
)

// goldenCase is one array (a generator, size and seed) at one precision.
type goldenCase struct {
	gen  string
	w, h int
	p    int
	seed uint64
}

func (c goldenCase) name() string {
	return fmt.Sprintf("%s-%dx%d-p%d", c.gen, c.w, c.h, c.p)
}

func (c goldenCase) data() []float32 { return generate(c.gen, c.w, c.h, c.seed) }

// goldenPrecisions are the precisions every main generator is tested at:
// the extremes, the frontend's tile (11) and animation (9) defaults, and
// the reference backend's bumped qualities (22, 32).
var goldenPrecisions = []int{1, 8, 9, 11, 16, 22, 32}

func goldenCases() []goldenCase {
	var cs []goldenCase
	add := func(gens []string, sizes [][2]int, ps []int) {
		for _, g := range gens {
			for _, s := range sizes {
				for _, p := range ps {
					c := goldenCase{gen: g, w: s[0], h: s[1], p: p}
					h := fnv.New64a()
					h.Write([]byte(c.name()))
					c.seed = h.Sum64()
					cs = append(cs, c)
				}
			}
		}
	}
	main := []string{"noise", "smooth", "range", "blocks"}
	odd := []string{"const", "zero", "denorm", "tiny", "huge", "special", "ramp"}
	add(main, [][2]int{{256, 256}, {255, 256}, {256, 255}}, goldenPrecisions)
	add(main, [][2]int{{1, 1}, {2, 2}, {3, 5}, {4, 1}, {1, 7}, {5, 3}, {6, 6}, {17, 4}, {129, 67}}, goldenPrecisions)
	add(odd, [][2]int{{256, 256}}, []int{1, 11, 32})
	add(odd, [][2]int{{3, 5}, {17, 4}}, []int{1, 11, 32})
	add([]string{"noise"}, [][2]int{{8, 8}}, []int{0, 33, 64, 100}) // precisions past 32
	return cs
}

// goldenEntry is one manifest line.
type goldenEntry struct {
	size    int
	stream  string // hex SHA-256 of the stream
	decoded string // hex SHA-256 of the library's decoded float32s, little-endian
}

func TestGolden(t *testing.T) {
	if *update {
		updateGolden(t)
	}
	want := readManifest(t)
	var enc Encoder
	var dec Decoder
	for _, c := range goldenCases() {
		t.Run(c.name(), func(t *testing.T) {
			g, ok := want[c.name()]
			if !ok {
				t.Fatalf("no manifest entry; run scripts/zfpref/check.sh -update")
			}
			data := c.data()
			stream := enc.Encode(nil, data, c.w, c.h, c.p)
			if len(stream) != g.size || sha(stream) != g.stream {
				t.Fatalf("stream (%d bytes) differs from zfp's (%d bytes)%s", len(stream), g.size, firstDiff(c, stream))
			}
			out, err := dec.Decode(nil, stream, c.w, c.h, c.p)
			if err != nil {
				t.Fatal(err)
			}
			if sha(floatBytes(out)) != g.decoded {
				t.Fatalf("decoded floats differ from zfp_decompress's")
			}
		})
	}
}

// firstDiff locates the first differing bit against the kept stream file,
// if there is one, and names the block it falls in.
func firstDiff(c goldenCase, got []byte) string {
	want, err := os.ReadFile(filepath.Join(goldenDir, c.name()+".zfp"))
	if err != nil {
		return ""
	}
	for i := 0; i < min(len(got), len(want)); i++ {
		if x := got[i] ^ want[i]; x != 0 {
			bit := 8*i + trailingZeros8(x)
			return fmt.Sprintf("; first differing bit %d (%s)", bit, blockAt(c, want, bit))
		}
	}
	return "; one is a prefix of the other"
}

func trailingZeros8(x byte) int {
	n := 0
	for x&1 == 0 {
		x >>= 1
		n++
	}
	return n
}

// blockAt names the block of the reference stream holding bit offset.
func blockAt(c goldenCase, stream []byte, offset int) string {
	var d Decoder
	br := bitReader{buf: stream}
	np := planes(clampPrecision(c.p))
	bx, by := (c.w+3)/4, (c.h+3)/4
	pos := 0
	for b := 0; b < bx*by; b++ {
		d.decodeBlock(&br, np)
		next := 8*(len(stream)-len(br.buf)) - int(br.n)
		if offset < next {
			return fmt.Sprintf("block %d at x=%d y=%d, which starts at bit %d", b, 4*(b%bx), 4*(b/bx), pos)
		}
		pos = next
	}
	return "after the last block"
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func floatBytes(f []float32) []byte {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func readManifest(t *testing.T) map[string]goldenEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(goldenDir, goldenManifest))
	if err != nil {
		t.Fatalf("%v; run scripts/zfpref/check.sh -update", err)
	}
	defer f.Close()
	m := make(map[string]goldenEntry)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 4 {
			t.Fatalf("bad manifest line %q", line)
		}
		n, err := strconv.Atoi(fs[1])
		if err != nil {
			t.Fatalf("bad manifest line %q", line)
		}
		m[fs[0]] = goldenEntry{size: n, stream: fs[2], decoded: fs[3]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// refTool returns the zfpref binary named by $ZFPREF, or "" if unset.
func refTool() string { return os.Getenv("ZFPREF") }

// refEncode runs the library on data and returns its stream, zero-padded
// to whole 64-bit words: Debian builds libzfp with 8-bit stream words,
// which lay out the same bits on a little-endian machine but pad only to
// a byte, while the frontend's zfp (and Encode) pad to 64 bits.
func refEncode(t testing.TB, tool string, data []float32, w, h, p int) []byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.f32"), filepath.Join(dir, "out.zfp")
	if err := os.WriteFile(in, floatBytes(data), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, tool, "enc", w, h, p, in, out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// refDecode runs the library's decoder on stream.
func refDecode(t testing.TB, tool string, stream []byte, w, h, p int) []float32 {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.zfp"), filepath.Join(dir, "out.f32")
	if err := os.WriteFile(in, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, tool, "dec", w, h, p, in, out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

func runTool(t testing.TB, tool, mode string, w, h, p int, in, out string) {
	t.Helper()
	cmd := exec.Command(tool, mode, strconv.Itoa(w), strconv.Itoa(h), strconv.Itoa(p), in, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", tool, mode, err, msg)
	}
}

func refVersion(t testing.TB, tool string) string {
	t.Helper()
	out, err := exec.Command(tool, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", tool, err)
	}
	return strings.TrimSpace(string(out))
}

// updateGolden rewrites testdata/golden from the library.
func updateGolden(t *testing.T) {
	tool := refTool()
	if tool == "" {
		t.Fatal("-update needs $ZFPREF: run scripts/zfpref/check.sh -update")
	}
	if err := os.RemoveAll(goldenDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(goldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var m bytes.Buffer
	fmt.Fprintf(&m, "# zfp golden streams from %s\n", refVersion(t, tool))
	fmt.Fprintf(&m, "# name, stream bytes (padded to 64-bit words), SHA-256 of the stream, SHA-256 of zfp_decompress's float32s\n")
	for _, c := range goldenCases() {
		stream := refEncode(t, tool, c.data(), c.w, c.h, c.p)
		decoded := refDecode(t, tool, stream, c.w, c.h, c.p)
		fmt.Fprintf(&m, "%s %d %s %s\n", c.name(), len(stream), sha(stream), sha(floatBytes(decoded)))
		if len(stream) <= goldenFileMax {
			if err := os.WriteFile(filepath.Join(goldenDir, c.name()+".zfp"), stream, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(goldenDir, goldenManifest), m.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLibrary compares with the zfp library directly when $ZFPREF names
// the zfpref tool (scripts/zfpref/check.sh sets it): the library's stream
// for every golden case must match the manifest (so a second library
// version, such as 0.5.5 built from source, is checked against the one
// that made the golden files), and on random arrays of random sizes our
// stream must equal the library's and the library must decode our stream
// to exactly the floats Decode gives.
func TestLibrary(t *testing.T) {
	tool := refTool()
	if tool == "" {
		t.Skip("$ZFPREF not set; scripts/zfpref/check.sh runs this against libzfp")
	}
	t.Logf("library: %s", refVersion(t, tool))
	want := readManifest(t)
	for _, c := range goldenCases() {
		stream := refEncode(t, tool, c.data(), c.w, c.h, c.p)
		decoded := refDecode(t, tool, stream, c.w, c.h, c.p)
		g := want[c.name()]
		if len(stream) != g.size || sha(stream) != g.stream || sha(floatBytes(decoded)) != g.decoded {
			t.Errorf("%s: library output differs from the golden manifest", c.name())
		}
	}
	r := rng(42)
	gens := []string{"noise", "smooth", "range", "blocks", "denorm", "tiny", "special", "ramp"}
	var enc Encoder
	var dec Decoder
	for i := 0; i < 200; i++ {
		c := goldenCase{gen: gens[r.intn(len(gens))], w: 1 + r.intn(70), h: 1 + r.intn(70), p: r.intn(34), seed: r.next()}
		data := c.data()
		got := enc.Encode(nil, data, c.w, c.h, c.p)
		if ref := refEncode(t, tool, data, c.w, c.h, c.p); !bytes.Equal(got, ref) {
			t.Errorf("%s seed %d: stream differs from the library's", c.name(), c.seed)
			continue
		}
		ours, err := dec.Decode(nil, got, c.w, c.h, c.p)
		if err != nil {
			t.Fatal(err)
		}
		theirs := refDecode(t, tool, got, c.w, c.h, c.p)
		if !bytes.Equal(floatBytes(ours), floatBytes(theirs)) {
			t.Errorf("%s seed %d: Decode differs from zfp_decompress", c.name(), c.seed)
		}
	}
}
