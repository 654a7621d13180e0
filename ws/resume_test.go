package ws

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/tiles"
	"cartago/session"
	"cartago/store"
	"cartago/ws/wstest"
)

// durable is a server with a session database that a test can stop and
// start again on the same files, like a restart.
type durable struct {
	t      *testing.T
	root   string
	dbPath string
	token  string
	ts     *testServer
	db     *store.Store
	stopFn func()
}

func newDurable(t *testing.T) *durable {
	root := t.TempDir()
	writeCube(t, filepath.Join(root, "cube.fits"))
	writeCube(t, filepath.Join(root, "other.fits"))
	d := &durable{t: t, root: root, dbPath: filepath.Join(t.TempDir(), "s.db"), token: testToken}
	d.start()
	t.Cleanup(d.stop)
	return d
}

func (d *durable) start() {
	t := d.t
	db, err := store.Open(d.dbPath, store.Options{NoSync: true})
	must(t, err)
	folder, err := session.NewFolder(d.root, "")
	must(t, err)
	mgr := session.NewManager(session.Config{Folder: folder, Store: db, CheckpointInterval: 5 * time.Millisecond,
		IdleTimeout: time.Minute, Logger: quietLogger()})
	srv, err := New(Config{AuthToken: d.token, Logger: quietLogger()}, mgr)
	must(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	d.ts, d.db = &testServer{srv: srv, mgr: mgr, addr: l.Addr().String()}, db
	d.stopFn = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		mgr.Close("restart")
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		db.Close()
	}
}

func (d *durable) stop() {
	if d.stopFn != nil {
		d.stopFn()
		d.stopFn = nil
	}
}

func (d *durable) restart() {
	d.stop()
	d.start()
}

// waitStored polls the database until check accepts the snapshot.
func (d *durable) waitStored(id uint32, check func(*store.Snapshot) bool) *store.Snapshot {
	d.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		snap, err := d.db.Get(id)
		if err == nil && check(snap) {
			return snap
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("stored snapshot of %d never matched: %v %v", id, snap, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// barrier proves nothing else is queued: the next message is the PONG.
func barrier(t *testing.T, c *websocket.Conn) {
	t.Helper()
	wt := wstest.WrapT(t, c)
	wt.Timeout = 5 * time.Second
	wt.Barrier()
}

var xy = []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}, {Coordinate: "y"}}

// buildSession opens cube.fits as file 3 at channel 2 with a cursor and
// profile requirements, and other.fits as file 4, and returns the id.
func buildSession(t *testing.T, d *durable) uint32 {
	c := d.ts.dial(t, d.token)
	id := register(t, c, 0).SessionId
	openCube(t, c, 3)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 6, &icd.OpenFile{Directory: ".", File: "other.fits", FileId: 4})
	expect(t, c, icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 7, &icd.SetImageChannels{FileId: 3, Channel: 2})
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 8, &icd.SetSpatialRequirements{FileId: 3, SpatialProfiles: xy})
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: 3, Point: &icd.Point{X: 7, Y: 9}})
	// One or two profile messages, depending on whether the requirement's
	// job ran before the cursor arrived.
	expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	drainToPong(t, c)
	d.waitStored(id, func(s *store.Snapshot) bool {
		return len(s.Images) == 2 && s.Images[0].Cursor != nil && s.Images[0].Channel == 2 && len(s.Images[0].CursorSpatial) == 2
	})
	c.Close()
	return id
}

func TestCheckpointHoldsSessionState(t *testing.T) {
	d := newDurable(t)
	id := buildSession(t, d)
	snap, err := d.db.Get(id)
	must(t, err)
	img := snap.Images[0]
	owner := sha256.Sum256([]byte(testToken))
	if img.FileId != 3 || img.File != "cube.fits" || img.Directory != "." || img.Cursor.X != 7 ||
		string(snap.Owner) != string(owner[:]) || snap.CreatedUnixMs == 0 || snap.LastActiveUnixMs < snap.CreatedUnixMs {
		t.Fatalf("snapshot %v", snap)
	}
}

