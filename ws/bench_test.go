package ws

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/bench"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
	"cartago/imaging/zfp"
	"cartago/session"
	"cartago/ws/wstest"
)

// End-to-end benchmarks over a real websocket on loopback, on the sample
// data set (imaging/bench.SampleDir: generated once, then cached). Each
// reports, besides ns/op, the median over its iterations of the
// latencies a user sees, in ms (perf.md section (e) #5 and #6, table (f)).
// The server has no session store, as in the other ws tests: what
// checkpoints cost is perf.md (e) #7's business. The client reads tile
// payloads without decoding them. scripts/bench-imaging.sh runs these
// and puts them in its table.

// Views of the 4096² image the frontend would request: zoom to fit in a
// 1600×1000 canvas (16 tiles at mip 4), and full resolution in
// 1600×1000 (32 tiles) and 1920×1080 (48 tiles) canvases.
var benchViews = []struct {
	name string
	view func(w, h int) bench.View
}{
	{"fit-1600x1000", func(w, h int) bench.View { return bench.FitView(w, h, 1600, 1000) }},
	{"full-res-1600x1000", func(w, h int) bench.View { return bench.FullResView(w, h, 1600, 1000) }},
	{"full-res-1920x1080", func(w, h int) bench.View { return bench.FullResView(w, h, 1920, 1080) }},
}

const benchImageSide = 4096

// BenchmarkOpenToLastTile is the first view of the 4096² image: per
// iteration OPEN_FILE, and on its ACK (as the frontend does)
// ADD_REQUIRED_TILES for the view, until the end RASTER_TILE_SYNC; then,
// untimed, CLOSE_FILE. Metrics: ms from sending OPEN_FILE to the ACK, to
// the image histogram, to the first tile and to the end sync.
func BenchmarkOpenToLastTile(b *testing.B) {
	cl := benchClient(b)
	for _, v := range benchViews[:2] {
		ids := bench.Encode(v.view(benchImageSide, benchImageSide).Tiles(benchImageSide, benchImageSide))
		b.Run(v.name, func(b *testing.B) {
			var ack, hist, first, last []time.Duration
			for b.Loop() {
				start := time.Now()
				cl.openFile(bench.Image, 0)
				ack = append(ack, time.Since(start))
				cl.send(icd.EventType_ADD_REQUIRED_TILES, tileRequest(0, ids))
				g := cl.readTiles(len(ids), true)
				hist = append(hist, g.histogram.Sub(start))
				first = append(first, g.first.Sub(start))
				last = append(last, g.end.Sub(start))

				b.StopTimer()
				cl.closeFile(bench.Image, 0)
				b.StartTimer()
			}
			reportMedian(b, ack, "ms-to-ack")
			reportMedian(b, hist, "ms-to-histogram")
			reportMedian(b, first, "ms-to-first-tile")
			reportMedian(b, last, "ms-to-last-tile")
			b.ReportMetric(float64(len(ids)), "tiles")
		})
	}
}

// BenchmarkViewportTiles is one view of the open 4096² image, its plane
// already read: ADD_REQUIRED_TILES to the end RASTER_TILE_SYNC (perf.md
// (e) #5). Compare with BenchmarkViewportTilesInProcess.
func BenchmarkViewportTiles(b *testing.B) {
	benchViewport(b, benchClient(b))
}

// BenchmarkViewportTilesDeflate is BenchmarkViewportTiles with
// permessage-deflate negotiated, as every browser does (perf.md (g)):
// what the per-message compression rule (compress.go) is for.
func BenchmarkViewportTilesDeflate(b *testing.B) {
	benchViewport(b, benchClientDial(b, sampleDir(b), deflateDialer))
}

// deflateDialer offers permessage-deflate, as browsers do.
var deflateDialer = &websocket.Dialer{EnableCompression: true}

