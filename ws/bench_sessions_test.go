//go:build unix

package ws

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/tiles"
	"cartago/store"
)

// Benchmarks of durable sessions (perf.md section 0 "Session checkpoint"
// and "Resume of N images", section (e) #7 and #8), each comparing A
// with B in the same run over a real websocket on loopback:
//
//   - BenchmarkSessionCheckpointReplay: one scripted session replayed
//     against a server with a session database (real fsync, checkpoint
//     interval 50 ms) and a server without one; target p99(store) /
//     p99(no store) ≤ 1.05.
//   - BenchmarkSessionResume: N = 1, 10, 50 images opened fresh on a
//     server without a database, against RESUME_SESSION of the same
//     images after a restart on the same database; target resume ≤ 1.2 ×
//     fresh + 50 ms.
//
// The client runs in the benchmark's process, next to the servers, and
// sends each request when the previous one is answered (no think time).
// scripts/bench-sessions.sh runs both and prints the table. The input
// files are written into the benchmark's temporary directory, so the
// session database is on the filesystem of $TMPDIR (tmpfs would make
// fsync free; the script says which filesystem it was).

const (
	sbInterval = 50 * time.Millisecond // session.Config.CheckpointInterval
	// sbSettle separates replays: long enough for the store server to
	// commit the replay's last changes (one interval plus the commit), so
	// no commit of one replay runs during the next one.
	sbSettle = 3 * sbInterval

	sbCubeName  = "replay-cube.fits"
	sbCubeSide  = 512 // replay cube: 512×512×32 float32 (32 MiB)
	sbCubeDepth = 32
	sbImageSide = 1024 // resume images: 1024×1024 float32 (4 MiB each)
)

// --- the replayed session ----------------------------------------------

// sbKind is the kind of one request of the replay.
type sbKind int

const (
	sbCursor  sbKind = iota // SET_CURSOR → SPATIAL_PROFILE_DATA
	sbChannel               // SET_IMAGE_CHANNELS → histogram, cursor, tiles → end sync
	sbRegion                // SET_REGION → SET_REGION_ACK
	sbKinds
)

var sbKindNames = [sbKinds]string{"cursor", "channel", "region"}

// sbStep is one request of the replay.
type sbStep struct {
	kind    sbKind
	x, y    int        // sbCursor: pixel
	channel int        // sbChannel: new channel
	rect    [4]float32 // sbRegion: rectangle centre x, y, width, height
}

// sbScript is the replayed session after the image is open: 300 cursor
// moves over the image, a channel change after every 10th and a region
// edit after every 30th, so 300 + 30 + 10 requests, the same every run.
func sbScript(side, depth int) []sbStep {
	var steps []sbStep
	for i := range 300 {
		steps = append(steps, sbStep{kind: sbCursor, x: (i*197 + 31) % side, y: (i*331 + 17) % side})
		if (i+1)%10 == 0 {
			steps = append(steps, sbStep{kind: sbChannel, channel: (i + 1) / 10 % depth})
		}
		if (i+1)%30 == 0 {
			k := (i + 1) / 30
			steps = append(steps, sbStep{kind: sbRegion,
				rect: [4]float32{float32(side/4 + 8*k), float32(side/3 + 5*k), float32(40 + 4*k), float32(30 + 2*k)}})
		}
	}
	return steps
}

// sbReplay is the outcome of one replay.
type sbReplay struct {
	lat        [sbKinds][]time.Duration // per request, by kind
	start      time.Time                // first request sent
	wall       time.Duration            // the timed requests, end to end
	cpu        time.Duration            // process CPU (client and servers) during them
	id         uint32                   // session id
	lastChange time.Time                // response to the last state change
	cursor     *icd.Point               // last cursor sent
	channel    int                      // last channel
	regionID   int32                    // the region's id (from the first ACK)
	region     *icd.RegionInfo          // last region acknowledged
	regionAcks int                      // SET_REGION_ACKs with success=true
}