func TestResumeAfterRestart(t *testing.T) {
	d := newDurable(t)
	id := buildSession(t, d)
	d.restart()

	c := d.ts.dial(t, d.token)
	ack := register(t, c, id)
	if ack.SessionType != icd.SessionType_RESUMED || ack.SessionId != id || !strings.Contains(ack.Message, "restored") {
		t.Fatalf("register after restart: %+v", ack)
	}
	// The frontend resends file 3 only (file 4 was closed client-side),
	// at channel 1, with its cursor as region 0.
	sendMsg(t, c, icd.EventType_RESUME_SESSION, 30, 2, &icd.ResumeSession{Images: []*icd.ImageProperties{{
		Directory: ".", File: "cube.fits", FileId: 3, Channel: 1,
		Regions:         map[int32]*icd.RegionInfo{0: {RegionType: icd.RegionType_POINT, ControlPoints: []*icd.Point{{X: 11, Y: 12}}}},
		ContourSettings: &icd.SetContourParameters{}, VectorOverlaySettings: &icd.SetVectorOverlayParameters{},
	}}})
	// Data the merged requirements call for comes before the frontend
	// re-sends anything: histogram, then the cursor with x/y profiles
	// (the requirements came from the snapshot).
	checkImageHistogram(t, expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}), 3, 1)
	sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if sp.X != 11 || sp.Y != 12 || sp.Channel != 1 || len(sp.Profiles) != 2 || sp.Value != cubeValue(11, 12, 1) {
		t.Fatalf("restored cursor data %+v", sp)
	}
	rack := expect(t, c, icd.EventType_RESUME_SESSION_ACK, &icd.ResumeSessionAck{})
	if !rack.Success || rack.Message != "session resumed" {
		t.Fatalf("resume ack %+v", rack)
	}
	// The frontend re-sends the same requirements and gets the data again.
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 3, &icd.SetSpatialRequirements{FileId: 3, SpatialProfiles: xy})
	if sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{}); sp.X != 11 || len(sp.Profiles) != 2 {
		t.Fatalf("cursor data after the repeated requirements %+v", sp)
	}
	// Tiles work for the restored file at its channel.
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 4, &icd.AddRequiredTiles{FileId: 3, Tiles: []int32{tiles.Encode(0, 0, 0)}})
	readTileGroup(t, c, 3, 1)
	// File 4 was not in the message: gone from the session and the store.
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 5, &icd.SetCursor{FileId: 4, Point: &icd.Point{X: 1, Y: 1}})
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); e.Message != "File id 4 not found" {
		t.Fatalf("cursor on file 4: %q", e.Message)
	}
	d.waitStored(id, func(s *store.Snapshot) bool { return len(s.Images) == 1 && s.Images[0].Channel == 1 })
}

func TestResumeReportsWhatItCannotRestore(t *testing.T) {
	d := newDurable(t)
	id := buildSession(t, d)
	d.restart()
	c := d.ts.dial(t, d.token)
	register(t, c, id)
	sendMsg(t, c, icd.EventType_RESUME_SESSION, 30, 2, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: "gone.fits", FileId: 3},
		{Directory: ".", File: "other.fits", FileId: 4, Channel: 99,
			Regions:         map[int32]*icd.RegionInfo{5: {RegionType: icd.RegionType_RECTANGLE}, -2: {}},
			ContourSettings: &icd.SetContourParameters{Levels: []float64{1, 2}}},
	}})
	var warnings []string
	var ack *icd.ResumeSessionAck
	for ack == nil {
		h, p := next(t, c)
		switch h.Type {
		case icd.EventType_ERROR_DATA:
			var e icd.ErrorData
			must(t, proto.Unmarshal(p, &e))
			warnings = append(warnings, e.Message)
		case icd.EventType_RESUME_SESSION_ACK:
			ack = &icd.ResumeSessionAck{}
			must(t, proto.Unmarshal(p, ack))
		}
	}
	for _, want := range []string{"gone.fits", "region 5", "channel 99"} {
		if !ack.Success || !strings.Contains(ack.Message, want) {
			t.Errorf("ack %q (success %v) does not mention %q", ack.Message, ack.Success, want)
		}
	}
	if len(warnings) != 3 {
		t.Errorf("warnings %q, want one per problem", warnings)
	}
	// The image with problems is open anyway, at channel 0.
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 3, &icd.AddRequiredTiles{FileId: 4, Tiles: []int32{tiles.Encode(0, 0, 0)}})
	readTileGroup(t, c, 4, 0)
}