func benchViewport(b *testing.B, cl *wsBench) {
	cl.openFile(bench.Image, 0)
	cl.readUntil(icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	for _, v := range benchViews {
		ts := v.view(benchImageSide, benchImageSide).Tiles(benchImageSide, benchImageSide)
		ids := bench.Encode(ts)
		b.Run(v.name, func(b *testing.B) {
			cl.send(icd.EventType_ADD_REQUIRED_TILES, tileRequest(0, ids))
			cl.checkTiles(ts) // warm-up, and the tiles are the right ones
			var first, last []time.Duration
			var sent int
			wire, cpu := cl.wire.Load(), processCPU()
			for b.Loop() {
				start := time.Now()
				cl.send(icd.EventType_ADD_REQUIRED_TILES, tileRequest(0, ids))
				g := cl.readTiles(len(ids), false)
				first = append(first, g.first.Sub(start))
				last = append(last, g.end.Sub(start))
				sent = g.bytes
			}
			views := float64(b.N)
			reportMedian(b, first, "ms-to-first-tile")
			reportMedian(b, last, "ms-to-last-tile")
			b.ReportMetric(float64(len(ids)), "tiles")
			b.ReportMetric(float64(sent)/1e6, "MB/view")
			b.ReportMetric(float64(cl.wire.Load()-wire)/1e6/views, "wire-MB/view")
			// Server and client together, both in this process: less
			// sensitive to other load on the machine than wall time.
			b.ReportMetric(float64(processCPU()-cpu)/float64(time.Millisecond)/views, "cpu-ms/view")
		})
	}
}

// BenchmarkViewportTilesInProcess cuts and encodes the same tiles as
// BenchmarkViewportTiles from the same plane, the way the session does
// (GOMAXPROCS goroutines; tiles.Render, NaN runs and ZFP at the
// frontend's precision 11, as session's zfpEncoder), with no socket and
// no protobuf: the floor the websocket path is measured against
// (perf.md (e) #5 wants a ratio ≤ 1.10).
func BenchmarkViewportTilesInProcess(b *testing.B) {
	dir := sampleDir(b)
	f, err := fits.Open(filepath.Join(dir, bench.Image))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	im, err := f.Image("")
	if err != nil {
		b.Fatal(err)
	}
	p, err := im.Plane(0, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range benchViews {
		ts := v.view(p.Width, p.Height).Tiles(p.Width, p.Height)
		b.Run(v.name, func(b *testing.B) {
			var last []time.Duration
			for b.Loop() {
				start := time.Now()
				renderInProcess(p, ts, 11)
				last = append(last, time.Since(start))
			}
			reportMedian(b, last, "ms-to-last-tile")
			b.ReportMetric(float64(len(ts)), "tiles")
		})
	}
}

// renderInProcess renders and encodes ts on GOMAXPROCS goroutines.
func renderInProcess(p imaging.Plane, ts []tiles.Tile, precision int) {
	next := make(chan tiles.Tile)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(ts)) {
		wg.Go(func() {
			var buf []float32
			var enc zfp.Encoder
			for t := range next {
				var r tiles.Rect
				buf, r, _ = tiles.Render(buf, p, t)
				encodeTile(&enc, buf, r.Width, r.Height, precision)
			}
		})
	}
	for _, t := range ts {
		next <- t
	}
	close(next)
	wg.Wait()
}

// encodeTile does what session's zfpEncoder does to a tile: NaN runs,
// NaN filling, ZFP, and the retry at full precision of tiles that
// compress more than 20-fold (kept if still over 10-fold).
func encodeTile(enc *zfp.Encoder, data []float32, w, h, precision int) (nans, stream []byte) {
	nans = tiles.AppendNaNEncodings(nil, data)
	if len(nans) > 4 {
		tiles.FillNaNBlocks(data, w, h)
	}
	stream = enc.Encode(nil, data, w, h, precision)
	if raw := 4 * len(data); raw > 20*len(stream) {
		if full := enc.Encode(nil, data, w, h, 32); raw > 10*len(full) {
			stream = full
		}
	}
	return nans, stream
}

// BenchmarkCursorSpectrum moves the cursor over the 512×512×200 cube
// with a "z" spectral profile required: SET_CURSOR to the final
// SPECTRAL_PROFILE_DATA (perf.md (e) #6, warm). Every iteration uses
// another pixel. Metrics: ms to the cursor value (SPATIAL_PROFILE_DATA)
// and to the spectrum.
func BenchmarkCursorSpectrum(b *testing.B) {
	cl := benchClient(b)
	ack := cl.openFile(bench.Cube, 0)
	cl.readUntil(icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	w, h, depth := int(ack.FileInfoExtended.Width), int(ack.FileInfoExtended.Height), int(ack.FileInfoExtended.Depth)
	cl.send(icd.EventType_SET_SPECTRAL_REQUIREMENTS, &icd.SetSpectralRequirements{FileId: 0, RegionId: 0,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum}}}})

	// Warm-up, and the spectrum is the file's.
	f, err := fits.Open(filepath.Join(cl.dir, bench.Cube))
	if err != nil {
		b.Fatal(err)
	}
	im, err := f.Image("")
	if err != nil {
		b.Fatal(err)
	}
	want, err := im.Spectrum(100, 200, 0)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	_, spec := cl.cursor(100, 200)
	if got := floats(spec.Profiles[0].RawValuesFp32); len(got) != depth || !slices.Equal(bitsOf(got), bitsOf(want)) {
		b.Fatalf("spectrum at (100, 200): %d values differing from the file's %d", len(got), len(want))
	}

	var value, spectrum []time.Duration
	i := 0
	for b.Loop() {
		x, y := (i*197+31)%w, (i*331+17)%h
		i++
		start := time.Now()
		tv, _ := cl.cursor(x, y)
		spectrum = append(spectrum, time.Since(start))
		value = append(value, tv.Sub(start))
	}
	reportMedian(b, value, "ms-to-cursor-value")
	reportMedian(b, spectrum, "ms-to-spectrum")
	b.ReportMetric(float64(depth), "channels")
}

