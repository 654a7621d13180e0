// Command benchhdf5 measures IDIA HDF5 against FITS (issue 16) on a
// 1024×1024×200 float32 cube: it writes the cube as FITS, converts it
// with scripts/fits2hdf5.py (statistics, swizzled copy and mip levels;
// contiguous, and chunked 512×512 with deflate and shuffle), starts
// `cartago serve` on loopback with no image cache kept across opens,
// and in each of -reps rounds (after a warm-up one) times, for every
// file, open → first image histogram and a cursor spectral profile
// through all 200 channels. Then it times our HDF5 reader against h5py
// (read_h5py.py) reading every plane and -spectra spectra of the same
// files, in alternation. It prints medians side by side with ratios,
// the server's peak RSS and its RSS after the sessions ended.
//
//	go run ./scripts/benchhdf5 -bin /tmp/cartago -script scripts/fits2hdf5.py -py scripts/benchhdf5/read_h5py.py [-dir DIR]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
	"cartago/scripts/benchclient"
	"cartago/scripts/procstat"
	"cartago/ws/wstest"
)

const (
	w, h, depth = 1024, 1024, 200
	fitsName    = "cube1024x200.fits"
)

// files are the forms of the cube compared.
var files = []struct{ name, label string }{
	{fitsName, "FITS"},
	{"cube1024x200.hdf5", "HDF5 contiguous"},
	{"cube1024x200-chunked.hdf5", "HDF5 chunked+deflate"},
}

func main() {
	bin := flag.String("bin", "", "cartago binary to run (required)")
	script := flag.String("script", "", "scripts/fits2hdf5.py (required)")
	py := flag.String("py", "", "scripts/benchhdf5/read_h5py.py (required)")
	python := flag.String("python", "/usr/bin/python3", "Python interpreter with h5py, numpy and astropy")
	dir := flag.String("dir", "", "folder for the files (default: a new temporary one)")
	reps := flag.Int("reps", 5, "timed rounds, after a warm-up one")
	nspec := flag.Int("spectra", 2000, "spectra read in the reader comparison")
	flag.Parse()
	if *bin == "" || *script == "" || *py == "" {
		log.Fatal("-bin, -script and -py are required")
	}
	work, cleanup := benchclient.WorkDir(*dir, "benchhdf5")
	defer cleanup()
	*dir = work
	prepare(*dir, *python, *script)

	pid, url, stop := benchclient.Serve(*bin, *dir, "--cache-size", "0")
	defer stop()
	sampler := procstat.StartPeak(pid)
	c := benchclient.Dial(url)
	hist := make([][]time.Duration, len(files))
	spec := make([][]time.Duration, len(files))
	alone := make([][]time.Duration, len(files))
	for rep := range *reps + 1 {
		for i, f := range files {
			hd, sd, ad := openAndProfile(c, f.name, rep)
			if rep > 0 { // the first round warms the page cache
				hist[i] = append(hist[i], hd)
				spec[i] = append(spec[i], sd)
				alone[i] = append(alone[i], ad)
			}
		}
	}
	peak, err := sampler.Stop()
	benchclient.Check(err)
	benchclient.Check(c.Close())
	time.Sleep(3 * time.Second)
	after, err := procstat.ReadMem(pid)
	benchclient.Check(err)

	fmt.Printf("open → first histogram and cursor spectral profile, %d×%d×%d float32 cube, median of %d rounds after a warm-up, GOMAXPROCS=%s, --cache-size 0\n",
		w, h, depth, *reps, os.Getenv("GOMAXPROCS"))
	fmt.Printf("%-22s %12s %8s %14s %8s %12s %8s %12s %8s\n", "", "histogram", "vs FITS", "1st spectrum", "vs FITS",
		"both", "vs FITS", "spectrum", "vs FITS")
	h0, s0, a0 := benchclient.Median(hist[0]), benchclient.Median(spec[0]), benchclient.Median(alone[0])
	for i, f := range files {
		hm, sm, am := benchclient.Median(hist[i]), benchclient.Median(spec[i]), benchclient.Median(alone[i])
		r := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
		fmt.Printf("%-22s %12s %8.3f %14s %8.3f %12s %8.3f %12s %8.3f\n", f.label, r(hm), hm.Seconds()/h0.Seconds(),
			r(sm), sm.Seconds()/s0.Seconds(), r(hm+sm), (hm+sm).Seconds()/(h0+s0).Seconds(), r(am), am.Seconds()/a0.Seconds())
	}
	fmt.Println("histogram: OPEN_FILE → first REGION_HISTOGRAM_DATA; 1st spectrum: SET_CURSOR → full SPECTRAL_PROFILE_DATA, after the")
	fmt.Println("cursor's value (which reads the plane; FITS read it for the histogram); spectrum: the next pixel, plane loaded")
	fmt.Printf("server peak RSS %s (RssAnon %s); after the sessions ended RSS %s (RssAnon %s)\n",
		procstat.MiB(peak.RSS), procstat.MiB(peak.Anon), procstat.MiB(after.RSS), procstat.MiB(after.Anon))
	readers(*dir, *python, *py, *reps, *nspec)
}

