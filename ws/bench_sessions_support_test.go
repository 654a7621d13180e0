//go:build unix

package ws

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/session"
	"cartago/store"
	"cartago/ws/wstest"
)

// Support of the session benchmarks (bench_sessions_test.go): servers,
// a protocol client, inputs and measuring.

// --- servers ---------------------------------------------------------------

// sbServer is a server on a loopback port serving dir, with a session
// database at dbPath ("" for none).
type sbServer struct {
	addr string
	db   *store.Store // nil without a database
	log  *sbLog
	once sync.Once
	halt func()
}

func sbStart(tb testing.TB, dir, dbPath string) *sbServer {
	tb.Helper()
	s := &sbServer{log: &sbLog{}}
	if dbPath != "" {
		var err error
		if s.db, err = store.Open(dbPath, store.Options{}); err != nil { // fsync on every commit
			tb.Fatal(err)
		}
	}
	folder, err := session.NewFolder(dir, "")
	if err != nil {
		tb.Fatal(err)
	}
	// Every server gets the same logger, which records the checkpoint
	// writer's debug line (its commit duration) and drops the rest.
	logger := slog.New(s.log)
	mgr := session.NewManager(session.Config{Folder: folder, Store: s.db, CheckpointInterval: sbInterval,
		IdleTimeout: time.Minute, Logger: logger, Platform: map[string]string{"platform": "bench"}})
	srv, err := New(Config{AuthToken: testToken, Logger: logger}, mgr)
	if err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.addr = l.Addr().String()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	s.halt = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
		mgr.Close("benchmark over")
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			tb.Errorf("serve returned %v", err)
		}
		if s.db != nil {
			if err := s.db.Close(); err != nil {
				tb.Errorf("close database: %v", err)
			}
		}
	}
	tb.Cleanup(s.stop)
	return s
}

// stop shuts the server down and closes its database; later calls do
// nothing.
func (s *sbServer) stop() { s.once.Do(s.halt) }

// sbLog is an slog.Handler that keeps the checkpoint writer's commits
// ("checkpoint" debug records with their "ms") and drops everything else.
type sbLog struct {
	mu    sync.Mutex
	times []time.Time     // when each commit was logged
	took  []time.Duration // how long it took
}

func (*sbLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *sbLog) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h *sbLog) WithGroup(string) slog.Handler          { return h }

func (h *sbLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "checkpoint" {
		return nil
	}
	ms := 0.0 // if the attribute went missing
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "ms" && a.Value.Kind() == slog.KindFloat64 {
			ms = a.Value.Float64()
			return false
		}
		return true
	})
	h.mu.Lock()
	h.times = append(h.times, r.Time)
	h.took = append(h.took, time.Duration(ms*float64(time.Millisecond)))
	h.mu.Unlock()
	return nil
}

func (h *sbLog) reset() {
	h.mu.Lock()
	h.times, h.took = nil, nil
	h.mu.Unlock()
}

// commitsBetween counts the commits logged in [from, to].
func (h *sbLog) commitsBetween(from, to time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, t := range h.times {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	return n
}

// durations returns the duration of every commit since reset.
func (h *sbLog) durations() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.took)
}

// --- client ------------------------------------------------------------------

// sbClient is a websocket client. Every method fails tb on a protocol
// error; ERROR_DATA from the server is one.
type sbClient struct{ *wstest.T }

// sbDial connects without permessage-deflate, so that the figures stay
// comparable with those recorded before the clients were unified.
func sbDial(tb testing.TB, addr string) *sbClient {
	tb.Helper()
	return &sbClient{wstest.DialT(tb, addr, wstest.Options{Token: testToken, NoCompression: true})}
}

func (cl *sbClient) close() { cl.Close() }

// send writes one message with the next request id and returns the id.
func (cl *sbClient) send(et icd.EventType, m proto.Message) uint32 { return cl.Send(et, m) }

// read returns the next binary message, valid until the next read.
func (cl *sbClient) read() (icd.Header, []byte) {
	m := cl.Next()
	if m.IsText || m.Is(icd.EventType_ERROR_DATA) {
		cl.TB.Fatalf("unexpected %s", m)
	}
	return m.Header, m.Payload
}

func (cl *sbClient) decode(p []byte, m proto.Message) {
	if err := proto.Unmarshal(p, m); err != nil {
		cl.TB.Fatalf("decode %T: %v", m, err)
	}
}

// expect reads the next message, which must be of type want, into m
// (unless nil).
func (cl *sbClient) expect(want icd.EventType, m proto.Message) icd.Header {
	return cl.Expect(want, m).Header
}

// barrier checks that nothing else is queued: the next message is the
// PONG to a PING.
func (cl *sbClient) barrier() { cl.Barrier() }

func (cl *sbClient) registerAck(id uint32, ack *icd.RegisterViewerAck) {
	cl.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{SessionId: id, ClientFeatureFlags: 5})
	cl.expect(icd.EventType_REGISTER_VIEWER_ACK, ack)
	if !ack.Success {
		cl.TB.Fatalf("register %d: %s", id, ack.Message)
	}
}

// register registers with session id (0: a new session) and returns the
// session id.
func (cl *sbClient) register(id uint32) uint32 {
	var ack icd.RegisterViewerAck
	cl.registerAck(id, &ack)
	return ack.SessionId
}

