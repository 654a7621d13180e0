package session

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"cartago/icd"
	"cartago/store"
)

// storedPipe is a client of a manager with a real bbolt store on dbPath.
func storedPipe(t *testing.T, dbPath string, folder *Folder, sessionID uint32) (*pipe, *Manager, uint32) {
	t.Helper()
	db, err := store.Open(dbPath, store.Options{NoSync: true})
	must(t, err)
	m := NewManager(Config{Store: db, Folder: folder, CheckpointInterval: time.Hour, SessionTTL: time.Hour,
		IdleTimeout: time.Minute, Logger: newTestManager(time.Minute).log})
	p := &pipe{t: t, wake: make(chan struct{}, 1)}
	p.client = m.NewClient(p, "pipe", nil)
	t.Cleanup(func() {
		p.client.Close()
		m.Close("test over")
		db.Close()
	})
	sendMsg(t, p, icd.EventType_REGISTER_VIEWER, icd.Version, 1, &icd.RegisterViewer{SessionId: sessionID, ClientFeatureFlags: 5})
	ack := expect(t, p, icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{})
	if !ack.Success {
		t.Fatalf("register: %s", ack.Message)
	}
	return p, m, ack.SessionId
}

// A moment image is session state: the snapshot keeps its recipe, and
// after the process dies (the database file copied as it was after the
// last commit, as kill -9 leaves it) RESUME_SESSION naming it computes
// it again, so its file id works. The reference cannot: frontend 6.0.0
// warns that generated images are unloaded on reconnect (icd.md §1.6).
func TestMomentImageRegeneratedOnResume(t *testing.T) {
	root := t.TempDir()
	writeMomentCube(t, filepath.Join(root, "m.fits"))
	folder, err := NewFolder(root, "")
	must(t, err)
	dbA := filepath.Join(t.TempDir(), "a.db")
	a, mA, id := storedPipe(t, dbA, folder, 0)
	sendMsg(t, a, icd.EventType_OPEN_FILE, 30, 5, &icd.OpenFile{Directory: ".", File: "m.fits", FileId: 0})
	skipTo(t, a, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	sendMsg(t, a, icd.EventType_MOMENT_REQUEST, 30, 7, &icd.MomentRequest{FileId: 0,
		Moments: []icd.Moment{icd.Moment_INTEGRATED_OF_THE_SPECTRUM}, RegionId: -1, SpectralRange: &icd.IntBounds{Min: 1, Max: 6}, RestFreq: momRest})
	if resp := awaitMoments(t, a, 7); !resp.Success || len(resp.OpenFileAcks) != 1 || resp.OpenFileAcks[0].FileId != 1 {
		t.Fatalf("moments: %+v", resp)
	}
	commitNow(t, mA) // the finished run asked for this checkpoint itself
	data, err := os.ReadFile(dbA)
	must(t, err)
	dbB := filepath.Join(t.TempDir(), "b.db")
	must(t, os.WriteFile(dbB, data, 0o600))

	b, _, idB := storedPipe(t, dbB, folder, id)
	if idB != id {
		t.Fatalf("resumed session %d, want %d", idB, id)
	}
	sendMsg(t, b, icd.EventType_RESUME_SESSION, 30, 8, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: "m.fits", FileId: 0},
		{Directory: ".", File: "m.fits.moment.integrated", FileId: 1},
	}})
	var ack icd.ResumeSessionAck
	skipTo(t, b, icd.EventType_RESUME_SESSION_ACK, &ack)
	if !ack.Success {
		t.Fatalf("resume: %+v", &ack)
	}
	drainToPong(t, b)
	for _, p := range [][2]int{{7, 9}, {5, 5}} {
		sendMsg(t, b, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: float32(p[0]), Y: float32(p[1])}})
		sp := expect(t, b, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
		if m0, _ := momOracle(p[0], p[1], 1, 6); sp.FileId != 1 || !closeTo(float64(sp.Value), m0) {
			t.Fatalf("cursor at %v on the regenerated moment 0: %+v, want %g", p, sp, m0)
		}
	}
	noErrorsToPong(t, b)
}
