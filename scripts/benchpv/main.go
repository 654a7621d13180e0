// Command benchpv measures a PV image against numpy: it writes a
// 1024×1024×200 float32 cube (800 MiB) with our FITS writer, starts
// `cartago serve` on loopback, draws a 1,000-pixel diagonal line and
// asks for its PV image, width 3, through all 200 channels, -reps
// times over a websocket with permessage-deflate (request to response).
// It saves the last result as FITS, closes the session, and runs
// pv_numpy.py, which samples the same boxes (their pixels, from
// region.LineBoxes, written to a file) with numpy on the memory-mapped
// cube. It prints both median times, their ratio, the server's peak RSS
// while computing and its RSS after the session ended, and the largest
// difference between the two results; it exits 1 if they disagree.
//
//	go run ./scripts/benchpv -bin /tmp/cartago -script scripts/benchpv/pv_numpy.py [-dir DIR]
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/region"
	"cartago/scripts/benchclient"
	"cartago/scripts/procstat"
)

const w, h, depth = 1024, 1024, 200

// The line: 1,000 pixels on the diagonal.
var line = [2]region.Point{{X: 10, Y: 10}, {X: 10 + 1000/math.Sqrt2, Y: 10 + 1000/math.Sqrt2}}

const width = 3

func main() {
	bin := flag.String("bin", "", "cartago binary to run (required)")
	script := flag.String("script", "", "pv_numpy.py (required)")
	python := flag.String("python", "/usr/bin/python3", "python with numpy and astropy")
	dir := flag.String("dir", "", "folder for the cube (default: a new temporary one)")
	reps := flag.Int("reps", 5, "timed runs of each")
	flag.Parse()
	if *bin == "" || *script == "" {
		log.Fatal("-bin and -script are required")
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "benchpv")
		benchclient.Check(err)
		defer os.RemoveAll(d)
		*dir = d
	}
	name := "pvcube1024x200.fits"
	cube := filepath.Join(*dir, name)
	if _, err := os.Stat(cube); err != nil {
		benchclient.Check(writeCube(cube))
	}
	boxes := filepath.Join(*dir, "boxes.bin")
	benchclient.Check(writeBoxes(boxes))

	cmd, url, err := procstat.StartServe(*bin, "serve", "--host", "127.0.0.1", "--port", "0", "--no-auth", "--no-frontend",
		"--root", *dir, "--db", filepath.Join(*dir, "bench.db"))
	benchclient.Check(err)
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	ours, times, peak := serverPV(url, pid, name, *reps)
	after, err := procstat.Settle(pid, 20*time.Second)
	benchclient.Check(err)

	out, err := exec.Command(*python, *script, cube, boxes, filepath.Join(*dir, ours), strconv.Itoa(*reps)).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		log.Fatalf("%s: %v\n%s", *script, err, ee.Stderr)
	}
	benchclient.Check(err)
	res := parse(string(out))
	mine := benchclient.Median(times[1:]).Seconds()
	fmt.Printf("PV of a %.0f-pixel line, width %d, channels 0..%d of %s (%d×%d×%d float32), %d runs after one warm-up\n",
		math.Hypot(line[1].X-line[0].X, line[1].Y-line[0].Y), width, depth-1, name, w, h, depth, *reps)
	fmt.Printf("cartago (websocket, request to PV_RESPONSE) median %.1f ms\n", 1e3*mine)
	fmt.Printf("numpy   (memmap, fancy indexing, reduceat)  median %.1f ms\n", 1e3*res["numpy_s"])
	fmt.Printf("time ratio cartago/numpy: %.2f (target <= 0.33); numpy/cartago: %.1fx\n", mine/res["numpy_s"], res["numpy_s"]/mine)
	fmt.Printf("server peak while computing: RSS %s, RssAnon %s; after the session ended: RSS %s, RssAnon %s\n",
		procstat.MiB(peak.RSS), procstat.MiB(peak.Anon), procstat.MiB(after.RSS), procstat.MiB(after.Anon))
	fmt.Printf("results: max abs diff %g (max |value| %g), NaN mismatches %.0f\n", res["max_abs_diff"], res["max_abs"], res["nan_mismatch"])
	if res["nan_mismatch"] != 0 || !(res["max_abs_diff"] <= 1e-6*math.Max(1, res["max_abs"])) {
		fmt.Println("FAIL: the PV images disagree")
		os.Exit(1)
	}
}

