//go:build unix

package ws

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/bench"
)

// BenchmarkContention measures one interactive session while ctBulk other
// sessions keep the server's cores busy with bulk work (issue 9, defect
// 7): each bulk session computes the cube histogram of a ctSide²×ctDepth
// cube and the spectral profile of a ctRegion² region through it, both
// at once. Until all of them are done, the interactive session on the
// same cube moves the cursor (SET_CURSOR → SPATIAL_PROFILE_DATA) and
// asks for the tiles of a fitted view (ADD_REQUIRED_TILES → end
// RASTER_TILE_SYNC) with every ctTilesEvery-th move, one request at a
// time, ctThink apart. The time the bulk work took tells what the
// latency costs.
// It reports p50/p95 of both, the time the bulk work took, the cores the
// process used, its peak RSS during the run and its RSS once the server
// is shut down and memory returned to the OS (VmRSS counts the pages of
// every session's mapping of the cube; the anonymous part is sampled
// during the run).
//
// Run with -benchtime=1x: one iteration takes a minute or more. The cube
// (800 MiB) is written once to os.TempDir()/cartago-bench-contention and
// reused.
func BenchmarkContention(b *testing.B) {
	dir := ctCubeDir(b)
	for b.Loop() {
		ctRun(b, dir)
	}
}

const (
	ctBulk   = 10              // sessions running bulk work
	ctSide   = 1024            // cube width and height
	ctDepth  = 200             // cube channels
	ctRegion = 400             // side of the bulk sessions' region
	ctMax    = 5 * time.Minute // bound on the bulk work
	// The interactive session sends a cursor move ctThink after the last
	// answer, and asks for tiles with every ctTilesEvery-th move: about
	// what a user dragging the cursor and panning does.
	ctThink      = 50 * time.Millisecond
	ctTilesEvery = 5
	ctCube       = "contention-cube.fits"
)

func ctCubeDir(b *testing.B) string {
	dir := filepath.Join(os.TempDir(), "cartago-bench-contention")
	path := filepath.Join(dir, ctCube)
	if st, err := os.Stat(path); err == nil && st.Size() >= int64(ctSide*ctSide*ctDepth*4) {
		return dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	sbWriteCube(b, path+".tmp", ctSide, ctDepth)
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return dir
}

func ctRun(b *testing.B, dir string) {
	runtime.GC()
	debug.FreeOSMemory()
	// Reset the peak RSS (VmHWM) to the current RSS.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("peak RSS not reset: %v", err)
	}
	srv := sbStart(b, dir, "")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var peakAnon int64 // RssAnon sampled every 50 ms: VmHWM also counts the mapped cube
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			peakAnon = max(peakAnon, ctProcKB("RssAnon"))
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	})
	begin, cpu := time.Now(), sbCPU()
	finished := make(chan struct{}, ctBulk)
	for i := range ctBulk {
		wg.Go(func() { ctBulkSession(b, srv.addr, i, finished, stop) })
	}

	cl := sbDial(b, srv.addr)
	cl.register(0)
	cl.openFile(ctCube, 0)
	ctReadUntil(cl, icd.EventType_REGION_HISTOGRAM_DATA, nil)
	ids := bench.Encode(bench.FitView(ctSide, ctSide, 1600, 1000).Tiles(ctSide, ctSide))
	var cursor, tiles []time.Duration
	var bulk time.Duration // until every bulk session finished
	for i, left := 0, ctBulk; left > 0 && time.Since(begin) < ctMax; i++ {
		start := time.Now()
		x, y := (i*37)%ctSide, (i*91)%ctSide
		cl.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: float32(x), Y: float32(y)}})
		ctReadUntil(cl, icd.EventType_SPATIAL_PROFILE_DATA, nil)
		cursor = append(cursor, time.Since(start))
		if i%ctTilesEvery == 0 {
			start = time.Now()
			cl.send(icd.EventType_ADD_REQUIRED_TILES, tileRequest(0, ids))
			ctReadTiles(cl)
			tiles = append(tiles, time.Since(start))
		}
		for drained := false; !drained; {
			select {
			case <-finished:
				left--
			default:
				drained = true
			}
		}
		if left == 0 {
			bulk = time.Since(begin)
		}
		time.Sleep(ctThink) // a user, not a load generator
	}
	if bulk == 0 {
		b.Errorf("bulk work not finished after %v", ctMax)
	}
	elapsed := time.Since(begin).Seconds()
	cores := (sbCPU() - cpu).Seconds() / elapsed
	close(stop)
	wg.Wait()
	cl.close()
	peak := ctProcKB("VmHWM")
	srv.stop()
	runtime.GC()
	debug.FreeOSMemory()
	after, anon := ctProcKB("VmRSS"), ctProcKB("RssAnon")

	ms := func(d time.Duration) float64 { return sbMs(d) }
	b.ReportMetric(ms(sbQuantile(cursor, 0.5)), "cursor-p50-ms")
	b.ReportMetric(ms(sbQuantile(cursor, 0.95)), "cursor-p95-ms")
	b.ReportMetric(ms(sbQuantile(tiles, 0.5)), "tiles-p50-ms")
	b.ReportMetric(ms(sbQuantile(tiles, 0.95)), "tiles-p95-ms")
	b.ReportMetric(bulk.Seconds(), "bulk-s")
	b.ReportMetric(cores, "cores-used")
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
	b.ReportMetric(float64(peakAnon)/1024, "peak-anon-MB")
	b.ReportMetric(float64(after)/1024, "after-RSS-MB")
	b.ReportMetric(float64(anon)/1024, "after-anon-MB")
	b.Logf("%d bulk sessions, %d tiles per view, GOMAXPROCS %d: bulk work done in %.1f s; cursor p50 %.1f p95 %.1f ms (%d); tiles p50 %.1f p95 %.1f ms (%d); %.2f cores used; peak RSS %d MB (anon %d MB), after %d MB (anon %d MB)",
		ctBulk, len(ids), runtime.GOMAXPROCS(0), bulk.Seconds(), ms(sbQuantile(cursor, 0.5)), ms(sbQuantile(cursor, 0.95)), len(cursor),
		ms(sbQuantile(tiles, 0.5)), ms(sbQuantile(tiles, 0.95)), len(tiles), cores, peak/1024, peakAnon/1024, after/1024, anon/1024)
}