// prepare writes the FITS cube and its HDF5 forms unless present.
func prepare(dir, python, script string) {
	src := filepath.Join(dir, fitsName)
	if _, err := os.Stat(src); err != nil {
		benchclient.Check(writeCube(src))
	}
	for i, args := range [][]string{nil, {"--chunk", "512", "--deflate", "--shuffle"}} {
		dst := filepath.Join(dir, files[i+1].name)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		start := time.Now()
		out, err := exec.Command(python, append([]string{script, src, dst}, args...)...).CombinedOutput()
		if err != nil {
			log.Fatalf("fits2hdf5.py: %v\n%s", err, out)
		}
		log.Printf("converted %s in %s", files[i+1].name, time.Since(start).Round(time.Second))
	}
}

// openAndProfile opens file, times OPEN_FILE to its first image
// histogram, then SET_CURSOR to the full cursor spectral profile, and
// closes it; then the spectrum alone at the next pixel. The cursor
// moves every round so no profile is reused.
func openAndProfile(c benchclient.Client, file string, rep int) (time.Duration, time.Duration, time.Duration) {
	start := time.Now()
	c.MustSend(icd.EventType_OPEN_FILE, &icd.OpenFile{File: file, FileId: 0, Hdu: "0"})
	var ack icd.OpenFileAck
	c.Await(icd.EventType_OPEN_FILE_ACK, &ack, nil)
	if !ack.Success {
		log.Fatalf("open %s: %s", file, ack.Message)
	}
	c.Await(icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}, nil)
	histTook := time.Since(start)
	c.MustSend(icd.EventType_SET_SPECTRAL_REQUIREMENTS, &icd.SetSpectralRequirements{FileId: 0,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}}})
	start = time.Now()
	c.MustSend(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: float32(100 + 37*rep), Y: float32(200 + 53*rep)}})
	awaitSpectrum(c)
	specTook := time.Since(start)
	// Again one pixel on: the plane is loaded now (the cursor's value
	// needs it, and the first profile went out after it), so this is the
	// spectrum alone.
	start = time.Now()
	c.MustSend(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: float32(101 + 37*rep), Y: float32(200 + 53*rep)}})
	awaitSpectrum(c)
	aloneTook := time.Since(start)
	c.MustSend(icd.EventType_CLOSE_FILE, &icd.CloseFile{FileId: 0})
	return histTook, specTook, aloneTook
}

// awaitSpectrum waits for a complete cursor spectral profile.
func awaitSpectrum(c benchclient.Client) {
	for {
		var sp icd.SpectralProfileData
		c.Await(icd.EventType_SPECTRAL_PROFILE_DATA, &sp, func(wstest.Message) {})
		if sp.Progress >= 1 {
			return
		}
	}
}