func TestStoredImageReopensWithoutResumeSession(t *testing.T) {
	d := newDurable(t)
	id := buildSession(t, d)
	d.restart()
	c := d.ts.dial(t, d.token)
	register(t, c, id)
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 2, &icd.AddRequiredTiles{FileId: 3, Tiles: []int32{tiles.Encode(0, 0, 0)}})
	checkImageHistogram(t, expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}), 3, 2)
	if sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{}); sp.X != 7 || sp.Channel != 2 {
		t.Fatalf("restored cursor %+v", sp)
	}
	readTileGroup(t, c, 3, 2)
}

func TestResumeAfterNetworkDropKeepsImagesOpen(t *testing.T) {
	d := newDurable(t)
	c := d.ts.dial(t, d.token)
	id := register(t, c, 0).SessionId
	openCube(t, c, 0)
	c.Close() // the network drops; the server keeps the session

	c2 := d.ts.dial(t, d.token)
	if ack := register(t, c2, id); !strings.Contains(ack.Message, "reconnected") {
		t.Fatalf("reconnect ack %+v", ack)
	}
	sendMsg(t, c2, icd.EventType_RESUME_SESSION, 30, 2, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: "cube.fits", FileId: 0, Channel: 4}}})
	checkImageHistogram(t, expect(t, c2, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}), 0, 4)
	if ack := expect(t, c2, icd.EventType_RESUME_SESSION_ACK, &icd.ResumeSessionAck{}); !ack.Success {
		t.Fatalf("resume ack %+v", ack)
	}
}

func TestOtherTokenCannotResume(t *testing.T) {
	d := newDurable(t)
	id := buildSession(t, d)
	d.token = "another-token"
	d.restart()
	c := d.ts.dial(t, d.token)
	ack := register(t, c, id)
	if ack.Success || strings.Contains(ack.Message, "cube") || !strings.Contains(ack.Message, "cannot be resumed") {
		t.Fatalf("foreign resume: %+v", ack)
	}
	// The stored session is untouched.
	if snap, err := d.db.Get(id); err != nil || len(snap.Images) != 2 {
		t.Fatalf("stored session after a refused resume: %v %v", snap, err)
	}
}

func TestUnknownIDStartsEmptySession(t *testing.T) {
	d := newDurable(t)
	c := d.ts.dial(t, d.token)
	ack := register(t, c, 424242)
	if ack.SessionType != icd.SessionType_RESUMED || ack.SessionId != 424242 || !strings.Contains(ack.Message, "unknown") {
		t.Fatalf("unknown id: %+v", ack)
	}
	sendMsg(t, c, icd.EventType_RESUME_SESSION, 30, 2, &icd.ResumeSession{})
	if ack := expect(t, c, icd.EventType_RESUME_SESSION_ACK, &icd.ResumeSessionAck{}); !ack.Success {
		t.Fatalf("resume of nothing: %+v", ack)
	}
}

func TestResumeRestoresRegionsAndTheirRequirements(t *testing.T) {
	d := newDurable(t)
	c := d.ts.dial(t, d.token)
	id := register(t, c, 0).SessionId
	openCube(t, c, 0)
	ack := setRegion(t, c, 3, 0, -1, box(10, 20, 4, 4))
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 4, &icd.SetStatsRequirements{FileId: 0, RegionId: ack.RegionId,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: allStats}}})
	expect(t, c, icd.EventType_REGION_STATS_DATA, &icd.RegionStatsData{})
	d.waitStored(id, func(s *store.Snapshot) bool {
		r := s.GetImages()[0].GetRegions()[ack.RegionId]
		return r != nil && len(r.Stats) == 1
	})
	c.Close()
	d.restart()

	c = d.ts.dial(t, d.token)
	register(t, c, id)
	// The frontend resends the region (moved meanwhile) but not the
	// statistics requirement; the server has it.
	sendMsg(t, c, icd.EventType_RESUME_SESSION, 30, 2, &icd.ResumeSession{Images: []*icd.ImageProperties{{
		Directory: ".", File: "cube.fits", FileId: 0,
		Regions: map[int32]*icd.RegionInfo{ack.RegionId: box(2, 2, 4, 4)},
	}}})
	st := expect(t, c, icd.EventType_REGION_STATS_DATA, &icd.RegionStatsData{})
	if st.RegionId != ack.RegionId {
		t.Fatalf("stats for region %d", st.RegionId)
	}
	checkStats(t, st, boxStats(0, 4, 0, 4, 0))
	for {
		h, _ := next(t, c)
		if h.Type == icd.EventType_RESUME_SESSION_ACK {
			break
		}
	}
	// New regions get ids above the restored ones.
	if again := setRegion(t, c, 5, 0, -1, box(30, 30, 2, 2)); again.RegionId <= ack.RegionId {
		t.Fatalf("new region id %d after restored %d", again.RegionId, ack.RegionId)
	}
}