// serverPV times the PV requests, saves the last image and returns its
// file name, the times and the peak memory while computing.
func serverPV(url string, pid int, name string, reps int) (string, []time.Duration, procstat.Mem) {
	c := benchclient.Dial(url)
	defer c.Close()
	c.OpenImage(name)
	c.MustSend(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 0, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_LINE,
		ControlPoints: []*icd.Point{{X: float32(line[0].X), Y: float32(line[0].Y)}, {X: float32(line[1].X), Y: float32(line[1].Y)}}}})
	var rack icd.SetRegionAck
	c.Await(icd.EventType_SET_REGION_ACK, &rack, nil)
	sampler := procstat.StartPeak(pid)
	var times []time.Duration
	var pv *icd.OpenFileAck
	for range reps + 1 { // the first run warms the page cache of the cube
		start := time.Now()
		c.MustSend(icd.EventType_PV_REQUEST, &icd.PvRequest{FileId: 0, RegionId: rack.RegionId, Width: width,
			SpectralRange: &icd.IntBounds{Min: 0, Max: depth - 1}})
		var resp icd.PvResponse
		c.Await(icd.EventType_PV_RESPONSE, &resp, nil)
		if !resp.Success {
			log.Fatalf("PV: %s", resp.Message)
		}
		times = append(times, time.Since(start))
		pv = resp.OpenFileAck
	}
	peak, err := sampler.Stop()
	benchclient.Check(err)
	saved := "pv-ours.fits"
	c.MustSend(icd.EventType_SAVE_FILE, &icd.SaveFile{FileId: pv.FileId, OutputFileName: saved, OutputFileType: icd.FileType_FITS, Overwrite: true})
	var sack icd.SaveFileAck
	c.Await(icd.EventType_SAVE_FILE_ACK, &sack, nil)
	if !sack.Success {
		log.Fatalf("save: %s", sack.Message)
	}
	return saved, times, peak
}

// writeBoxes writes the pixels of each box of the line, in the order
// the server sums them (rows up, columns right): int64 box count,
// int64 offsets (count+1), then int32 ys and int32 xs.
func writeBoxes(path string) error {
	boxes, err := region.LineBoxes(region.Desc{Kind: region.KindLine, Points: line[:]}, width)
	if err != nil {
		return err
	}
	offs := []int64{0}
	var ys, xs []int32
	for _, b := range boxes {
		m, err := b.Mask(w, h)
		if err != nil {
			return err
		}
		r := m.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for _, s := range m.Row(y) {
				for x := s.X0; x < s.X1; x++ {
					ys, xs = append(ys, int32(y)), append(xs, x)
				}
			}
		}
		offs = append(offs, int64(len(ys)))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, v := range []any{int64(len(boxes)), offs, ys, xs} {
		if err := binary.Write(f, binary.LittleEndian, v); err != nil {
			return err
		}
	}
	return f.Close()
}

// writeCube writes a smooth cube with a blank corner, a plane at a time.
func writeCube(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	e := fits.NewEncoder(f)
	hdu := fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, depth}, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewFloatCard("CDELT1", -1.0/3600, ""), fits.NewFloatCard("CDELT2", 1.0/3600, ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewFloatCard("CRVAL3", 1e9, ""), fits.NewFloatCard("CDELT3", 1e6, ""),
		fits.NewFloatCard("CRPIX3", 1, ""), fits.NewStringCard("BUNIT", "Jy/beam", "")}}
	if err := e.WriteHeader(hdu); err != nil {
		return err
	}
	plane := make([]float32, w*h)
	for c := range depth {
		for y := range h {
			for x := range w {
				v := float32(math.Sin(float64(x)*0.01+float64(c)*0.05) * math.Cos(float64(y)*0.013-float64(c)*0.02))
				if x < 40 && y < 40 && c%3 == 0 {
					v = float32(math.NaN())
				}
				plane[y*w+x] = v
			}
		}
		if err := e.WriteData(plane); err != nil {
			return err
		}
	}
	return e.Close()
}

// parse reads key=value words.
func parse(out string) map[string]float64 {
	res := map[string]float64{}
	for _, kv := range strings.Fields(out) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		benchclient.Check(err)
		res[k] = f
	}
	for _, k := range []string{"numpy_s", "max_abs_diff", "max_abs", "nan_mismatch"} {
		if _, ok := res[k]; !ok {
			log.Fatalf("pv_numpy.py printed no %s: %q", k, out)
		}
	}
	return res
}
