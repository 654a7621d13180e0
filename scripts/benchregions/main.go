// Command benchregions times cartago's region kernels (imaging/region) on
// the sample FITS files and writes the timings and results as JSON for
// scripts/bench-regions.sh, which runs scripts/bench_regions.py (numpy +
// astropy) on the same files and regions and compares both.
//
// Operations (name: what is timed):
//
//	mask/R:    Desc.Mask of region R on the 4096² image
//	stats/R:   region.Compute of R over the image's plane in memory
//	           (count, NaN count, sum, sum of squares, min, max with
//	           positions, mean and sigma in float64)
//	profile/R: open cube-512x512x200.fits, region.SpectralProfile of R
//	           through its 200 channels (every plane decoded), close
//
// Each operation runs -warmup times untimed, then -reps times timed,
// with a garbage collection before each run.
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
	"cartago/imaging/region"
	"cartago/imaging/stats"
)

// The regions. Their geometry is chosen so that no pixel centre lies
// within casacore's tolerance of a straight outline (edges either lie
// exactly on pixel centres or have rational slopes that keep them ≥ 0.125
// pixel from every centre), so that an exact float64 geometric test in
// numpy must give the same pixels.
var imageRegions = []namedDesc{
	{"box", region.Desc{Kind: region.KindRectangle, Points: []region.Point{pt(2048, 2048), pt(3000, 3000)}}},
	{"box400", region.Desc{Kind: region.KindRectangle, Points: []region.Point{pt(2048, 2048), pt(400, 400)}}},
	// cos θ = 0.8, sin θ = 0.6: corners on (x.5, y.5).
	{"rotated_box", region.Desc{Kind: region.KindRectangle, Points: []region.Point{pt(2048.5, 2048.5), pt(2500, 1500)},
		Rotation: math.Atan2(3, 4) * 180 / math.Pi}},
	{"ellipse", region.Desc{Kind: region.KindEllipse, Points: []region.Point{pt(2100.3, 1950.7), pt(1500.37, 900.41)}, Rotation: 20}},
	// Slopes dx/dy of 0, ±½ and 1 from vertices on (x, y.5), and a
	// vertical edge on pixel centres (a leftmost vertex off the pixel
	// grid would let casacore's truncation fill a pixel beside a sliver
	// narrower than a pixel, which geometry does not).
	{"polygon", region.Desc{Kind: region.KindPolygon, Points: []region.Point{
		pt(400, 200.5), pt(4050, 200.5), pt(2300, 3700.5), pt(1100, 2500.5), pt(400, 3900.5)}}},
}

var cubeRegions = []namedDesc{
	{"box400", region.Desc{Kind: region.KindRectangle, Points: []region.Point{pt(256, 256), pt(400, 400)}}},
	{"ellipse", region.Desc{Kind: region.KindEllipse, Points: []region.Point{pt(250.3, 260.7), pt(200.37, 120.41)}, Rotation: 20}},
}

func pt(x, y float64) region.Point { return region.Point{X: x, Y: y} }

type namedDesc struct {
	name string
	d    region.Desc
}

// output is the JSON document written.
type output struct {
	Go         string             `json:"go"`
	GOMAXPROCS int                `json:"gomaxprocs"`
	Reps       int                `json:"reps"`
	Timings    map[string][]int64 `json:"timings_ns"` // per timed run
	Pixels     map[string]int64   `json:"pixels"`     // pixels processed per run
	Image      imageInfo          `json:"image"`
	Cube       imageInfo          `json:"cube"`
	Regions    []regionOut        `json:"regions"`
	Profiles   []profileOut       `json:"profiles"`
}