// openFile opens name as file id and returns the ACK; the image
// histogram follows.
func (cl *sbClient) openFile(name string, id int32) *icd.OpenFileAck {
	cl.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: name, FileId: id})
	var ack icd.OpenFileAck
	cl.expect(icd.EventType_OPEN_FILE_ACK, &ack)
	if !ack.Success || ack.FileId != id {
		cl.TB.Fatalf("open %s: %s", name, ack.Message)
	}
	return &ack
}

// openAll opens names[i] as file i, one after the other: OPEN_FILE,
// its ACK, its image histogram, then the next. (Sending the next
// OPEN_FILE on the ACK, before the histogram, measured slower here: the
// histograms then compete with the opens for the 2 CPUs.)
func (cl *sbClient) openAll(names []string) {
	for i, name := range names {
		cl.openFile(name, int32(i))
		var hd icd.RegionHistogramData
		cl.expect(icd.EventType_REGION_HISTOGRAM_DATA, &hd)
		if hd.FileId != int32(i) || hd.RegionId != -1 {
			cl.TB.Fatalf("histogram of file %d region %d, want file %d's image", hd.FileId, hd.RegionId, i)
		}
	}
}

// readTileGroup reads what a tile request (histogram: a channel change)
// produces: with histogram first the image histogram of the channel and
// the cursor data, then a tile group of n tiles up to its end sync.
func (cl *sbClient) readTileGroup(channel int32, n int, histogram bool) {
	if histogram {
		var hd icd.RegionHistogramData
		cl.expect(icd.EventType_REGION_HISTOGRAM_DATA, &hd)
		if hd.Channel != channel || hd.RegionId != -1 {
			cl.TB.Fatalf("histogram of region %d channel %d, want the image at channel %d", hd.RegionId, hd.Channel, channel)
		}
		var sp icd.SpatialProfileData
		cl.expect(icd.EventType_SPATIAL_PROFILE_DATA, &sp)
		if sp.Channel != channel {
			cl.TB.Fatalf("cursor data for channel %d, want %d", sp.Channel, channel)
		}
	}
	var start icd.RasterTileSync
	cl.expect(icd.EventType_RASTER_TILE_SYNC, &start)
	if start.EndSync || start.Channel != channel {
		cl.TB.Fatalf("sync start %+v", &start)
	}
	for range n {
		cl.expect(icd.EventType_RASTER_TILE_DATA, nil)
	}
	var end icd.RasterTileSync
	cl.expect(icd.EventType_RASTER_TILE_SYNC, &end)
	if !end.EndSync || end.SyncId != start.SyncId {
		cl.TB.Fatalf("sync end %+v for start %+v", &end, &start)
	}
}

// --- inputs ----------------------------------------------------------------

// sbWriteCube writes a side×side×depth float32 cube: Gaussian noise on
// a source whose brightness varies with channel, a NaN block in a
// corner; fixed seed, so every run reads the same bytes.
func sbWriteCube(tb testing.TB, path string, side, depth int) {
	sbWriteFITS(tb, path, []int{side, side, depth}, 1, func(c int, plane []float32, rng *rand.Rand) {
		sbSky(plane, side, 1+math.Sin(float64(c)/3), rng)
	})
}

// sbWriteImage writes a side×side float32 image, different for each
// seed.
func sbWriteImage(tb testing.TB, path string, side int, seed uint64) {
	sbWriteFITS(tb, path, []int{side, side}, seed+2, func(_ int, plane []float32, rng *rand.Rand) {
		sbSky(plane, side, 1+float64(seed)/10, rng)
	})
}

func sbWriteFITS(tb testing.TB, path string, naxis []int, seed uint64, fill func(c int, plane []float32, rng *rand.Rand)) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	e := fits.NewEncoder(w)
	cards := []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewStringCard("BUNIT", "Jy/beam", ""),
	}
	if len(naxis) > 2 {
		cards = append(cards, fits.NewStringCard("CTYPE3", "FREQ", ""))
	}
	if err := e.WriteHeader(fits.WriteHDU{Bitpix: -32, Naxis: naxis, Cards: cards}); err != nil {
		tb.Fatal(err)
	}
	depth := 1
	if len(naxis) > 2 {
		depth = naxis[2]
	}
	rng := rand.New(rand.NewPCG(0x5e55, seed))
	plane := make([]float32, naxis[0]*naxis[1])
	for c := range depth {
		fill(c, plane, rng)
		if err := e.WriteData(plane); err != nil {
			tb.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	// On disk before anything is timed: otherwise the writeback of the
	// inputs (200 MiB for the resume benchmark) lands in the middle of
	// the measurements, and on ext4 (data=ordered) the session
	// database's fsyncs wait for it.
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// sbSky fills a side² plane: unit noise plus a Gaussian source of peak
// 20·amp in the middle, and NaN in a 16×16 corner block.
func sbSky(plane []float32, side int, amp float64, rng *rand.Rand) {
	mid, sigma := float64(side)/2, float64(side)/10
	for y := range side {
		for x := range side {
			dx, dy := float64(x)-mid, float64(y)-mid
			v := 20*amp*math.Exp(-(dx*dx+dy*dy)/(2*sigma*sigma)) + rng.NormFloat64()
			if x < 16 && y < 16 {
				v = math.NaN()
			}
			plane[y*side+x] = float32(v)
		}
	}
}

// --- measuring ---------------------------------------------------------------

// sbQuantile returns the q-quantile of ds (nearest rank), 0 if empty.
func sbQuantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func sbMedian64(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func sbMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sbCPU returns the CPU time (user and system) of this process so far.
func sbCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sbWriteBytes returns the bytes this process caused to be written to
// storage (write_bytes of /proc/self/io; 0 where there is none).
func sbWriteBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
