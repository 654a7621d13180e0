// Command benchcasa compares a CASA image with the FITS cube it was made
// from, in one run so both meet the same machine load: it writes a
// 1024×1024×200 float32 cube with a sky and frequency WCS and a NaN band
// (800 MiB), converts it with scripts/casa-fixture.py (python-casacore,
// its default tiles, a mask of the NaN pixels), starts `cartago serve`
// without an image cache (--cache-size 0, so every open decodes anew)
// and, in each of -reps rounds after a warm-up one:
//
//   - through the server, for the FITS file and the CASA image in turn,
//     in a new session: open → first histogram, then a cursor spectral
//     profile through all 200 channels at a new pixel;
//   - our reader (imaging/casa, in this process) and python-casacore's
//     getdata() (read.py) reading the whole CASA image: throughput and
//     checksums, which must agree.
//
// It prints medians, ratios, and the server's peak RSS and its RSS after
// the sessions ended.
//
// Two CASA forms are measured: the tiles python-casacore picks when it
// saves the FITS file (rows of one channel) and cube-shaped 64×64×8 ones.
//
//	go run ./scripts/benchcasa -bin /tmp/cartago -script scripts/casa-fixture.py -py scripts/benchcasa/read.py [-dir DIR]
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
	"cartago/imaging/casa"
	"cartago/imaging/fits"
	"cartago/scripts/benchclient"
	"cartago/scripts/procstat"
)

const (
	w, h, depth = 1024, 1024, 200
	fitsName    = "cube1024x200.fits"
)

// casaImages are the CASA forms of the cube: as python-casacore saves a
// FITS file (its tile shape, here whole rows of one channel), and in the
// cube-shaped tiles CASA's imaging tasks write.
var casaImages = []struct{ name, label, tile string }{
	{"cube1024x200.im", "CASA (rows)", ""},
	{"cube1024x200-tiled.im", "CASA (64×64×8)", "64,64,8"},
}

func main() {
	bin := flag.String("bin", "", "cartago binary to run (required)")
	script := flag.String("script", "", "scripts/casa-fixture.py (required)")
	py := flag.String("py", "", "scripts/benchcasa/read.py (required)")
	python := flag.String("python", "/usr/bin/python3", "Python interpreter with python-casacore")
	dir := flag.String("dir", "", "folder for the images (default: a new temporary one, removed)")
	reps := flag.Int("reps", 5, "timed rounds, after a warm-up one")
	flag.Parse()
	if *bin == "" || *script == "" || *py == "" {
		log.Fatal("-bin, -script and -py are required")
	}
	work, cleanup := benchclient.WorkDir(*dir, "benchcasa")
	defer cleanup()
	*dir = work
	prepare(*dir, *python, *script)
	pid, url, stop := benchclient.Serve(*bin, *dir, "--cache-size", "0")
	defer stop()
	sampler := procstat.StartPeak(pid)

	names, labels := []string{fitsName}, []string{"FITS"}
	for _, c := range casaImages {
		names, labels = append(names, c.name), append(labels, c.label)
	}
	openT, specT := make([][]time.Duration, len(names)), make([][]time.Duration, len(names))
	n := len(casaImages)
	ours, getdata, withMask := make([][]float64, n), make([][]float64, n), make([][]float64, n)
	var bytes int64
	for rep := range *reps + 1 {
		for i, name := range names {
			o, s := session(url, name, rep)
			if rep > 0 { // the first round warms the page cache
				openT[i], specT[i] = append(openT[i], o), append(specT[i], s)
			}
		}
		for i, c := range casaImages {
			path := filepath.Join(*dir, c.name)
			py := readPython(*python, *py, path)
			d, sum, finite := readOurs(path)
			if math.Abs(sum-py.Sum) > 1e-9*math.Abs(py.Sum) || finite != py.Finite {
				log.Fatalf("%s: checksums disagree: ours %v over %d pixels, python-casacore %v over %d", c.name, sum, finite, py.Sum, py.Finite)
			}
			if rep > 0 {
				ours[i], getdata[i] = append(ours[i], d.Seconds()), append(getdata[i], py.GetData)
				withMask[i], bytes = append(withMask[i], py.GetData+py.GetMask), py.Bytes
			}
		}
	}
	peak, err := sampler.Stop()
	benchclient.Check(err)
	after, err := procstat.Settle(pid, 20*time.Second)
	benchclient.Check(err)

	fmt.Printf("%d×%d×%d float32 cube (%.0f MB) as FITS and as a CASA image (python-casacore's tiles, NaN mask); %d rounds after a warm-up, server without image cache; GOMAXPROCS=%s\n",
		w, h, depth, float64(bytes)/1e6, *reps, os.Getenv("GOMAXPROCS"))
	fmt.Printf("%-31s", "through the server (median)")
	for _, l := range labels {
		fmt.Printf(" %16s", l)
	}
	fmt.Println("   ratios to FITS")
	for _, row := range []struct {
		what string
		d    [][]time.Duration
	}{{"open → first histogram", openT}, {"cursor spectrum, 200 channels", specT}} {
		fmt.Printf("%-31s", row.what)
		for i := range names {
			fmt.Printf(" %14.1fms", ms(benchclient.Median(row.d[i])))
		}
		f := benchclient.Median(row.d[0]).Seconds()
		for i := 1; i < len(names); i++ {
			fmt.Printf("   %.2f", benchclient.Median(row.d[i]).Seconds()/f)
		}
		fmt.Println()
	}
	mb := float64(bytes) / 1e6
	for i, c := range casaImages {
		o, g, m := median(ours[i]), median(getdata[i]), median(withMask[i])
		fmt.Printf("whole-image read, %s: ours %.2fs (%.0f MB/s, mask applied); python-casacore getdata() %.2fs (%.0f MB/s), +getmask() %.2fs (%.0f MB/s); ratio %.2f against getdata(), %.2f against both (target ≥ 1)\n",
			c.label, o, mb/o, g, mb/g, m, mb/m, g/o, m/o)
	}
	fmt.Println("checksums (sum and count of the unmasked finite pixels) of ours and python-casacore's agree")
	fmt.Printf("server peak RSS %s (RssAnon %s); after the sessions ended RSS %s (RssAnon %s)\n",
		procstat.MiB(peak.RSS), procstat.MiB(peak.Anon), procstat.MiB(after.RSS), procstat.MiB(after.Anon))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// prepare writes the FITS cube and converts it, unless they are there.
func prepare(dir, python, script string) {
	cube := filepath.Join(dir, fitsName)
	if _, err := os.Stat(cube); err != nil {
		benchclient.Check(writeCube(cube))
	}
	for _, c := range casaImages {
		im := filepath.Join(dir, c.name)
		if _, err := os.Stat(filepath.Join(im, "table.dat")); err == nil {
			continue
		}
		args := []string{script, cube, im}
		if c.tile != "" {
			args = append(args, "--tile", c.tile)
		}
		start := time.Now()
		if out, err := exec.Command(python, args...).CombinedOutput(); err != nil {
			log.Fatalf("casa-fixture.py: %v\n%s", err, out)
		}
		log.Printf("converted to %s in %v", c.name, time.Since(start).Round(time.Second))
	}
}

// session opens name in a new session and times open → first histogram
// and a cursor spectral profile at a pixel that differs every round.
func session(url, name string, rep int) (time.Duration, time.Duration) {
	c := benchclient.Dial(url)
	defer c.Close()
	start := time.Now()
	c.OpenImage(name)
	open := time.Since(start)
	c.MustSend(icd.EventType_SET_SPECTRAL_REQUIREMENTS, &icd.SetSpectralRequirements{FileId: 0, RegionId: 0,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}}})
	start = time.Now()
	c.MustSend(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: float32(300 + 37*rep), Y: float32(500 + 11*rep)}})
	for {
		var p icd.SpectralProfileData
		c.Await(icd.EventType_SPECTRAL_PROFILE_DATA, &p, nil)
		if p.Progress >= 1 {
			if len(p.Profiles) != 1 || len(p.Profiles[0].RawValuesFp32) != 4*depth {
				log.Fatalf("%s: spectral profile %v", name, &p)
			}
			break
		}
	}
	spec := time.Since(start)
	c.MustSend(icd.EventType_CLOSE_FILE, &icd.CloseFile{FileId: 0})
	return open, spec
}

