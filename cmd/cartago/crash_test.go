package main

import (
	"context"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/sample"
	"cartago/store"
)

const (
	crashInterval = 20 * time.Millisecond
	// crashSlack covers the commit itself (an fsync, up to a few hundred
	// ms on a loaded disk) and scheduling on a busy 2-core machine: a
	// change is durable one interval plus one commit after it is made.
	crashSlack = 400 * time.Millisecond
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// crashRig runs the real binary on one database and sample folder.
type crashRig struct {
	t        *testing.T
	root, db string
	port     string // the same on every restart, as a frontend expects
}

func newCrashRig(t *testing.T) *crashRig {
	root := t.TempDir()
	if err := sample.Generate(context.Background(), root, sample.Options{Small: true}); err != nil {
		t.Fatal(err)
	}
	return &crashRig{t: t, root: root, db: filepath.Join(t.TempDir(), "s.db"), port: freePort(t)}
}

func (r *crashRig) start() *serverProc {
	return startProcess(r.t, "--root", r.root, "--db", r.db, "--no-frontend", "--port", r.port,
		"--checkpoint-interval", crashInterval.String())
}

// kill ends the server with SIGKILL: no flush, no cleanup.
func (r *crashRig) kill(s *serverProc) {
	r.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		r.t.Fatal(err)
	}
	<-s.done
}

// stored opens the database after a kill, checks it and returns the
// snapshot of id.
func (r *crashRig) stored(id uint32) *store.Snapshot {
	r.t.Helper()
	db, err := store.Open(r.db, store.Options{ReadOnly: true})
	if err != nil {
		r.t.Fatalf("database after SIGKILL: %v", err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		r.t.Fatalf("bbolt check after SIGKILL: %v", err)
	}
	snap, err := db.Get(id)
	if err != nil {
		r.t.Fatalf("session %d after SIGKILL: %v", id, err)
	}
	return snap
}

const crashCube = "cube-512x512x200.fits" // 64×64×8 in the small set

// TestKill9ThenResume: state set before a SIGKILL comes back after a
// restart on the same database, and its data streams resume.
func TestKill9ThenResume(t *testing.T) {
	r := newCrashRig(t)
	srv := r.start()
	c := dialServer(t, srv.url)
	c.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{})
	var ack icd.RegisterViewerAck
	c.await(icd.EventType_REGISTER_VIEWER_ACK, &ack)
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: crashCube, FileId: 1})
	c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	c.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 1, Channel: 5})
	c.send(icd.EventType_SET_SPATIAL_REQUIREMENTS, &icd.SetSpatialRequirements{FileId: 1,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}}})
	c.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: 10, Y: 20}})
	c.await(icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)

	snap := r.stored(ack.SessionId)
	if len(snap.Images) != 1 || snap.Images[0].Channel != 5 || snap.Images[0].Cursor.GetX() != 10 || len(snap.Images[0].CursorSpatial) != 1 {
		t.Fatalf("snapshot after kill: %v", snap)
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	c.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{SessionId: ack.SessionId})
	var again icd.RegisterViewerAck
	c.await(icd.EventType_REGISTER_VIEWER_ACK, &again)
	if again.SessionType != icd.SessionType_RESUMED || again.SessionId != ack.SessionId {
		t.Fatalf("register after restart: %+v", &again)
	}
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: crashCube, FileId: 1, Channel: 5}}})
	var hist icd.RegionHistogramData
	c.await(icd.EventType_REGION_HISTOGRAM_DATA, &hist)
	var sp icd.SpatialProfileData
	c.await(icd.EventType_SPATIAL_PROFILE_DATA, &sp)
	var rack icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &rack)
	if hist.Channel != 5 || sp.X != 10 || sp.Y != 20 || len(sp.Profiles) != 1 || !rack.Success {
		t.Fatalf("after restart: histogram channel %d, cursor (%d,%d) with %d profiles, ack %+v", hist.Channel, sp.X, sp.Y, len(sp.Profiles), &rack)
	}
}

// TestKill9AtRandomMoments kills the server at random points of a
// scripted session, 20 times: the database always opens and checks
// clean, and no change older than one interval (plus scheduling slack)
// is lost.
func TestKill9AtRandomMoments(t *testing.T) {
	cycles := 20
	if testing.Short() {
		cycles = 3
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	r := newCrashRig(t)
	var id uint32
	var stored int32 // channel on disk after the last kill; opening sets 0
	for cycle := range cycles {
		srv := r.start()
		c := dialServer(t, srv.url)
		c.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{SessionId: id})
		var ack icd.RegisterViewerAck
		c.await(icd.EventType_REGISTER_VIEWER_ACK, &ack)
		id = ack.SessionId
		c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: crashCube, FileId: 1})
		c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})

		type change struct {
			at      time.Time
			channel int32
		}
		var changes []change
		killAt := time.Now().Add(time.Duration(50+rng.IntN(250)) * time.Millisecond)
		for time.Now().Before(killAt) {
			ch := int32(rng.IntN(8))
			changes = append(changes, change{time.Now(), ch})
			c.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 1, Channel: ch})
			time.Sleep(time.Duration(rng.IntN(15)) * time.Millisecond)
		}
		r.kill(srv)
		killed := time.Now()

		snap := r.stored(id)
		if len(snap.Images) != 1 {
			t.Fatalf("cycle %d: %d images stored", cycle, len(snap.Images))
		}
		// The stored channel must come from a change no older than the
		// last one made before killed - interval - slack.
		// If every change is younger than that, what the previous cycle
		// stored may still be all there is.
		oldest, ok := 0, true
		for i, c := range changes {
			if c.at.Before(killed.Add(-crashInterval - crashSlack)) {
				oldest, ok = i, false
			}
		}
		ok = ok && snap.Images[0].Channel == stored
		for _, c := range changes[oldest:] {
			ok = ok || c.channel == snap.Images[0].Channel
		}
		if !ok {
			t.Fatalf("cycle %d: stored channel %d is older than the durability promise allows (changes %v)", cycle, snap.Images[0].Channel, changes)
		}
		stored = snap.Images[0].Channel
	}
}