// readers times our reader and h5py on the same reads, alternating.
func readers(dir, python, py string, reps, nspec int) {
	fmt.Printf("\nreader throughput (every plane of DATA; %d spectra of SwizzledData), median of %d after a warm-up\n", nspec, reps)
	fmt.Printf("%-22s %-8s %12s %12s %10s %12s\n", "", "read", "ours", "h5py", "h5py/ours", "MB/s ours")
	for _, f := range files[1:] {
		path := filepath.Join(dir, f.name)
		var ours, theirs [2][]float64
		var oursSum, theirSum [2]float64
		for rep := range reps + 1 {
			o := goReads(path, nspec)
			out, err := exec.Command(python, py, path, fmt.Sprint(nspec)).Output()
			if err != nil {
				log.Fatalf("read_h5py.py: %v", err)
			}
			var t map[string]float64
			benchclient.Check(json.Unmarshal(out, &t))
			if rep == 0 {
				continue
			}
			ours[0], ours[1] = append(ours[0], o.planes), append(ours[1], o.spectra)
			theirs[0], theirs[1] = append(theirs[0], t["planes"]), append(theirs[1], t["spectra"])
			oursSum, theirSum = [2]float64{o.planesSum, o.spectraSum}, [2]float64{t["planes_sum"], t["spectra_sum"]}
		}
		for k, what := range []string{"planes", "spectra"} {
			if math.Abs(oursSum[k]-theirSum[k]) > 1e-9*math.Abs(theirSum[k]) {
				log.Fatalf("%s %s: checksum %g, h5py %g", f.label, what, oursSum[k], theirSum[k])
			}
			mo, mt := median(ours[k]), median(theirs[k])
			bytes := float64(w * h * depth * 4)
			if k == 1 {
				bytes = float64(nspec * depth * 4)
			}
			fmt.Printf("%-22s %-8s %11.3fs %11.3fs %10.2f %12.0f\n", f.label, what, mo, mt, mt/mo, bytes/mo/1e6)
		}
	}
	fmt.Println("h5py/ours > 1: our reader is faster (target ≥ 1); both read the same values (checksums agree)")
}

type goTimes struct{ planes, planesSum, spectra, spectraSum float64 }

// goReads does read_h5py.py's reads with our reader.
func goReads(path string, nspec int) goTimes {
	f, err := hdf5.Open(path)
	benchclient.Check(err)
	defer f.Close()
	var out goTimes
	o, err := f.Open("0/DATA")
	benchclient.Check(err)
	d, err := o.Dataset()
	benchclient.Check(err)
	plane := make([]float32, w*h)
	start := time.Now()
	for c := range depth {
		benchclient.Check(d.ReadFloat32(plane, []int{c, 0, 0}, []int{1, h, w}))
		for y := 0; y < h; y += 97 {
			for x := 0; x < w; x += 89 {
				if v := plane[y*w+x]; !math.IsNaN(float64(v)) {
					out.planesSum += float64(v)
				}
			}
		}
	}
	out.planes = time.Since(start).Seconds()
	so, err := f.Open("0/SwizzledData/ZYX")
	benchclient.Check(err)
	sw, err := so.Dataset()
	benchclient.Check(err)
	spec := make([]float32, depth)
	start = time.Now()
	for i := range nspec {
		x, y := (i*7919)%w, (i*104729)%h
		benchclient.Check(sw.ReadFloat32(spec, []int{x, y, 0}, []int{1, 1, depth}))
		for _, v := range spec {
			if !math.IsNaN(float64(v)) {
				out.spectraSum += float64(v)
			}
		}
	}
	out.spectra = time.Since(start).Seconds()
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// writeCube writes a line cube with a blank pixel every 1009 per plane.
func writeCube(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	e := fits.NewEncoder(f)
	hdu := fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, depth}, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewFloatCard("CRVAL3", 1.42e9, ""), fits.NewFloatCard("CDELT3", 1e5, ""),
		fits.NewFloatCard("CRPIX3", 1, ""), fits.NewStringCard("CUNIT3", "Hz", ""), fits.NewStringCard("BUNIT", "Jy/beam", "")}}
	if err := e.WriteHeader(hdu); err != nil {
		return err
	}
	plane := make([]float32, w*h)
	nan := float32(math.NaN())
	for c := range depth {
		for y := range h {
			for x := range w {
				d := (float64(c) - 60 - float64((x+2*y)%80)) / 12
				plane[y*w+x] = float32((1+float64(x)/512)*math.Exp(-d*d/2) + 0.01*float64((x*7+y*3+c*11)%13))
			}
		}
		for i := c % 1009; i < len(plane); i += 1009 {
			plane[i] = nan
		}
		if err := e.WriteData(plane); err != nil {
			return err
		}
	}
	return e.Close()
}