func bitsOf(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, x := range v {
		out[i] = math.Float32bits(x)
	}
	return out
}

// reportMedian reports the median of ds in ms under unit.
func reportMedian(b *testing.B, ds []time.Duration, unit string) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	b.ReportMetric(float64(m)/float64(time.Millisecond), unit)
}

func tileRequest(fileID int32, ids []int32) *icd.AddRequiredTiles {
	return &icd.AddRequiredTiles{FileId: fileID, Tiles: ids, CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11}
}

// sampleDir returns the cached sample directory, generating it if
// needed (before b.Loop, so untimed).
func sampleDir(b *testing.B) string {
	b.Helper()
	dir, err := bench.SampleDir(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// wsBench is a registered client of a server on loopback whose folder is
// the sample directory.
type wsBench struct {
	*wstest.T
	dir string
	// wire counts bytes read off the socket: messages as sent, deflated
	// or not, with websocket framing.
	wire *atomic.Int64
}

// countingConn counts the bytes read through it.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// benchClient starts a server on the sample data and registers a client;
// both go away with b.
func benchClient(b *testing.B) *wsBench {
	b.Helper()
	return benchClientDial(b, sampleDir(b), websocket.DefaultDialer)
}

// benchClientDial is benchClient on folder dir through dialer; with a
// dialer offering permessage-deflate it fails unless the server agreed.
func benchClientDial(b *testing.B, dir string, dialer *websocket.Dialer) *wsBench {
	b.Helper()
	folder, err := session.NewFolder(dir, "")
	if err != nil {
		b.Fatal(err)
	}
	log := quietLogger()
	mgr := session.NewManager(session.Config{IdleTimeout: time.Minute, Logger: log, Folder: folder,
		Platform: map[string]string{"platform": "bench"}})
	srv, err := New(Config{AuthToken: testToken, Logger: log}, mgr)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	var wire atomic.Int64
	counting := *dialer
	counting.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		return &countingConn{Conn: c, read: &wire}, err
	}
	c, resp, err := counting.Dial("ws://"+l.Addr().String()+"/?token="+testToken, nil)
	if err != nil {
		b.Fatal(err)
	}
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); dialer.EnableCompression && !strings.Contains(ext, "permessage-deflate") {
		b.Fatalf("permessage-deflate offered, not negotiated (%q)", ext)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			b.Errorf("shutdown: %v", err)
		}
		mgr.Close("benchmark over")
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			b.Errorf("serve returned %v", err)
		}
	})
	// websocket.DefaultDialer offers no permessage-deflate, so the
	// figures stay comparable with those recorded in perf.md; the
	// deflate variants pass a dialer that offers it.
	cl := &wsBench{T: wstest.WrapT(b, c), dir: dir, wire: &wire}
	cl.Timeout = 30 * time.Second
	cl.Register(0)
	return cl
}

// send writes one message with the next request id.
func (cl *wsBench) send(et icd.EventType, m proto.Message) { cl.Send(et, m) }

// read returns the next binary message's header and payload, valid
// until the next read (big tiles make no garbage). ERROR_DATA fails the
// benchmark.
func (cl *wsBench) read() (icd.Header, []byte) {
	for {
		m := cl.Next()
		if m.IsText {
			continue
		}
		if m.Is(icd.EventType_ERROR_DATA) {
			cl.TB.Fatalf("server sent %s", m)
		}
		return m.Header, m.Payload
	}
}

// readUntil skips messages up to the first of type want and decodes it.
func (cl *wsBench) readUntil(want icd.EventType, m proto.Message) { cl.SkipTo(want, nil, m, nil) }