type imageInfo struct {
	File       string  `json:"file"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	Depth      int     `json:"depth"`
	BeamArea   float64 `json:"beam_area_pixels"`
	Brightness string  `json:"bunit"`
}

type regionOut struct {
	Name     string          `json:"name"`
	Kind     int             `json:"kind"`
	Points   [][2]float64    `json:"points"`
	Rotation float64         `json:"rotation"`
	Box      [4]int          `json:"box"`   // x, y, width, height
	Spans    [][3]int        `json:"spans"` // y, x0, x1 (exclusive)
	Stats    *map[string]any `json:"stats,omitempty"`
}

type profileOut struct {
	regionOut
	Values map[string][]*float64 `json:"values"` // statistic → per channel
}

// statNames are the statistics written, by protocol name.
var statNames = map[string]region.StatsType{
	"num_pixels": region.NumPixels, "nan_count": region.NanCount, "sum": region.Sum,
	"flux_density": region.FluxDensity, "mean": region.Mean, "rms": region.RMS, "sigma": region.Sigma,
	"sum_sq": region.SumSq, "min": region.Min, "max": region.Max, "extrema": region.Extrema,
}

func main() {
	dir := flag.String("dir", "", "sample data directory (default: imaging/bench.SampleDir, generated if missing)")
	reps := flag.Int("reps", 7, "timed runs per operation")
	warmup := flag.Int("warmup", 1, "untimed runs before timing")
	out := flag.String("o", "-", "output JSON file (- for stdout)")
	flag.Parse()
	if err := run(*dir, *reps, *warmup, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchregions:", err)
		os.Exit(1)
	}
}

func run(dir string, reps, warmup int, outPath string) error {
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

	plane, bright, info, err := readPlane(filepath.Join(dir, bench.Image))
	if err != nil {
		return err
	}
	o.Image = info
	for _, r := range imageRegions {
		var m *region.Mask
		if err := timer("mask/"+r.name, 0, func() (err error) {
			m, err = r.d.Mask(plane.Width, plane.Height)
			return err
		}); err != nil {
			return err
		}
		o.Pixels["mask/"+r.name] = m.Count()
		var s stats.Basic
		if err := timer("stats/"+r.name, m.Count(), func() (err error) {
			s, err = region.Compute(ctx, plane, m)
			return err
		}); err != nil {
			return err
		}
		ro := regionOf(r, m)
		vals := map[string]any{}
		for name, t := range statNames {
			vals[name] = num(region.Value(s, t, bright))
		}
		ro.Stats = &vals
		o.Regions = append(o.Regions, ro)
	}

	cubePath := filepath.Join(dir, bench.Cube)
	for _, r := range cubeRegions {
		var prof []stats.Basic
		var m *region.Mask
		var cb region.Brightness
		if err := timer("profile/"+r.name, 0, func() (err error) {
			prof, m, cb, o.Cube, err = profile(ctx, cubePath, r.d)
			return err
		}); err != nil {
			return err
		}
		o.Pixels["profile/"+r.name] = m.Count() * int64(len(prof))
		po := profileOut{regionOut: regionOf(r, m), Values: map[string][]*float64{}}
		for name, t := range statNames {
			for _, v := range region.Values(prof, t, cb) {
				po.Values[name] = append(po.Values[name], num(v))
			}
		}
		o.Profiles = append(o.Profiles, po)
	}
	return writeJSON(outPath, o)
}

func regionOf(r namedDesc, m *region.Mask) regionOut {
	b := m.Bounds()
	ro := regionOut{Name: r.name, Kind: int(r.d.Kind), Rotation: r.d.Rotation, Box: [4]int{b.Min.X, b.Min.Y, b.Dx(), b.Dy()}}
	for _, p := range r.d.Points {
		ro.Points = append(ro.Points, [2]float64{p.X, p.Y})
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for _, s := range m.Row(y) {
			ro.Spans = append(ro.Spans, [3]int{y, int(s.X0), int(s.X1)})
		}
	}
	return ro
}

// brightness reads what region.Brightness needs from an image's header.
func brightness(im *fits.Image) (region.Brightness, imageInfo) {
	b := region.Brightness{}
	b.Unit, _ = im.Header.String("BUNIT")
	if beam, ok := im.Beam(); ok {
		b.BeamMajor, b.BeamMinor = beam.Major, beam.Minor
	}
	b.CDelt1, _ = im.Header.Float("CDELT1")
	b.CDelt2, _ = im.Header.Float("CDELT2")
	l := im.Layout
	return b, imageInfo{Width: l.Width, Height: l.Height, Depth: l.Depth, BeamArea: b.BeamArea(), Brightness: b.Unit}
}

// readPlane opens a FITS file and decodes its first plane.
func readPlane(path string) (imaging.Plane, region.Brightness, imageInfo, error) {
	f, err := fits.Open(path)
	if err != nil {
		return imaging.Plane{}, region.Brightness{}, imageInfo{}, err
	}
	defer f.Close()
	im, err := f.Image("")
	if err != nil {
		return imaging.Plane{}, region.Brightness{}, imageInfo{}, err
	}
	b, info := brightness(im)
	info.File = filepath.Base(path)
	p, err := im.Plane(0, 0)
	return p, b, info, err
}

// profile opens a cube and computes the spectral profile of a region
// through Stokes 0, as the server would.
func profile(ctx context.Context, path string, d region.Desc) ([]stats.Basic, *region.Mask, region.Brightness, imageInfo, error) {
	f, err := fits.Open(path)
	if err != nil {
		return nil, nil, region.Brightness{}, imageInfo{}, err
	}
	defer f.Close()
	im, err := f.Image("")
	if err != nil {
		return nil, nil, region.Brightness{}, imageInfo{}, err
	}
	b, info := brightness(im)
	info.File = filepath.Base(path)
	m, err := d.Mask(im.Layout.Width, im.Layout.Height)
	if err != nil {
		return nil, nil, b, info, err
	}
	prof, err := region.SpectralProfile(ctx, planes{im}, m, nil)
	return prof, m, b, info, err
}

// planes adapts Stokes 0 of a fits.Image to region.Planes.
type planes struct{ im *fits.Image }

func (p planes) Shape() (int, int, int) {
	l := p.im.Layout
	return l.Width, l.Height, l.Depth
}

func (p planes) ReadPlane(dst []float32, ch int) error { return p.im.ReadPlane(dst, ch, 0) }

// ReadRows reads only the region's rows, as the server does.
func (p planes) ReadRows(dst []float32, ch, y0, rows int) error {
	return p.im.ReadRows(dst, ch, 0, y0, rows)
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
