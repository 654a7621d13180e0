// Command benchimaging times cartago's imaging kernels on the sample
// FITS files, doing exactly what scripts/bench_imaging.py does with
// numpy and astropy, and writes the timings and results as JSON for
// scripts/bench-imaging.sh, which runs both interleaved and compares
// them (results must agree; see the Python script).
//
// Operations (name: what is timed):
//
//	plane_hist_ram:  stats.PlaneHistogram of the 4096² plane already in
//	                 memory: min/max, then auto bins (√(w·h) = 4096) over
//	                 [min, max], plus mean and σ
//	plane_fill_ram:  stats.HistogramWithStats of that plane, its
//	                 statistics known (cached, as the server may): the
//	                 counting pass alone
//	plane_hist_file: open image-4096.fits, decode the plane, the same
//	                 histogram, close
//	plane_stats_ram: stats.ComputeParallel of the plane in memory: count,
//	                 NaN count, sum, mean, σ (n−1), min, max, in float64
//	cube_hist_file:  open cube-512x512x200.fits and run
//	                 stats.CubeHistogram as the server does the first
//	                 time (per-plane extrema, then 512 bins over the
//	                 cube's [min, max] with the sums)
//	spectrum:        Image.Spectrum at one pixel through the 200 channels
//	                 of the open cube (per call, averaged over -positions
//	                 pixels)
//	read_ceiling:    XOR of the plane's 64 MiB as uint64 words, one core:
//	                 the memory read ceiling of perf.md (e) #10
//
// Each operation runs -warmup times untimed, then -reps times timed,
// with a garbage collection before each run so one run's garbage is not
// collected during the next.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"cartago/imaging"
	"cartago/imaging/bench"
	"cartago/imaging/fits"
	"cartago/imaging/stats"
)

// output is the JSON document written.
type output struct {
	Go         string             `json:"go"`
	GOMAXPROCS int                `json:"gomaxprocs"`
	Reps       int                `json:"reps"`
	Timings    map[string][]int64 `json:"timings_ns"` // per timed run
	Pixels     map[string]int64   `json:"pixels"`     // pixels processed per run
	PlaneHist  histogram          `json:"plane_hist"`
	PlaneStats basic              `json:"plane_stats"`
	CubeHist   histogram          `json:"cube_hist"`
	Spectra    spectra            `json:"spectra"`
}

type histogram struct {
	NumBins  int     `json:"num_bins"`
	Min      float64 `json:"min"` // float32 bounds widened
	Max      float64 `json:"max"`
	BinWidth float64 `json:"bin_width"` // float32 width widened
	Bins     []int32 `json:"bins"`
	Stats    basic   `json:"stats"`
}

// basic is stats.Basic with its derived values; NaN becomes null.
type basic struct {
	Count    int64    `json:"count"`
	NaNCount int64    `json:"nan_count"`
	Sum      *float64 `json:"sum"`
	Mean     *float64 `json:"mean"`
	Sigma    *float64 `json:"sigma"`
	Min      *float64 `json:"min"`
	Max      *float64 `json:"max"`
}

type spectra struct {
	File      string     `json:"file"`
	Positions [][2]int   `json:"positions"` // x, y (0-based, FITS axis order)
	Bits      [][]uint32 `json:"bits"`      // float32 bits of the first few spectra
}

func main() {
	dir := flag.String("dir", "", "sample data directory (default: imaging/bench.SampleDir, generated if missing)")
	reps := flag.Int("reps", 7, "timed runs per operation")
	warmup := flag.Int("warmup", 1, "untimed runs before timing")
	positions := flag.Int("positions", 256, "cursor pixels per spectrum run")
	out := flag.String("o", "-", "output JSON file (- for stdout)")
	flag.Parse()
	if err := run(*dir, *reps, *warmup, *positions, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchimaging:", err)
		os.Exit(1)
	}
}

