package session

import (
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/fits"
)

// sharedManager returns a manager whose folder holds the memory tests'
// stokes.fits (see budgetClient), with a budget of limit bytes and a
// cache of cacheSize.
func sharedManager(t *testing.T, limit, cacheSize int64, idle time.Duration) (*Manager, *budget.Memory) {
	t.Helper()
	root := t.TempDir()
	writeStokes(t, filepath.Join(root, "stokes.fits"), 0)
	folder, err := NewFolder(root, "")
	must(t, err)
	mem := budget.NewMemory(limit)
	m := NewManager(Config{Folder: folder, Memory: mem, CacheSize: cacheSize, IdleTimeout: idle, Logger: newTestManager(time.Minute).log})
	t.Cleanup(func() { m.Close("test over") })
	return m, mem
}

// writeStokes writes a memW×memH image with Stokes I, Q, U, V whose value
// at flat index i is i%1000 + 1 + offset.
func writeStokes(t *testing.T, path string, offset float32) {
	t.Helper()
	data := make([]float32, memW*memH*4)
	for i := range data {
		data[i] = float32(i%1000) + 1 + offset
	}
	f, err := os.Create(path)
	must(t, err)
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{memW, memH, 1, 4}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("CTYPE4", "STOKES", ""),
		fits.NewFloatCard("CRVAL4", 1, ""), fits.NewFloatCard("CDELT4", 1, ""), fits.NewFloatCard("CRPIX4", 1, ""),
	}}))
	must(t, f.Close())
}

// memStokesValue is writeStokes' value at (x, y) of Stokes index s.
func memStokesValue(x, y, s int, offset float32) float32 {
	return float32((s*memW*memH+y*memW+x)%1000) + 1 + offset
}

func newRegistered(t *testing.T, m *Manager) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	c := m.NewClient(rec, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	return c, rec
}

// cursorValue sets the cursor of image id at (x, y) and returns the
// value of the first SPATIAL_PROFILE_DATA sent after it for (x, y) and
// Stokes stokes (a channel change also sends the cursor's data).
func cursorValue(t *testing.T, c *Client, rec *recorder, id int32, x, y, stokes int) float32 {
	t.Helper()
	rec.mu.Lock()
	from := len(rec.sent)
	rec.mu.Unlock()
	handle(t, c, icd.EventType_SET_CURSOR, 50, &icd.SetCursor{FileId: id, Point: &icd.Point{X: float32(x), Y: float32(y)}})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		rec.mu.Lock()
		for _, s := range rec.sent[from:] {
			if p, ok := s.msg.(*icd.SpatialProfileData); ok && p.FileId == id && p.X == int32(x) && p.Y == int32(y) && p.Stokes == int32(stokes) {
				rec.mu.Unlock()
				return p.Value
			}
		}
		rec.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no cursor value at (%d, %d) Stokes %d", x, y, stokes)
	return 0
}

func TestSessionsShareOneDecodedPlane(t *testing.T) {
	m, mem := sharedManager(t, 64*memPlane, 64*memPlane, time.Minute)
	const n = 8
	var wg sync.WaitGroup
	for range n {
		c, rec := newRegistered(t, m)
		wg.Go(func() {
			if ack := openAck(t, c, rec, 0); !ack.Success {
				t.Error(ack.Message)
				return
			}
			handle(t, c, icd.EventType_ADD_REQUIRED_TILES, 60, &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{0},
				CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11})
			waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, 1)
			waitSent(t, rec, icd.EventType_RASTER_TILE_DATA, 1)
		})
	}
	wg.Wait()
	// One plane decoded, one histogram computed, one tile encoded, for
	// every session.
	if s := m.cache.Stats(); s.Loads != 3 || s.Opens != 1 {
		t.Fatalf("cache %+v after %d sessions opened one image; want 3 loads (plane, histogram, tile) and 1 open", s, n)
	}
	if used := mem.Stats().Used; used > memPlane+memPlane/4 { // the plane, its histogram and one encoded tile
		t.Fatalf("budget used %d by %d sessions of one image, want about one plane (%d)", used, n, memPlane)
	}
}

func TestAReplacedFileIsServedAnew(t *testing.T) {
	m, _ := sharedManager(t, 0, 64*memPlane, time.Minute)
	c, rec := newRegistered(t, m)
	if ack := openAck(t, c, rec, 0); !ack.Success {
		t.Fatal(ack.Message)
	}
	if v, want := cursorValue(t, c, rec, 0, 3, 5, 0), memStokesValue(3, 5, 0, 0); v != want {
		t.Fatalf("cursor value %v, want %v", v, want)
	}
	// Rewritten in place, same size: only the modification time differs.
	path := filepath.Join(m.folder.Root(), "stokes.fits")
	writeStokes(t, path, 5000)
	later := time.Now().Add(time.Minute)
	must(t, os.Chtimes(path, later, later))
	if ack := openAck(t, c, rec, 1); !ack.Success {
		t.Fatal(ack.Message)
	}
	if v, want := cursorValue(t, c, rec, 1, 3, 5, 0), memStokesValue(3, 5, 0, 5000); v != want {
		t.Fatalf("cursor value %v of the rewritten file, want %v", v, want)
	}
}

