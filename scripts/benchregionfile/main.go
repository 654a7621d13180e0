// Command benchregionfile measures region file import on the real
// server: a CRTF or DS9 file of -n regions in world coordinates (boxes,
// rotated boxes, ellipses, circles and polygons of 4 to 40 pixels on a
// 2048² TAN image) is imported with IMPORT_REGION; it reports the time
// from the request to IMPORT_REGION_ACK, then asks statistics of every
// imported region (SET_STATS_REQUIREMENTS, as the frontend's statistics
// widget does for one region) and reports the time to the last
// REGION_STATS_DATA (at most 200 requests outstanding), with the
// server's peak RSS over the run.
// scripts/bench-regionfile.sh builds and runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/region"
	"cartago/imaging/regionfile"
	"cartago/imaging/wcs"
	"cartago/scripts/procstat"
	"cartago/ws/wstest"
)

const side = 2048

var timeout *time.Duration

func main() {
	bin := flag.String("bin", "", "cartago binary to run (required)")
	n := flag.Int("n", 10000, "regions in the file")
	reps := flag.Int("reps", 3, "imports per format, each in a new session")
	timeout = flag.Duration("timeout", 10*time.Minute, "longest wait for one import and its statistics")
	flag.Parse()
	if *bin == "" {
		log.Fatal("-bin is required")
	}
	dir, err := os.MkdirTemp("", "benchregionfile")
	check(err)
	defer os.RemoveAll(dir)
	img := writeImage(filepath.Join(dir, "sky.fits"))
	regions := randomRegions(*n)
	for _, f := range []regionfile.Format{regionfile.CRTF, regionfile.DS9} {
		w, err := regionfile.Write(f, regions, img, true)
		check(err)
		if len(w.Problems) > 0 {
			log.Fatalf("writing %v: %v", f, w.Problems)
		}
		check(os.WriteFile(filepath.Join(dir, "regions."+ext(f)), []byte(strings.Join(w.Lines, "\n")+"\n"), 0o644))
	}

	cmd, url, err := procstat.StartServe(*bin, "serve", "--host", "127.0.0.1", "--port", "0", "--no-auth", "--no-frontend",
		"--root", dir, "--db", filepath.Join(dir, "s.db"))
	check(err)
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(time.Second) // start-up garbage settles
	base, err := procstat.ReadMem(cmd.Process.Pid)
	check(err)
	peak := procstat.StartPeak(cmd.Process.Pid)

	fmt.Printf("%-6s %8s %12s %14s %18s %8s\n", "format", "regions", "to_ack_ms", "to_stats_ms", "stats_after_ack_ms", "reasked")
	for _, f := range []regionfile.Format{regionfile.CRTF, regionfile.DS9} {
		for range *reps {
			ack, stats, got, again := importOnce(url, f)
			fmt.Printf("%-6s %8d %12.1f %14.1f %18.1f %8d\n", f, got, ms(ack), ms(stats), ms(stats-ack), again)
		}
	}
	p, err := peak.Stop()
	check(err)
	fmt.Printf("server RSS: %s at start, peak %s (anonymous peak %s)\n", procstat.MiB(base.RSS), procstat.MiB(p.RSS), procstat.MiB(p.Anon))
}