type pyRead struct {
	GetData float64 `json:"getdata"`
	GetMask float64 `json:"getmask"`
	Bytes   int64   `json:"bytes"`
	Sum     float64 `json:"sum"`
	Finite  int     `json:"finite"`
}

func readPython(python, script, path string) pyRead {
	out, err := exec.Command(python, script, path).Output()
	if err != nil {
		log.Fatalf("read.py: %v\n%s", err, out)
	}
	var r pyRead
	benchclient.Check(json.Unmarshal(out, &r))
	return r
}

// readOurs reads the whole image with imaging/casa and sums its finite
// pixels (the sum is outside the time).
func readOurs(path string) (time.Duration, float64, int) {
	start := time.Now()
	im, err := casa.Open(path)
	benchclient.Check(err)
	defer im.Close()
	n := 1
	for _, s := range im.Shape {
		n *= s
	}
	data := make([]float32, n)
	starts := make([]int, len(im.Shape))
	benchclient.Check(im.ReadBox(data, starts, im.Shape))
	took := time.Since(start)
	sum, finite := 0.0, 0
	for _, v := range data {
		if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			sum += float64(v)
			finite++
		}
	}
	return took, sum, finite
}

// writeCube writes the FITS cube: a line whose centre moves across the
// field on a noise floor, a NaN band of 0–15 rows in every plane.
func writeCube(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	e := fits.NewEncoder(f)
	hdu := fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, depth}, Cards: []fits.Card{
		fits.NewStringCard("BUNIT", "Jy/beam", ""), fits.NewFloatCard("BMAJ", 0.001, ""), fits.NewFloatCard("BMIN", 0.0008, ""),
		fits.NewFloatCard("BPA", 30, ""), fits.NewFloatCard("EQUINOX", 2000, ""), fits.NewStringCard("RADESYS", "FK5", ""),
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewFloatCard("CRVAL1", 83.8, ""), fits.NewFloatCard("CDELT1", -1e-4, ""),
		fits.NewFloatCard("CRPIX1", 513, ""), fits.NewStringCard("CUNIT1", "deg", ""),
		fits.NewStringCard("CTYPE2", "DEC--SIN", ""), fits.NewFloatCard("CRVAL2", -5.4, ""), fits.NewFloatCard("CDELT2", 1e-4, ""),
		fits.NewFloatCard("CRPIX2", 513, ""), fits.NewStringCard("CUNIT2", "deg", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewFloatCard("CRVAL3", 1.42e9, ""), fits.NewFloatCard("CDELT3", 1e5, ""),
		fits.NewFloatCard("CRPIX3", 1, ""), fits.NewStringCard("CUNIT3", "Hz", ""), fits.NewFloatCard("RESTFRQ", 1.4204e9, ""),
		fits.NewStringCard("SPECSYS", "LSRK", "")}}
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
				if y >= 100 && y < 100+c%16 {
					plane[y*w+x] = nan
				}
			}
		}
		if err := e.WriteData(plane); err != nil {
			return err
		}
	}
	if err := e.Close(); err != nil {
		return err
	}
	return f.Close()
}