// ctReadUntil reads messages up to one of type want, decoded into m
// unless nil; others (late data of earlier requests) are skipped.
func ctReadUntil(cl *sbClient, want icd.EventType, m proto.Message) {
	for {
		h, p := cl.read()
		if h.Type == want {
			if m != nil {
				cl.decode(p, m)
			}
			return
		}
	}
}

// ctReadTiles reads one tile group up to its end sync.
func ctReadTiles(cl *sbClient) {
	for {
		var sync icd.RasterTileSync
		ctReadUntil(cl, icd.EventType_RASTER_TILE_SYNC, &sync)
		if sync.EndSync {
			return
		}
	}
}

// ctBulkSession computes one cube histogram and one region spectrum in
// its own session, signals finished once both are complete and waits
// for stop. Errors are reported with b.Error (not on b's goroutine, so
// no Fatal).
func ctBulkSession(b *testing.B, addr string, n int, finished chan<- struct{}, stop <-chan struct{}) {
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/?token="+testToken, nil)
	if err != nil {
		b.Error(err)
		return
	}
	defer c.Close()
	var req uint32
	send := func(et icd.EventType, m proto.Message) {
		req++
		frame := icd.AppendHeader(nil, icd.Header{Type: et, Version: icd.Version, RequestID: req})
		frame, _ = proto.MarshalOptions{}.MarshalAppend(frame, m)
		if err := c.WriteMessage(websocket.BinaryMessage, frame); err != nil {
			b.Error(err)
		}
	}
	x := float32(ctSide/2 + n) // each session its own region
	send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{ClientFeatureFlags: 5})
	send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: ctCube, FileId: 0})
	send(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 0, RegionId: 1, RegionInfo: &icd.RegionInfo{
		RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: x, Y: ctSide / 2}, {X: ctRegion, Y: ctRegion}}}})
	send(icd.EventType_SET_SPECTRAL_REQUIREMENTS, &icd.SetSpectralRequirements{FileId: 0, RegionId: 1,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Mean}}}})
	send(icd.EventType_SET_HISTOGRAM_REQUIREMENTS, &icd.SetHistogramRequirements{FileId: 0, RegionId: -2,
		Histograms: []*icd.HistogramConfig{{Channel: -2, FixedNumBins: true, NumBins: 100 + int32(n)}}})
	go func() { // unblocks the read below
		<-stop
		c.Close()
	}()
	cube, spectrum := false, false
	for !cube || !spectrum {
		_, data, err := c.ReadMessage()
		if err != nil {
			b.Error(err)
			return
		}
		h, p, err := icd.DecodeFrame(data)
		if err != nil {
			b.Error(err)
			return
		}
		switch h.Type {
		case icd.EventType_ERROR_DATA:
			var e icd.ErrorData
			proto.Unmarshal(p, &e)
			b.Errorf("bulk session %d: %s", n, e.Message)
		case icd.EventType_REGION_HISTOGRAM_DATA:
			var hd icd.RegionHistogramData
			proto.Unmarshal(p, &hd)
			cube = cube || (hd.RegionId == -2 && hd.Progress >= 1)
		case icd.EventType_SPECTRAL_PROFILE_DATA:
			var sp icd.SpectralProfileData
			proto.Unmarshal(p, &sp)
			spectrum = spectrum || (sp.RegionId == 1 && sp.Progress >= 1)
		}
	}
	finished <- struct{}{}
	<-stop
}

// ctProcKB returns a "kB" field of /proc/self/status.
func ctProcKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