// openFile opens name under file id and returns the ACK; the image
// histogram follows.
func (cl *wsBench) openFile(name string, id int32) *icd.OpenFileAck {
	cl.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: name, FileId: id})
	var ack icd.OpenFileAck
	cl.readUntil(icd.EventType_OPEN_FILE_ACK, &ack)
	if !ack.Success || ack.FileId != id {
		cl.TB.Fatalf("open %s: %s", name, ack.Message)
	}
	return &ack
}

// closeFile closes file id and waits until the server has done so (a
// FILE_INFO_REQUEST behind it has its answer), so the close is not
// counted in what follows.
func (cl *wsBench) closeFile(name string, id int32) {
	cl.send(icd.EventType_CLOSE_FILE, &icd.CloseFile{FileId: id})
	cl.send(icd.EventType_FILE_INFO_REQUEST, &icd.FileInfoRequest{Directory: ".", File: name})
	cl.readUntil(icd.EventType_FILE_INFO_RESPONSE, &icd.FileInfoResponse{})
}

// tileGroup is when the messages of one tile request arrived.
type tileGroup struct {
	histogram, first, end time.Time
	bytes                 int // RASTER_TILE_DATA payload bytes
}

// readTiles reads one tile group of n tiles up to its end sync, and with
// histogram also the image histogram. Tile payloads are counted, not
// decoded.
func (cl *wsBench) readTiles(n int, histogram bool) tileGroup {
	var g tileGroup
	var syncID int32
	count := 0
	for g.end.IsZero() || (histogram && g.histogram.IsZero()) {
		h, p := cl.read()
		now := time.Now()
		switch h.Type {
		case icd.EventType_REGION_HISTOGRAM_DATA:
			g.histogram = now
		case icd.EventType_RASTER_TILE_DATA:
			if count == 0 {
				g.first = now
			}
			count++
			g.bytes += len(p)
		case icd.EventType_RASTER_TILE_SYNC:
			var s icd.RasterTileSync
			if err := proto.Unmarshal(p, &s); err != nil {
				cl.TB.Fatal(err)
			}
			switch {
			case !s.EndSync:
				syncID = s.SyncId
			case s.SyncId == syncID:
				g.end = now
			}
		}
	}
	if count != n {
		cl.TB.Fatalf("got %d tiles, want %d", count, n)
	}
	return g
}

// checkTiles reads one tile group and checks it holds exactly ts with
// the sizes tiles.Locate gives.
func (cl *wsBench) checkTiles(ts []tiles.Tile) {
	want := map[tiles.Tile]tiles.Rect{}
	for _, t := range ts {
		r, err := tiles.Locate(t, benchImageSide, benchImageSide)
		if err != nil {
			cl.TB.Fatal(err)
		}
		want[t] = r
	}
	var start icd.RasterTileSync
	cl.readUntil(icd.EventType_RASTER_TILE_SYNC, &start)
	for range start.TileCount {
		var td icd.RasterTileData
		cl.readUntil(icd.EventType_RASTER_TILE_DATA, &td)
		tile := td.Tiles[0]
		t := tiles.Tile{X: int(tile.X), Y: int(tile.Y), Layer: int(tile.Layer)}
		r, ok := want[t]
		if !ok || int(tile.Width) != r.Width || int(tile.Height) != r.Height {
			cl.TB.Fatalf("unexpected tile %v (%dx%d)", t, tile.Width, tile.Height)
		}
		delete(want, t)
	}
	var end icd.RasterTileSync
	cl.readUntil(icd.EventType_RASTER_TILE_SYNC, &end)
	if !end.EndSync || end.SyncId != start.SyncId || len(want) != 0 {
		cl.TB.Fatalf("tile group %d ended by %+v, %d tiles missing", start.SyncId, &end, len(want))
	}
}

// cursor moves the cursor to pixel (x, y) and reads up to the complete
// spectral profile; it returns when the cursor value arrived and the
// spectrum.
func (cl *wsBench) cursor(x, y int) (time.Time, *icd.SpectralProfileData) {
	cl.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: float32(x), Y: float32(y)}})
	var value time.Time
	for {
		h, p := cl.read()
		switch h.Type {
		case icd.EventType_SPATIAL_PROFILE_DATA:
			value = time.Now()
		case icd.EventType_SPECTRAL_PROFILE_DATA:
			var s icd.SpectralProfileData
			if err := proto.Unmarshal(p, &s); err != nil {
				cl.TB.Fatal(err)
			}
			if s.Progress >= 1 {
				if value.IsZero() {
					cl.TB.Fatal("spectrum before the cursor value")
				}
				return value, &s
			}
		}
	}
}