func ext(f regionfile.Format) string {
	if f == regionfile.CRTF {
		return "crtf"
	}
	return "reg"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// importOnce opens the image in a new session, imports the file and
// asks the statistics of every region.
func importOnce(url string, f regionfile.Format) (toAck, toStats time.Duration, n, reasked int) {
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c, _, err := wstest.Dial(ctx, url, wstest.Options{})
	check(err)
	defer c.Close()
	_, err = c.Register(ctx, 0)
	check(err)
	check(c.Send(icd.EventType_OPEN_FILE, c.NextID(), &icd.OpenFile{Directory: ".", File: "sky.fits", FileId: 0}))
	var open icd.OpenFileAck
	_, err = c.Expect(ctx, icd.EventType_OPEN_FILE_ACK, &open)
	check(err)
	types := map[regionfile.Format]icd.FileType{regionfile.CRTF: icd.FileType_CRTF, regionfile.DS9: icd.FileType_DS9_REG}
	start := time.Now()
	check(c.Send(icd.EventType_IMPORT_REGION, c.NextID(), &icd.ImportRegion{GroupId: 0, Type: types[f], Directory: ".", File: "regions." + ext(f)}))
	m, _, err := c.Await(ctx, icd.EventType_IMPORT_REGION_ACK, nil)
	check(err)
	var ack icd.ImportRegionAck
	check(m.Decode(&ack))
	toAck = time.Since(start)
	if !ack.Success {
		log.Fatalf("import: %s", ack.Message)
	}
	// At most window requests outstanding: a connection's outgoing queue
	// holds 256 messages (ws.Config.QueueLength) and drops statistics
	// whose job has ended when it is full, and a frame's worker queue
	// holds 1024 jobs (session.maxQueuedJobs); the frontend itself asks
	// only for the regions its statistics widgets show.
	const window = 200
	ids := make([]int32, 0, len(ack.Regions))
	for id := range ack.Regions {
		ids = append(ids, id)
	}
	sent := 0
	askID := func(id int32) {
		check(c.Send(icd.EventType_SET_STATS_REQUIREMENTS, c.NextID(), &icd.SetStatsRequirements{FileId: 0, RegionId: id,
			StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_NumPixels, icd.StatsType_Sum, icd.StatsType_Mean}}}}))
	}
	ask := func() {
		askID(ids[sent])
		sent++
	}
	for sent < min(window, len(ids)) {
		ask()
	}
	// One goroutine reads (a read that times out breaks a websocket);
	// it ends with the connection, closed by the deferred c.Close.
	got := make(chan int32, window)
	go func() {
		defer close(got)
		for {
			m, err := c.Next(ctx)
			if err != nil {
				return
			}
			var st icd.RegionStatsData
			if m.Is(icd.EventType_REGION_STATS_DATA) && m.Decode(&st) == nil {
				got <- st.RegionId
			} else {
				log.Printf("unexpected %v", m)
			}
		}
	}()
	seen := map[int32]bool{}
	for len(seen) < len(ids) {
		select {
		case id, ok := <-got:
			if !ok {
				log.Fatalf("%d of %d regions' statistics, %d asked: connection ended", len(seen), len(ids), sent)
			}
			if !seen[id] {
				seen[id] = true
				if sent < len(ids) {
					ask()
				}
			}
		case <-time.After(time.Second):
			// The outgoing queue drops statistics whose job has ended
			// when a slow reader lets it fill (ws/outbox.go); ask again
			// for those after a second of silence, as a frontend
			// re-sends requirements.
			if sent < len(ids) {
				continue
			}
			for _, id := range ids {
				if !seen[id] {
					reasked++
					if os.Getenv("BENCH_DEBUG") != "" {
						log.Printf("re-asking %d: %v", id, ack.Regions[id])
					}
					askID(id)
				}
			}
		}
	}
	return toAck, time.Since(start), len(ack.Regions), reasked
}

// writeImage writes a 2048² float32 image of 0.5″ pixels (TAN, ICRS)
// and returns its sky mapping.
func writeImage(path string) regionfile.Image {
	data := make([]float32, side*side)
	for i := range data {
		data[i] = float32(i%997) / 10
	}
	file, err := os.Create(path)
	check(err)
	check(fits.Write(file, fits.WriteHDU{Bitpix: -32, Naxis: []int{side, side}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---TAN", ""), fits.NewStringCard("CTYPE2", "DEC--TAN", ""),
		fits.NewFloatCard("CRVAL1", 202.4696, ""), fits.NewFloatCard("CRVAL2", 47.1952, ""),
		fits.NewFloatCard("CRPIX1", side/2+1, ""), fits.NewFloatCard("CRPIX2", side/2+1, ""),
		fits.NewFloatCard("CDELT1", -0.5/3600, ""), fits.NewFloatCard("CDELT2", 0.5/3600, ""),
		fits.NewStringCard("CUNIT1", "deg", ""), fits.NewStringCard("CUNIT2", "deg", ""),
		fits.NewStringCard("RADESYS", "ICRS", ""),
	}}))
	check(file.Close())
	f, err := fits.Open(path)
	check(err)
	defer f.Close()
	h, err := f.HDU("0")
	check(err)
	cel, err := wcs.FromHeader(h.Header)
	check(err)
	return regionfile.Image{Sky: cel, Frame: regionfile.FrameICRS}
}

// randomRegions are n closed regions of 4 to 40 pixels, from a fixed
// seed.
func randomRegions(n int) []regionfile.Region {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]regionfile.Region, n)
	for i := range out {
		c := region.Point{X: 50 + rng.Float64()*(side-100), Y: 50 + rng.Float64()*(side-100)}
		size := region.Point{X: 4 + rng.Float64()*36, Y: 4 + rng.Float64()*36}
		r := regionfile.Region{Points: []region.Point{c, size}, Style: regionfile.Style{Color: "#2EE6D6", LineWidth: 1}}
		switch i % 5 {
		case 0:
			r.Kind = region.KindRectangle
		case 1:
			r.Kind, r.Rotation = region.KindRectangle, rng.Float64()*180
		case 2:
			r.Kind, r.Rotation = region.KindEllipse, rng.Float64()*180
		case 3:
			r.Kind, r.Points[1].Y = region.KindEllipse, size.X
		case 4:
			r.Kind = region.KindPolygon
			r.Points = []region.Point{c, {X: c.X + size.X, Y: c.Y}, {X: c.X + size.X/2, Y: c.Y + size.Y}}
		}
		out[i] = r
	}
	return out
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
