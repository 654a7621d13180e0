// Command hdf5check cross-checks our reading of IDIA HDF5 files that
// another converter wrote (fits2idia) against the FITS files they came
// from: shape and header, every plane bit for bit, spectra from the
// swizzled copy, mip levels against our block means, and the stored
// histograms and statistics against ours. It prints one line per check
// and exits non-zero when pixels differ (statistics are reported, as
// converters bin and sum in their own ways).
//
//	go run ./scripts/hdf5check FITS HDF5 [FITS HDF5 ...]
package main

import (
	"context"
	"fmt"
	"image"
	"log"
	"math"
	"os"

	"cartago/imaging"
	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
	"cartago/imaging/idia"
	"cartago/imaging/stats"
	"cartago/imaging/tiles"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 || len(args)%2 != 0 {
		log.Fatal("usage: hdf5check FITS HDF5 [FITS HDF5 ...]")
	}
	bad := false
	for i := 0; i < len(args); i += 2 {
		if !check(args[i], args[i+1]) {
			bad = true
		}
	}
	if bad {
		os.Exit(1)
	}
}

func check(fitsPath, h5Path string) bool {
	ff, err := fits.Open(fitsPath)
	must(err)
	defer ff.Close()
	fi, err := ff.Image("")
	must(err)
	hf, err := hdf5.Open(h5Path)
	must(err)
	defer hf.Close()
	hi, err := idia.Open(hf, "")
	must(err)
	fmt.Printf("%s vs %s\n", fitsPath, h5Path)
	ok := true
	report := func(good bool, format string, a ...any) {
		mark := "ok  "
		if !good {
			mark, ok = "DIFF", false
		}
		fmt.Printf("  %s %s\n", mark, fmt.Sprintf(format, a...))
	}
	l, m := fi.Layout, hi.Layout
	report(l.Width == m.Width && l.Height == m.Height && l.Depth == m.Depth && l.Stokes == m.Stokes && l.Axes == m.Axes,
		"layout %dx%dx%dx%d axes %+v", m.Width, m.Height, m.Depth, m.Stokes, m.Axes)
	missing := 0
	for _, c := range fi.Header.Cards {
		if c.Type != fits.TypeFloat && c.Type != fits.TypeInt && c.Type != fits.TypeString {
			continue
		}
		if d, found := hi.Header.Get(c.Name); !found || (c.Type != fits.TypeString && d.Number != c.Number) || (c.Type == fits.TypeString && d.Value != c.Value) {
			missing++
			fmt.Printf("       header %s = %q, HDF5 %q (found %v)\n", c.Name, c.Value, d.Value, found)
		}
	}
	report(missing == 0, "header: %d valued cards differ or are missing", missing)
	planeDiff, histDiff, statDiff, mipDiff := 0, 0, 0, 0
	a, b := make([]float32, l.Width*l.Height), make([]float32, l.Width*l.Height)
	for st := range l.Stokes {
		for ch := range l.Depth {
			must(fi.ReadPlane(a, ch, st))
			must(hi.ReadPlane(b, ch, st))
			for k := range a {
				if math.Float32bits(a[k]) != math.Float32bits(b[k]) && !(a[k] != a[k] && b[k] != b[k]) {
					planeDiff++
				}
			}
			p := imaging.Plane{Width: l.Width, Height: l.Height, Data: a}
			cfg := stats.Config{NumBins: stats.AutoBinSize}
			ours, basic, err := stats.PlaneHistogram(context.Background(), p, cfg)
			must(err)
			if stored, found := hi.PlaneHistogram(ch, st, cfg); found {
				if !equalBins(ours.Bins, stored.Bins) {
					histDiff++
				}
				if math.Abs(stored.Mean-basic.Mean()) > 1e-6*math.Abs(basic.Mean()) || math.Abs(stored.StdDev-basic.Sigma()) > 1e-5*basic.Sigma() {
					statDiff++
				}
			}
			for _, mip := range hi.Mips() {
				want, w, h, err := tiles.Downsample(nil, p, image.Rect(0, 0, l.Width, l.Height), mip)
				must(err)
				got := make([]float32, w*h)
				must(hi.ReadMip(got, mip, ch, st, 0, 0, w, h))
				for k := range want {
					if d := math.Abs(float64(want[k] - got[k])); d > 1e-6*math.Abs(float64(want[k]))+1e-30 && !(want[k] != want[k] && got[k] != got[k]) {
						mipDiff++
					}
				}
			}
		}
	}
	report(planeDiff == 0, "planes: %d pixels differ", planeDiff)
	fmt.Printf("  info stored histograms with other bins than ours: %d planes; mean/σ beyond 1e-6/1e-5: %d; mip pixels beyond 1e-6: %d (levels %v)\n",
		histDiff, statDiff, mipDiff, hi.Mips())
	if l.Depth > 1 {
		specDiff := 0
		sa, sb := make([]float32, l.Depth), make([]float32, l.Depth)
		for k := range 50 {
			x, y := (k*37)%l.Width, (k*53)%l.Height
			must(fi.ReadSpectrum(sa, x, y, 0, 0))
			must(hi.ReadSpectrum(sb, x, y, 0, 0))
			for c := range sa {
				if math.Float32bits(sa[c]) != math.Float32bits(sb[c]) && !(sa[c] != sa[c] && sb[c] != sb[c]) {
					specDiff++
				}
			}
		}
		report(specDiff == 0, "spectra (swizzled copy: %v): %d values differ", hi.HasSwizzled(), specDiff)
	}
	return ok
}

func equalBins(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