// TestResumeWithContoursAndAnimation: a session with contours and a
// running animation survives a restart: contours come back from the
// resumed settings, the animation does not (the frontend stops it before
// resuming), and nothing of it leaks into the new connection.
func TestResumeWithContoursAndAnimation(t *testing.T) {
	d := newDurable(t)
	c := d.ts.dial(t, d.token)
	id := register(t, c, 0).SessionId
	openCube(t, c, 0)
	levels := []float64{20500}
	sendMsg(t, c, icd.EventType_SET_CONTOUR_PARAMETERS, 30, 3, &icd.SetContourParameters{FileId: 0, Levels: levels, ContourChunkSize: 100000})
	expect(t, c, icd.EventType_CONTOUR_IMAGE_DATA, &icd.ContourImageData{})
	sendMsg(t, c, icd.EventType_START_ANIMATION, 30, 4, &icd.StartAnimation{
		FileId: 0, FirstFrame: &icd.AnimationFrame{}, StartFrame: &icd.AnimationFrame{},
		LastFrame: &icd.AnimationFrame{Channel: cubeD - 1}, DeltaFrame: &icd.AnimationFrame{Channel: 1},
		FrameRate: 30, Looping: true,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}},
	})
	skipTo(t, c, icd.EventType_START_ANIMATION_ACK, &icd.StartAnimationAck{})
	skipTo(t, c, icd.EventType_RASTER_TILE_DATA, &icd.RasterTileData{})
	d.waitStored(id, func(s *store.Snapshot) bool { return s.GetImages()[0].GetContours() != nil })
	c.Close() // mid-animation
	d.restart()

	c = d.ts.dial(t, d.token)
	register(t, c, id)
	sendMsg(t, c, icd.EventType_STOP_ANIMATION, 30, 2, &icd.StopAnimation{FileId: 0}) // as the frontend does first
	sendMsg(t, c, icd.EventType_RESUME_SESSION, 30, 3, &icd.ResumeSession{Images: []*icd.ImageProperties{{
		Directory: ".", File: "cube.fits", FileId: 0, Channel: 2,
		ContourSettings: &icd.SetContourParameters{FileId: 0, Levels: levels, ContourChunkSize: 100000},
	}}})
	var gotContours, gotAck bool
	for !gotAck {
		h, p := next(t, c)
		switch h.Type {
		case icd.EventType_CONTOUR_IMAGE_DATA:
			var m icd.ContourImageData
			must(t, proto.Unmarshal(p, &m))
			gotContours = gotContours || (m.Channel == 2 && len(m.ContourSets) == 1)
		case icd.EventType_RASTER_TILE_DATA, icd.EventType_RASTER_TILE_SYNC:
			t.Fatal("tiles after a resume without a tile request (the animation must not come back)")
		case icd.EventType_RESUME_SESSION_ACK:
			gotAck = true
		}
	}
	if !gotContours {
		t.Fatal("no contours for the resumed channel")
	}
	drainToPong(t, c)
	time.Sleep(100 * time.Millisecond) // three frame intervals of the old animation
	barrier(t, c)
}

// skipTo reads past other messages up to one of type et.
func skipTo(t *testing.T, c *websocket.Conn, et icd.EventType, m proto.Message) {
	t.Helper()
	for {
		h, p := next(t, c)
		if h.Type == et {
			must(t, proto.Unmarshal(p, m))
			return
		}
	}
}