// sbRunReplay opens the cube in a new session on srv (untimed, with
// x/y cursor profiles and the fit view's tiles, as the frontend does),
// replays steps, timing each request from its send to its last expected
// message, and closes the image and the socket.
func sbRunReplay(tb testing.TB, srv *sbServer, steps []sbStep, side int) *sbReplay {
	cl := sbDial(tb, srv.addr)
	defer cl.close()
	r := &sbReplay{id: cl.register(0)}
	ack := cl.openFile(sbCubeName, 0)
	if int(ack.FileInfoExtended.Width) != side || int(ack.FileInfoExtended.Depth) < sbCubeDepth {
		tb.Fatalf("replay cube is %dx%dx%d", ack.FileInfoExtended.Width, ack.FileInfoExtended.Height, ack.FileInfoExtended.Depth)
	}
	cl.expect(icd.EventType_REGION_HISTOGRAM_DATA, nil)
	cl.send(icd.EventType_SET_SPATIAL_REQUIREMENTS, &icd.SetSpatialRequirements{FileId: 0, RegionId: 0,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}, {Coordinate: "y"}}})
	view := sbViewTiles(side)
	cl.send(icd.EventType_ADD_REQUIRED_TILES, &icd.AddRequiredTiles{FileId: 0, Tiles: view,
		CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11})
	cl.readTileGroup(0, len(view), false)
	cl.barrier()

	cpu0 := sbCPU()
	r.start = time.Now()
	for _, s := range steps {
		t0 := time.Now()
		switch s.kind {
		case sbCursor:
			r.cursor = &icd.Point{X: float32(s.x) + 0.25, Y: float32(s.y) - 0.25}
			cl.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 0, Point: r.cursor})
			var sp icd.SpatialProfileData
			cl.expect(icd.EventType_SPATIAL_PROFILE_DATA, &sp)
			if int(sp.X) != s.x || int(sp.Y) != s.y || len(sp.Profiles) != 2 {
				tb.Fatalf("cursor (%d, %d): got (%d, %d) with %d profiles", s.x, s.y, sp.X, sp.Y, len(sp.Profiles))
			}
		case sbChannel:
			r.channel = s.channel
			cl.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 0, Channel: int32(s.channel),
				RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: view, CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11}})
			cl.readTileGroup(int32(s.channel), len(view), true)
		case sbRegion:
			// The first SET_REGION creates the region (id -1: the
			// server picks one), later ones move and resize it. No
			// statistics or histograms are required of it, so the ACK
			// is the only answer. A server without regions answers
			// success=false, and the round trip is timed all the same.
			info := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE,
				ControlPoints: []*icd.Point{{X: s.rect[0], Y: s.rect[1]}, {X: s.rect[2], Y: s.rect[3]}}}
			id := r.regionID
			if id <= 0 {
				id = -1
			}
			req := cl.send(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 0, RegionId: id, RegionInfo: info})
			var ack icd.SetRegionAck
			if h := cl.expect(icd.EventType_SET_REGION_ACK, &ack); h.RequestID != req {
				tb.Fatalf("SET_REGION_ACK for request %d, want %d", h.RequestID, req)
			}
			if !ack.Success {
				break
			}
			if id > 0 && ack.RegionId != id {
				tb.Fatalf("edit of region %d acknowledged as region %d", id, ack.RegionId)
			}
			r.regionID, r.region = ack.RegionId, info
			r.regionAcks++
		}
		now := time.Now()
		r.lat[s.kind] = append(r.lat[s.kind], now.Sub(t0))
		r.lastChange = now
	}
	r.wall = time.Since(r.start)
	r.cpu = sbCPU() - cpu0
	cl.barrier() // nothing unexpected is queued
	return r
}

// sbViewTiles is the frontend's zoom-to-fit view of a side² image in a
// 1600×1000 canvas: zoom ≥ 1, so every full-resolution tile.
func sbViewTiles(side int) []int32 {
	layer := tiles.Layers(side, side)
	nx, ny := tiles.LayerTiles(layer, side, side)
	var ids []int32
	for y := range ny {
		for x := range nx {
			ids = append(ids, tiles.Encode(x, y, layer))
		}
	}
	return ids
}

// sbMode is one server of the replay comparison.
type sbMode struct {
	name string
	srv  *sbServer
	runs []*sbReplay
	lags []time.Duration // store only: last change → visible in the database
	disk []int64         // bytes the process wrote to storage per replay
	// Commits during the timed requests, and the duration of each commit.
	commits    int
	commitTime []time.Duration
}