func run(dir string, reps, warmup, positions int, outPath string) error {
	ctx := context.Background()
	if dir == "" {
		var err error
		if dir, err = bench.SampleDir(ctx); err != nil {
			return err
		}
	}
	o := &output{Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), Reps: reps,
		Timings: map[string][]int64{}, Pixels: map[string]int64{}}
	timer := func(name string, pixels int64, fn func() error) error {
		o.Pixels[name] = pixels
		for i := range warmup + reps {
			runtime.GC()
			start := time.Now()
			if err := fn(); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if i >= warmup {
				o.Timings[name] = append(o.Timings[name], int64(time.Since(start)))
			}
		}
		return nil
	}

	imagePath := filepath.Join(dir, bench.Image)
	plane, err := readPlane(imagePath)
	if err != nil {
		return err
	}
	npix := int64(len(plane.Data))
	cfg := stats.Config{NumBins: stats.AutoBinSize}

	var h stats.Histogram
	var s stats.Basic
	if err := timer("plane_hist_ram", npix, func() (err error) {
		h, s, err = stats.PlaneHistogram(ctx, plane, cfg)
		return err
	}); err != nil {
		return err
	}
	o.PlaneHist = histogramOf(h, s)

	if err := timer("plane_fill_ram", npix, func() error {
		_, err := stats.HistogramWithStats(ctx, plane, cfg, s)
		return err
	}); err != nil {
		return err
	}

	if err := timer("plane_hist_file", npix, func() error {
		p, err := readPlane(imagePath)
		if err != nil {
			return err
		}
		_, _, err = stats.PlaneHistogram(ctx, p, cfg)
		return err
	}); err != nil {
		return err
	}

	if err := timer("plane_stats_ram", npix, func() (err error) {
		s, err = stats.ComputeParallel(ctx, plane.Data)
		return err
	}); err != nil {
		return err
	}
	o.PlaneStats = basicOf(s)

	cubePath := filepath.Join(dir, bench.Cube)
	cube, err := fits.Open(cubePath)
	if err != nil {
		return err
	}
	defer cube.Close()
	cim, err := cube.Image("")
	if err != nil {
		return err
	}
	l := cim.Layout
	if err := timer("cube_hist_file", int64(l.Width*l.Height*l.Depth), func() error {
		h, s, err = cubeHistogram(ctx, cubePath, cfg)
		return err
	}); err != nil {
		return err
	}
	o.CubeHist = histogramOf(h, s)

	o.Spectra.File = bench.Cube
	for i := range positions {
		o.Spectra.Positions = append(o.Spectra.Positions, [2]int{(i*197 + 31) % l.Width, (i*331 + 17) % l.Height})
	}
	if err := timer("spectrum", int64(l.Depth), func() error {
		for _, p := range o.Spectra.Positions {
			if _, err := cim.Spectrum(p[0], p[1], 0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for i := range o.Timings["spectrum"] { // per profile
		o.Timings["spectrum"][i] /= int64(positions)
	}
	for _, p := range o.Spectra.Positions[:min(16, positions)] {
		v, err := cim.Spectrum(p[0], p[1], 0)
		if err != nil {
			return err
		}
		b := make([]uint32, len(v))
		for i, x := range v {
			b[i] = math.Float32bits(x)
		}
		o.Spectra.Bits = append(o.Spectra.Bits, b)
	}

	words := make([]uint64, len(plane.Data)/2)
	for i := range words {
		words[i] = uint64(math.Float32bits(plane.Data[2*i])) | uint64(math.Float32bits(plane.Data[2*i+1]))<<32
	}
	if err := timer("read_ceiling", npix, func() error {
		readCeiling(words)
		return nil
	}); err != nil {
		return err
	}
	return writeJSON(outPath, o)
}

// readPlane opens a FITS file and decodes its first plane.
func readPlane(path string) (imaging.Plane, error) {
	f, err := fits.Open(path)
	if err != nil {
		return imaging.Plane{}, err
	}
	defer f.Close()
	im, err := f.Image("")
	if err != nil {
		return imaging.Plane{}, err
	}
	return im.Plane(0, 0)
}

// cubeHistogram opens a cube and computes its histogram.
func cubeHistogram(ctx context.Context, path string, cfg stats.Config) (stats.Histogram, stats.Basic, error) {
	f, err := fits.Open(path)
	if err != nil {
		return stats.Histogram{}, stats.Basic{}, err
	}
	defer f.Close()
	im, err := f.Image("")
	if err != nil {
		return stats.Histogram{}, stats.Basic{}, err
	}
	return stats.CubeHistogram(ctx, planes{im: im}, cfg, nil, nil)
}

// planes reads Stokes 0 of a cube, as the session does.
type planes struct{ im *fits.Image }

func (p planes) Shape() (width, height, depth int) {
	return p.im.Layout.Width, p.im.Layout.Height, p.im.Layout.Depth
}

func (p planes) ReadRows(dst []float32, i, y0, rows int) error {
	return p.im.ReadRows(dst, i, 0, y0, rows)
}

var sink uint64

// readCeiling XORs words with four accumulators, as imaging/stats
// BenchmarkBaselineRead does.
func readCeiling(words []uint64) {
	var a0, a1, a2, a3 uint64
	for i := 0; i+4 <= len(words); i += 4 {
		w := words[i : i+4 : i+4]
		a0 ^= w[0]
		a1 ^= w[1]
		a2 ^= w[2]
		a3 ^= w[3]
	}
	sink ^= a0 ^ a1 ^ a2 ^ a3
}

func histogramOf(h stats.Histogram, s stats.Basic) histogram {
	return histogram{NumBins: h.NumBins, Min: h.Min, Max: h.Max, BinWidth: h.BinWidth, Bins: h.Bins, Stats: basicOf(s)}
}

func basicOf(s stats.Basic) basic {
	return basic{Count: s.Count, NaNCount: s.NaNCount, Sum: num(s.Sum), Mean: num(s.Mean()), Sigma: num(s.Sigma()),
		Min: num(float64(s.Min)), Max: num(float64(s.Max))}
}

// num returns &v, or nil (JSON null) for NaN and ±Inf.
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func writeJSON(path string, o *output) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
