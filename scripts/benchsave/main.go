// Command benchsave measures SAVE_FILE of a channel range against cp:
// it writes a 1024×1024×200 float32 cube (800 MiB), starts `cartago
// serve` on loopback, opens the cube and saves channels [from, to] as
// FITS -reps times, each into a new file, timing request to ACK, then
// copies a file of the saved file's size with cp -reps times. It prints
// the median MB/s of both, their ratio, and the server's peak RSS and
// RssAnon while saving (RssFile is the page cache of the mapped cube).
//
//	go run ./scripts/benchsave -bin /tmp/cartago [-dir DIR] [-from 50 -to 149]
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/scripts/benchclient"
	"cartago/scripts/procstat"
)

const w, h, depth = 1024, 1024, 200

func main() {
	bin := flag.String("bin", "", "cartago binary to run (required)")
	dir := flag.String("dir", "", "folder for the cube and the saved files (default: a new temporary one)")
	from := flag.Int("from", 50, "first channel saved")
	to := flag.Int("to", 149, "last channel saved")
	reps := flag.Int("reps", 5, "timed saves and copies")
	scaled := flag.Bool("int16", false, "store the cube as scaled 16-bit integers, which a save decodes and writes as float32 (the banded path)")
	flag.Parse()
	if *bin == "" {
		log.Fatal("-bin is required")
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "benchsave")
		benchclient.Check(err)
		defer os.RemoveAll(d)
		*dir = d
	}
	name := "cube1024x200.fits"
	if *scaled {
		name = "cube1024x200-int16.fits"
	}
	cube := filepath.Join(*dir, name)
	if _, err := os.Stat(cube); err != nil {
		benchclient.Check(writeCube(cube, *scaled))
	}
	cmd, url, err := procstat.StartServe(*bin, "serve", "--host", "127.0.0.1", "--port", "0", "--no-auth", "--no-frontend",
		"--root", *dir, "--db", filepath.Join(*dir, "bench.db"))
	benchclient.Check(err)
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid

	c := benchclient.Dial(url)
	c.OpenImage(name)
	base, err := procstat.ReadMem(pid)
	benchclient.Check(err)

	saved := filepath.Join(*dir, "saved.fits")
	sampler := procstat.StartPeak(pid)
	var saveTimes []time.Duration
	for range *reps + 1 { // the first run warms the page cache of the cube
		// Into a new file, as cp below: replacing the last one would add
		// freeing its blocks to the save's time.
		os.Remove(saved)
		start := time.Now()
		c.MustSend(icd.EventType_SAVE_FILE, &icd.SaveFile{FileId: 0, OutputFileName: "saved.fits", OutputFileType: icd.FileType_FITS,
			Channels: []int32{int32(*from), int32(*to), 1}, Overwrite: true})
		var sack icd.SaveFileAck
		c.Await(icd.EventType_SAVE_FILE_ACK, &sack, nil)
		if !sack.Success {
			log.Fatalf("save: %s", sack.Message)
		}
		saveTimes = append(saveTimes, time.Since(start))
	}
	peak, err := sampler.Stop()
	benchclient.Check(err)
	fi, err := os.Stat(saved)
	benchclient.Check(err)

	copyTo := filepath.Join(*dir, "copy.fits")
	var cpTimes []time.Duration
	for range *reps + 1 {
		os.Remove(copyTo) // cp into a new file, as the save does
		start := time.Now()
		benchclient.Check(exec.Command("cp", saved, copyTo).Run())
		cpTimes = append(cpTimes, time.Since(start))
	}
	mb := float64(fi.Size()) / 1e6
	save, cp := benchclient.Median(saveTimes[1:]), benchclient.Median(cpTimes[1:])
	fmt.Printf("saved channels %d..%d of %s (%d×%d×%d) as float32: %.0f MB, %d runs\n", *from, *to, name, w, h, depth, mb, *reps)
	fmt.Printf("%-6s %10s %10s\n", "", "median", "MB/s")
	fmt.Printf("%-6s %10s %10.0f\n", "save", save.Round(time.Millisecond), mb/save.Seconds())
	fmt.Printf("%-6s %10s %10.0f\n", "cp", cp.Round(time.Millisecond), mb/cp.Seconds())
	fmt.Printf("save/cp throughput ratio: %.2f\n", cp.Seconds()/save.Seconds())
	fmt.Printf("server RssAnon before saving %s; while saving peak RSS %s, peak RssAnon %s\n",
		procstat.MiB(base.Anon), procstat.MiB(peak.RSS), procstat.MiB(peak.Anon))
}

// writeCube writes the cube a plane at a time: float32, or int16 with
// BSCALE 0.1 when scaled.
func writeCube(path string, scaled bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	e := fits.NewEncoder(f)
	hdu := fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, depth}, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewFloatCard("CRVAL3", 1e9, ""), fits.NewFloatCard("CDELT3", 1e6, ""),
		fits.NewFloatCard("CRPIX3", 1, "")}}
	if scaled {
		hdu.Bitpix, hdu.BScale = 16, 0.1
	}
	if err := e.WriteHeader(hdu); err != nil {
		return err
	}
	plane := make([]float32, w*h)
	raw := make([]int16, w*h)
	for c := range depth {
		for i := range raw {
			raw[i] = int16((i*7 + c*13) % 1000)
			plane[i] = float32(raw[i]) / 10
		}
		var data any = plane
		if scaled {
			data = raw
		}
		if err := e.WriteData(data); err != nil {
			return err
		}
	}
	return e.Close()
}