// BenchmarkSessionCheckpointReplay measures what checkpointing costs the
// request path (perf.md (e) #7): the replay of sbScript against a server
// with a session database (store.Open without NoSync, so every commit
// fsyncs; CheckpointInterval 50 ms) and against one without
// (session.Config.Store nil). A second server without a database is the
// control: its ratio to the first shows the noise of the measure. Each
// iteration is one round that replays once on each server, in an order
// that rotates through all six permutations so drift cancels out; every
// replay is a new session and is followed by the same settle time.
// Latencies are pooled over rounds per server.
//
// Metrics: p50/p99 per server in ms, p99 and p50 ratios store/no store
// (target p99 ≤ 1.05), the control's p99 ratio, p99 ratios per request
// kind, process CPU ms per replay (client included, so the ratio
// understates the server's share), commits per second during the replay
// and their duration (store.Put, two fdatasyncs), the lag from the last
// change's response to its visibility in the database, bytes written to
// storage per replay, and the snapshot size.
func BenchmarkSessionCheckpointReplay(b *testing.B) {
	dir := b.TempDir()
	sbWriteCube(b, filepath.Join(dir, sbCubeName), sbCubeSide, sbCubeDepth)
	modes := []*sbMode{
		{name: "store", srv: sbStart(b, dir, filepath.Join(b.TempDir(), "sessions.db"))},
		{name: "nostore", srv: sbStart(b, dir, "")},
		{name: "control", srv: sbStart(b, dir, "")},
	}
	steps := sbScript(sbCubeSide, sbCubeDepth)
	for _, m := range modes { // warm-up: page cache, connections, code paths
		sbRunReplay(b, m.srv, steps, sbCubeSide)
		time.Sleep(sbSettle)
	}
	perms := [][]int{{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {2, 1, 0}, {1, 0, 2}}
	var lastSnap *store.Snapshot
	round := 0
	for b.Loop() {
		for _, i := range perms[round%len(perms)] {
			m := modes[i]
			m.srv.log.reset()
			io0 := sbWriteBytes()
			r := sbRunReplay(b, m.srv, steps, sbCubeSide)
			commits := m.srv.log.commitsBetween(r.start, r.start.Add(r.wall))
			if m.srv.db != nil {
				lag, snap := sbWaitStored(b, m.srv.db, r)
				m.lags = append(m.lags, lag)
				lastSnap = snap
			}
			time.Sleep(sbSettle)
			runtime.GC() // so one replay's garbage is not collected during the next
			m.disk = append(m.disk, sbWriteBytes()-io0)
			m.commits += commits
			m.commitTime = append(m.commitTime, m.srv.log.durations()...)
			m.runs = append(m.runs, r)
		}
		round++
	}

	all := func(m *sbMode, kinds ...sbKind) []time.Duration {
		var out []time.Duration
		for _, r := range m.runs {
			for _, k := range kinds {
				out = append(out, r.lat[k]...)
			}
		}
		return out
	}
	every := []sbKind{sbCursor, sbChannel, sbRegion}
	p := func(m *sbMode, q float64, kinds ...sbKind) float64 { return sbMs(sbQuantile(all(m, kinds...), q)) }
	st, ns, ctl := modes[0], modes[1], modes[2]
	for _, m := range modes {
		b.ReportMetric(p(m, 0.50, every...), m.name+"-p50-ms")
		b.ReportMetric(p(m, 0.99, every...), m.name+"-p99-ms")
	}
	b.ReportMetric(p(st, 0.99, every...)/p(ns, 0.99, every...), "p99-ratio")
	b.ReportMetric(p(st, 0.50, every...)/p(ns, 0.50, every...), "p50-ratio")
	b.ReportMetric(p(ctl, 0.99, every...)/p(ns, 0.99, every...), "control-p99-ratio")
	for k := range sbKinds {
		b.ReportMetric(p(st, 0.99, k)/p(ns, 0.99, k), sbKindNames[k]+"-p99-ratio")
		b.ReportMetric(p(ns, 0.99, k), sbKindNames[k]+"-nostore-p99-ms")
		b.ReportMetric(p(st, 0.99, k), sbKindNames[k]+"-store-p99-ms")
		b.ReportMetric(p(ctl, 0.99, k)/p(ns, 0.99, k), sbKindNames[k]+"-control-p99-ratio")
	}
	cpu := func(m *sbMode) float64 {
		var ds []time.Duration
		for _, r := range m.runs {
			ds = append(ds, r.cpu)
		}
		return sbMs(sbQuantile(ds, 0.5))
	}
	b.ReportMetric(cpu(st), "store-cpu-ms")
	b.ReportMetric(cpu(ns), "nostore-cpu-ms")
	b.ReportMetric(cpu(st)/cpu(ns), "cpu-ratio")
	var wall time.Duration
	for _, r := range st.runs {
		wall += r.wall
	}
	b.ReportMetric(float64(st.commits)/wall.Seconds(), "commits/s")
	if len(st.commitTime) == 0 {
		b.Log("no checkpoint was logged: did the message of session/checkpoint.go change?")
	}
	b.ReportMetric(sbMs(sbQuantile(st.commitTime, 0.5)), "commit-p50-ms")
	b.ReportMetric(sbMs(sbQuantile(st.commitTime, 0.99)), "commit-p99-ms")
	b.ReportMetric(sbMs(sbQuantile(st.lags, 0.5)), "lag-p50-ms")
	b.ReportMetric(sbMs(slices.Max(st.lags)), "lag-max-ms")
	b.ReportMetric(float64(sbMedian64(st.disk))/1024, "store-disk-KiB/replay")
	b.ReportMetric(float64(sbMedian64(ns.disk))/1024, "nostore-disk-KiB/replay")
	b.ReportMetric(float64(proto.Size(lastSnap)), "snapshot-bytes")
	b.ReportMetric(float64(len(st.commitTime))/float64(len(st.runs)), "commits/replay")
	b.ReportMetric(sbMs(sbPutNoSync(b, lastSnap)), "put-nosync-p50-ms")
	b.ReportMetric(float64(len(st.runs)), "replays")
	b.ReportMetric(float64(len(steps)), "requests/replay")
	b.ReportMetric(sbMs(sbQuantile(func() []time.Duration {
		var ds []time.Duration
		for _, r := range st.runs {
			ds = append(ds, r.wall)
		}
		return ds
	}(), 0.5)), "store-replay-ms")
	regionOK, regionReqs := 0, 0
	for _, m := range modes {
		for _, r := range m.runs {
			regionOK += r.regionAcks
			regionReqs += len(r.lat[sbRegion])
		}
	}
	b.ReportMetric(float64(regionOK), "region-acks-ok")
	b.ReportMetric(float64(regionReqs), "region-requests")
	b.ReportMetric(0, "ns/op") // a round's time, settling included: meaningless
}

// sbWaitStored polls the database until the session's snapshot shows the
// last cursor, channel and region of r, and returns how long after the
// last request's response that was, and the snapshot.
func sbWaitStored(tb testing.TB, db *store.Store, r *sbReplay) (time.Duration, *store.Snapshot) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		snap, err := db.Get(r.id)
		if err == nil && len(snap.Images) == 1 && int(snap.Images[0].Channel) == r.channel &&
			proto.Equal(snap.Images[0].Cursor, r.cursor) &&
			(r.region == nil || proto.Equal(snap.Images[0].GetRegions()[r.regionID].GetInfo(), r.region)) {
			return time.Since(r.lastChange), snap
		}
		if time.Now().After(deadline) {
			tb.Fatalf("session %d never stored its last state (channel %d, cursor %v): %v %v", r.id, r.channel, r.cursor, snap, err)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// sbPutNoSync returns the median time of store.Put of snap on a
// database opened with NoSync: the CPU part of a commit (encoding, page
// writes to the page cache), to set against the commits' durations with
// fsync.
func sbPutNoSync(tb testing.TB, snap *store.Snapshot) time.Duration {
	db, err := store.Open(filepath.Join(tb.TempDir(), "nosync.db"), store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ds := make([]time.Duration, 200)
	for i := range ds {
		t0 := time.Now()
		if err := db.Put(snap); err != nil {
			tb.Fatal(err)
		}
		ds[i] = time.Since(t0)
	}
	return sbQuantile(ds, 0.5)
}

// --- resume --------------------------------------------------------------

// BenchmarkSessionResume compares, for N = 1, 10 and 50 distinct
// 1024×1024 float32 FITS images (4 MiB each, written once):
//
//   - fresh: on a server without a database, a new connection registers
//     and opens the N images one after the other (OPEN_FILE, its ACK,
//     its image histogram, next) until the last histogram;
//   - resume: a session holding the N images on a server with a
//     database (real fsync) — built untimed and committed —, the server
//     stopped and a new one started on the same file (restart-ms, not
//     part of the comparison), then a new connection registers with the
//     session id and sends RESUME_SESSION with the N images until
//     RESUME_SESSION_ACK (the server sends the histograms before it).
//
// Both start timing at REGISTER_VIEWER on an open socket and do the same
// image work: open, header, first plane, histogram. The resumed images
// carry no cursor or regions, so no cursor profile is sent either side.
// Each iteration is one round of both, alternating which goes first,
// after one untimed round. Metrics: median, min and max ms of each, the
// ratio of the medians, the target 1.2 × fresh + 50 ms, and medians of
// the restart time, of the time to the register ACK and of the process
// CPU (client included) during each.
func BenchmarkSessionResume(b *testing.B) {
	dir := b.TempDir()
	names := make([]string, 50)
	for i := range names {
		names[i] = fmt.Sprintf("resume-%02d.fits", i)
		sbWriteImage(b, filepath.Join(dir, names[i]), sbImageSide, uint64(i))
	}
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("images=%d", n), func(b *testing.B) {
			fresh := sbStart(b, dir, "")
			dbPath := filepath.Join(b.TempDir(), "sessions.db")
			durable := sbStart(b, dir, dbPath)
			var fr, rs []sbTiming
			oneRound := func(resumeFirst bool) {
				for k := range 2 {
					if (k == 0) == resumeFirst {
						var t sbTiming
						durable, t = sbResumeRound(b, durable, dir, dbPath, names[:n])
						rs = append(rs, t)
					} else {
						fr = append(fr, sbFreshRound(b, fresh, names[:n]))
					}
					// Let the durable server commit what the round
					// changed, so no commit lands in the next timing.
					time.Sleep(sbSettle)
					runtime.GC()
				}
			}
			oneRound(false) // warm-up
			fr, rs = nil, nil
			round := 0
			for b.Loop() {
				oneRound(round%2 == 1)
				round++
			}
			tf, tr := sbField(fr, func(t sbTiming) time.Duration { return t.total }), sbField(rs, func(t sbTiming) time.Duration { return t.total })
			f, r := sbQuantile(tf, 0.5), sbQuantile(tr, 0.5)
			b.ReportMetric(sbMs(f), "fresh-ms")
			b.ReportMetric(sbMs(slices.Min(tf)), "fresh-min-ms")
			b.ReportMetric(sbMs(slices.Max(tf)), "fresh-max-ms")
			b.ReportMetric(sbMs(r), "resume-ms")
			b.ReportMetric(sbMs(slices.Min(tr)), "resume-min-ms")
			b.ReportMetric(sbMs(slices.Max(tr)), "resume-max-ms")
			b.ReportMetric(float64(r)/float64(f), "ratio")
			b.ReportMetric(1.2*sbMs(f)+50, "target-ms")
			med := func(ts []sbTiming, field func(sbTiming) time.Duration) float64 {
				return sbMs(sbQuantile(sbField(ts, field), 0.5))
			}
			b.ReportMetric(med(rs, func(t sbTiming) time.Duration { return t.restart }), "restart-ms")
			b.ReportMetric(med(fr, func(t sbTiming) time.Duration { return t.register }), "fresh-register-ms")
			b.ReportMetric(med(rs, func(t sbTiming) time.Duration { return t.register }), "resume-register-ms")
			b.ReportMetric(med(fr, func(t sbTiming) time.Duration { return t.cpu }), "fresh-cpu-ms")
			b.ReportMetric(med(rs, func(t sbTiming) time.Duration { return t.cpu }), "resume-cpu-ms")
			b.ReportMetric(float64(n), "images")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// sbTiming is one timed fresh open or resume.
type sbTiming struct {
	total    time.Duration // REGISTER_VIEWER to the last histogram / RESUME_SESSION_ACK
	register time.Duration // REGISTER_VIEWER to its ACK
	cpu      time.Duration // process CPU (client and server) during total
	restart  time.Duration // resume only: stopping the server and starting a new one
}

func sbField(ts []sbTiming, field func(sbTiming) time.Duration) []time.Duration {
	out := make([]time.Duration, len(ts))
	for i, t := range ts {
		out[i] = field(t)
	}
	return out
}

// sbFreshRound opens names in a new session on srv, timed, and closes
// them afterwards, untimed.
func sbFreshRound(tb testing.TB, srv *sbServer, names []string) sbTiming {
	cl := sbDial(tb, srv.addr)
	defer cl.close()
	var t sbTiming
	cpu0, start := sbCPU(), time.Now()
	cl.register(0)
	t.register = time.Since(start)
	cl.openAll(names)
	t.total, t.cpu = time.Since(start), sbCPU()-cpu0
	cl.send(icd.EventType_CLOSE_FILE, &icd.CloseFile{FileId: -1})
	cl.barrier()
	return t
}

// sbResumeRound builds a session holding names on srv (untimed), waits
// until it is stored, restarts the server on the same database and
// resumes the session, timed. It returns the new server.
func sbResumeRound(tb testing.TB, srv *sbServer, dir, dbPath string, names []string) (*sbServer, sbTiming) {
	cl := sbDial(tb, srv.addr)
	id := cl.register(0)
	cl.openAll(names)
	cl.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		snap, err := srv.db.Get(id)
		if err == nil && len(snap.Images) == len(names) {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("session %d with %d images never stored: %v %v", id, len(names), snap, err)
		}
		time.Sleep(time.Millisecond)
	}

	var t sbTiming
	t0 := time.Now()
	srv.stop()
	srv = sbStart(tb, dir, dbPath)
	t.restart = time.Since(t0)

	cl = sbDial(tb, srv.addr)
	defer cl.close()
	images := make([]*icd.ImageProperties, len(names))
	for i, name := range names {
		images[i] = &icd.ImageProperties{Directory: ".", File: name, FileId: int32(i)}
	}
	cpu0, start := sbCPU(), time.Now()
	var ack icd.RegisterViewerAck
	cl.registerAck(id, &ack)
	t.register = time.Since(start)
	if ack.SessionType != icd.SessionType_RESUMED || ack.SessionId != id || !strings.Contains(ack.Message, "restored") {
		tb.Fatalf("register %d after the restart: %+v", id, &ack)
	}
	cl.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: images})
	seen := map[int32]bool{}
	for {
		h, p := cl.read()
		switch h.Type {
		case icd.EventType_REGION_HISTOGRAM_DATA:
			var hd icd.RegionHistogramData
			cl.decode(p, &hd)
			seen[hd.FileId] = true
			continue
		case icd.EventType_RESUME_SESSION_ACK:
		default:
			tb.Fatalf("unexpected %s during resume", h.Type)
		}
		var rack icd.ResumeSessionAck
		cl.decode(p, &rack)
		if !rack.Success || rack.Message != "session resumed" || len(seen) != len(names) {
			tb.Fatalf("resume of %d images: %+v after %d histograms", len(names), &rack, len(seen))
		}
		t.total, t.cpu = time.Since(start), sbCPU()-cpu0
		return srv, t
	}
}

// --- a smoke test, so the benchmarks do not rot ------------------------------

// TestSessionBenchReplay runs the replay once against a server with a
// database and one without, and the resume of two images.
func TestSessionBenchReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 8 MiB of FITS and replays 340 requests")
	}
	dir := t.TempDir()
	const side = 256
	sbWriteCube(t, filepath.Join(dir, sbCubeName), side, sbCubeDepth)
	steps := sbScript(side, sbCubeDepth)
	counts := [sbKinds]int{}
	for _, s := range steps {
		counts[s.kind]++
	}
	if counts != [sbKinds]int{300, 30, 10} {
		t.Fatalf("script has %v requests by kind, want 300 cursor, 30 channel, 10 region", counts)
	}
	db := sbStart(t, dir, filepath.Join(t.TempDir(), "s.db"))
	r := sbRunReplay(t, db, steps, side)
	if _, snap := sbWaitStored(t, db.db, r); snap.Images[0].File != sbCubeName {
		t.Fatalf("stored image %v", snap.Images[0])
	}
	sbRunReplay(t, sbStart(t, dir, ""), steps, side)

	names := []string{"a.fits", "b.fits"}
	for i, n := range names {
		sbWriteImage(t, filepath.Join(dir, n), 64, uint64(i))
	}
	sbFreshRound(t, sbStart(t, dir, ""), names)
	dbPath := filepath.Join(t.TempDir(), "r.db")
	srv := sbStart(t, dir, dbPath)
	srv, _ = sbResumeRound(t, srv, dir, dbPath, names)
	srv.stop()
}