func TestASmallCacheKeepsServingCorrectData(t *testing.T) {
	m, mem := sharedManager(t, 64*memPlane, memPlane, time.Minute) // keeps one unused plane
	a, recA := newRegistered(t, m)
	b, recB := newRegistered(t, m)
	for _, c := range []*Client{a, b} {
		rec := map[*Client]*recorder{a: recA, b: recB}[c]
		if ack := openAck(t, c, rec, 0); !ack.Success {
			t.Fatal(ack.Message)
		}
	}
	for round := range 3 {
		for _, s := range []int{0, 1, 2, 3, 13} {
			for _, c := range []*Client{a, b} {
				rec := map[*Client]*recorder{a: recA, b: recB}[c]
				handle(t, c, icd.EventType_SET_IMAGE_CHANNELS, 70, &icd.SetImageChannels{FileId: 0, Stokes: int32(s)})
				x, y := 7+round, 9+s
				want := memStokesValue(x, y, s, 0)
				if s == 13 { // Ptotal: √(Q²+U²+V²)
					q, u, v := float64(memStokesValue(x, y, 1, 0)), float64(memStokesValue(x, y, 2, 0)), float64(memStokesValue(x, y, 3, 0))
					want = float32(math.Sqrt(q*q + u*u + v*v))
				}
				if got := cursorValue(t, c, rec, 0, x, y, s); got != want {
					t.Fatalf("round %d Stokes %d: cursor value %v, want %v", round, s, got, want)
				}
			}
		}
	}
	if s := m.cache.Stats(); s.Evictions == 0 {
		t.Fatalf("cache %+v: nothing evicted from a cache of one plane", s)
	}
	// Two frames hold a plane each; a third is at most the one kept unused.
	if used := mem.Stats().Used; used > 3*memPlane+memPlane/8 {
		t.Fatalf("budget used %d with two images open, want at most three planes", used)
	}
}

func TestMemoryPressureEvictsWhatDetachedSessionsHeld(t *testing.T) {
	m, mem := sharedManager(t, 2*memPlane+memPlane/2, 64*memPlane, time.Minute)
	root := m.folder.Root()
	writeStokes(t, filepath.Join(root, "b.fits"), 1)
	writeStokes(t, filepath.Join(root, "c.fits"), 2)
	open := func(c *Client, rec *recorder, name string) *icd.OpenFileAck {
		handle(t, c, icd.EventType_OPEN_FILE, 80, &icd.OpenFile{Directory: ".", File: name, FileId: 0})
		acks := waitSent(t, rec, icd.EventType_OPEN_FILE_ACK, 1)
		if ack := acks[0].msg.(*icd.OpenFileAck); !ack.Success {
			return ack
		}
		waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, 1) // the plane is decoded
		return acks[0].msg.(*icd.OpenFileAck)
	}
	gone, recGone := newRegistered(t, m)
	if ack := open(gone, recGone, "stokes.fits"); !ack.Success {
		t.Fatal(ack.Message)
	}
	gone.Close() // detached; its session waits a minute for the frontend
	waitFor(t, "the detached session's plane to be unused", func() bool { return m.cache.Unused() >= memPlane })
	stay, recStay := newRegistered(t, m)
	if ack := open(stay, recStay, "b.fits"); !ack.Success {
		t.Fatal(ack.Message)
	}
	late, recLate := newRegistered(t, m)
	if ack := open(late, recLate, "c.fits"); !ack.Success {
		t.Fatalf("open with a detached session's plane evictable: %s", ack.Message)
	}
	if m.Len() != 3 || mem.Stats().Used > 2*memPlane+memPlane/2 {
		t.Fatalf("%d sessions, budget %+v", m.Len(), mem.Stats())
	}
	// The connected session's data is still there and right.
	if v, want := cursorValue(t, stay, recStay, 0, 2, 2, 0), memStokesValue(2, 2, 0, 1); v != want {
		t.Fatalf("cursor value %v, want %v", v, want)
	}
}

func TestResumedSessionsDecodeEachPlaneOnce(t *testing.T) {
	root := t.TempDir()
	writeStokes(t, filepath.Join(root, "stokes.fits"), 0)
	folder, err := NewFolder(root, "")
	must(t, err)
	db := openTestStore(t)
	cfg := Config{Folder: folder, Store: db, CacheSize: 64 * memPlane, CheckpointInterval: time.Hour,
		Logger: newTestManager(time.Minute).log}
	before := NewManager(cfg)
	const n = 20
	ids := make([]uint32, n)
	for i := range ids {
		c, rec := newRegistered(t, before)
		if ack := openAck(t, c, rec, 0); !ack.Success {
			t.Fatal(ack.Message)
		}
		ids[i] = c.session.ID
	}
	commitNow(t, before)
	before.Close("restart")

	after := NewManager(cfg)
	t.Cleanup(func() { after.Close("test over") })
	var wg sync.WaitGroup
	for _, id := range ids {
		rec := &recorder{}
		c := after.NewClient(rec, "test", nil)
		wg.Go(func() {
			handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{SessionId: id})
			// The first request about the image reopens it from the snapshot.
			handle(t, c, icd.EventType_ADD_REQUIRED_TILES, 2, &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{0},
				CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11})
			waitSent(t, rec, icd.EventType_RASTER_TILE_DATA, 1)
			waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, 1)
		})
	}
	wg.Wait()
	if s := after.cache.Stats(); s.Loads != 3 || s.Opens != 1 {
		t.Fatalf("cache %+v after %d sessions resumed on one image; want 3 loads (plane, histogram, tile) and 1 open", s, n)
	}
}
