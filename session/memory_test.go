package session

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/fits"
)

// Test image of the memory tests: memW×memH with Stokes I, Q, U, V, so
// derived polarizations read three planes besides the frame's own.
const (
	memW, memH = 128, 128
	memPlane   = 4 * memW * memH
)

// budgetClient registers a client on a manager with a budget of limit
// bytes and an image "stokes.fits" in its folder.
func budgetClient(t *testing.T, limit int64, idle time.Duration) (*Client, *recorder, *Manager, *budget.Memory) {
	t.Helper()
	root := t.TempDir()
	data := make([]float32, memW*memH*4)
	for i := range data {
		data[i] = float32(i%1000) + 1
	}
	f, err := os.Create(filepath.Join(root, "stokes.fits"))
	must(t, err)
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{memW, memH, 1, 4}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("CTYPE4", "STOKES", ""),
		fits.NewFloatCard("CRVAL4", 1, ""), fits.NewFloatCard("CDELT4", 1, ""), fits.NewFloatCard("CRPIX4", 1, ""),
	}}))
	must(t, f.Close())
	folder, err := NewFolder(root, "")
	must(t, err)
	mem := budget.NewMemory(limit)
	m := NewManager(Config{Folder: folder, Memory: mem, IdleTimeout: idle, Logger: newTestManager(time.Minute).log})
	t.Cleanup(func() { m.Close("test over") })
	rec := &recorder{}
	c := m.NewClient(rec, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	return c, rec, m, mem
}

// openAck opens stokes.fits under id and returns its ack.
func openAck(t *testing.T, c *Client, rec *recorder, id int32) *icd.OpenFileAck {
	t.Helper()
	rec.mu.Lock()
	req := uint32(1000 + len(rec.sent)) // unique: more is sent with every request
	rec.mu.Unlock()
	handle(t, c, icd.EventType_OPEN_FILE, req, &icd.OpenFile{Directory: ".", File: "stokes.fits", FileId: id})
	for _, s := range waitSent(t, rec, icd.EventType_OPEN_FILE_ACK, 1) {
		if s.req == req {
			return s.msg.(*icd.OpenFileAck)
		}
	}
	t.Fatalf("no OPEN_FILE_ACK for request %d", req)
	return nil
}

// waitUsed polls until the budget's use is want.
func waitUsed(t *testing.T, mem *budget.Memory, want int64, when string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for mem.Stats().Used != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: budget used %d, want %d", when, mem.Stats().Used, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestOpenBeyondTheMemoryBudgetIsRefused(t *testing.T) {
	c, rec, _, mem := budgetClient(t, memPlane+memPlane/2, time.Minute)
	// Opens of one file share its plane: it is charged once.
	for id := range int32(3) {
		if ack := openAck(t, c, rec, id); !ack.Success {
			t.Fatalf("open %d of one file within the budget of one plane: %s", id, ack.Message)
		}
	}
	waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, 3)
	if s := mem.Stats(); s.Used > memPlane+memPlane/8 {
		t.Fatalf("budget %+v, want one plane used by three images of one file", s)
	}
	// An image whose plane cannot fit is refused.
	root := c.mgr.folder.Root()
	f, err := os.Create(filepath.Join(root, "big.fits"))
	must(t, err)
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{memW, 2 * memH}, Data: make([]float32, 2*memW*memH)}))
	must(t, f.Close())
	handle(t, c, icd.EventType_OPEN_FILE, 199, &icd.OpenFile{Directory: ".", File: "big.fits", FileId: 3})
	ack := waitSent(t, rec, icd.EventType_OPEN_FILE_ACK, 4)[3].msg.(*icd.OpenFileAck)
	if ack.Success || !strings.Contains(ack.Message, "--memory-limit") || !strings.Contains(ack.Message, "big.fits") {
		t.Fatalf("open over the budget: success %v, message %q", ack.Success, ack.Message)
	}
	// Replacing an open image under its id needs no room for both.
	if ack := openAck(t, c, rec, 2); !ack.Success {
		t.Fatalf("reopen under an open id at a full budget: %s", ack.Message)
	}
	// The images already open keep working.
	handle(t, c, icd.EventType_ADD_REQUIRED_TILES, 200, &icd.AddRequiredTiles{FileId: 1, Tiles: []int32{0}})
	waitSent(t, rec, icd.EventType_RASTER_TILE_DATA, 1)
	handle(t, c, icd.EventType_CLOSE_FILE, 201, &icd.CloseFile{FileId: 0})
	if ack := openAck(t, c, rec, 4); !ack.Success {
		t.Fatalf("open after a close: %s", ack.Message)
	}
}

// useEverything makes image id hold what an image can hold: a derived
// polarization (three Stokes planes read besides its own) and a region
// whose mask is cached.
func useEverything(t *testing.T, c *Client, rec *recorder, id int32) {
	t.Helper()
	handle(t, c, icd.EventType_SET_IMAGE_CHANNELS, 300, &icd.SetImageChannels{FileId: id, Stokes: 13, // Ptotal
		RequiredTiles: &icd.AddRequiredTiles{FileId: id, Tiles: []int32{0}}})
	handle(t, c, icd.EventType_SET_REGION, 301, &icd.SetRegion{FileId: id, RegionId: 1, RegionInfo: &icd.RegionInfo{
		RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 60, Y: 60}, {X: 40, Y: 30}}}})
	handle(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 302, &icd.SetStatsRequirements{FileId: id, RegionId: 1,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum}}}})
	waitSent(t, rec, icd.EventType_REGION_STATS_DATA, 1)
	waitSent(t, rec, icd.EventType_RASTER_TILE_DATA, 1)
}

func TestClosingGivesTheBudgetBack(t *testing.T) {
	c, rec, _, mem := budgetClient(t, 64*memPlane, time.Minute)
	if ack := openAck(t, c, rec, 0); !ack.Success {
		t.Fatal(ack.Message)
	}
	useEverything(t, c, rec, 0)
	if mem.Stats().Used <= memPlane {
		t.Fatalf("budget used %d with a plane and a region mask, want more than the plane", mem.Stats().Used)
	}
	handle(t, c, icd.EventType_CLOSE_FILE, 400, &icd.CloseFile{FileId: 0})
	waitUsed(t, mem, 0, "after CLOSE_FILE")
	if p := mem.Stats().Peak; p < 4*memPlane {
		t.Fatalf("peak %d: the three Stokes planes of Ptotal were not charged", p)
	}
}

func TestIdleExpiryGivesTheBudgetBack(t *testing.T) {
	c, rec, m, mem := budgetClient(t, 64*memPlane, 20*time.Millisecond)
	for id := range int32(2) {
		if ack := openAck(t, c, rec, id); !ack.Success {
			t.Fatal(ack.Message)
		}
	}
	useEverything(t, c, rec, 1)
	if used := mem.Stats().Used; used <= 2*memPlane {
		t.Fatalf("budget used %d with two planes and a region mask, want more", used)
	}
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for m.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the session never expired")
		}
		time.Sleep(2 * time.Millisecond)
	}
	waitUsed(t, mem, 0, "after the idle timeout")
}

func TestDerivedPlanesBeyondTheBudgetAreAnError(t *testing.T) {
	c, rec, _, mem := budgetClient(t, 2*memPlane, time.Minute)
	if ack := openAck(t, c, rec, 0); !ack.Success {
		t.Fatal(ack.Message)
	}
	// Ptotal reads Q, U and V: three planes more than the one left.
	handle(t, c, icd.EventType_SET_IMAGE_CHANNELS, 500, &icd.SetImageChannels{FileId: 0, Stokes: 13,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{0}}})
	e := waitSent(t, rec, icd.EventType_ERROR_DATA, 1)[0].msg.(*icd.ErrorData)
	if !strings.Contains(e.Message, "--memory-limit") {
		t.Fatalf("ERROR_DATA %q does not name --memory-limit", e.Message)
	}
	if s := mem.Stats(); s.Used > memPlane {
		t.Fatalf("budget used %d after the refusal, want at most the one plane", s.Used)
	}
	// Stokes I still works.
	handle(t, c, icd.EventType_SET_IMAGE_CHANNELS, 501, &icd.SetImageChannels{FileId: 0, Stokes: 0,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{0}}})
	waitSent(t, rec, icd.EventType_RASTER_TILE_DATA, 1)
}

func TestRegionSpectrumBeyondTheBudgetIsAnError(t *testing.T) {
	c, rec, _, mem := budgetClient(t, memPlane+memPlane/2, time.Minute)
	if ack := openAck(t, c, rec, 0); !ack.Success {
		t.Fatal(ack.Message)
	}
	waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, 1) // the plane is decoded and charged
	handle(t, c, icd.EventType_SET_REGION, 600, &icd.SetRegion{FileId: 0, RegionId: 1, RegionInfo: &icd.RegionInfo{
		RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 64, Y: 64}, {X: 200, Y: 200}}}})
	handle(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 601, &icd.SetSpectralRequirements{FileId: 0, RegionId: 1,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum}}}})
	e := waitSent(t, rec, icd.EventType_ERROR_DATA, 1)[0].msg.(*icd.ErrorData)
	if !strings.Contains(e.Message, "spectral profile") || !strings.Contains(e.Message, "--memory-limit") {
		t.Fatalf("ERROR_DATA %q", e.Message)
	}
	waitUsed(t, mem, memPlane+c.session.masks.Bytes(), "after the refused profile")
}

func TestGzipBeyondTheBudgetIsRefusedBeforeInflating(t *testing.T) {
	c, rec, _, mem := budgetClient(t, 3*memPlane, time.Minute)
	root := c.mgr.folder.Root()
	f, err := os.Create(filepath.Join(root, "big.fits.gz"))
	must(t, err)
	zw := gzip.NewWriter(f)
	must(t, fits.Write(zw, fits.WriteHDU{Bitpix: -32, Naxis: []int{2 * memW, 2 * memH}, Data: make([]float32, 4*memW*memH)}))
	must(t, zw.Close())
	must(t, f.Close())
	handle(t, c, icd.EventType_OPEN_FILE, 700, &icd.OpenFile{Directory: ".", File: "big.fits.gz", FileId: 0})
	ack := waitSent(t, rec, icd.EventType_OPEN_FILE_ACK, 1)[0].msg.(*icd.OpenFileAck)
	if ack.Success || !strings.Contains(ack.Message, "--memory-limit") {
		t.Fatalf("gzip over the budget: success %v, %q", ack.Success, ack.Message)
	}
	t.Log(ack.Message)
	if s := mem.Stats(); s.Used != 0 {
		t.Fatalf("budget used %d after a refused open", s.Used)
	}
}

func TestReturnsToTheOSAreCoalesced(t *testing.T) {
	var runs atomic.Int32
	r := &osReturn{free: func() { runs.Add(1) }}
	var wg sync.WaitGroup
	for range 100 { // a burst of expiries
		wg.Go(r.schedule)
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		pending := r.timer != nil
		r.mu.Unlock()
		if !pending && runs.Load() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no return to the OS after a burst of closes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("%d returns to the OS for one burst, want 1", n)
	}
	r.stop()
	r.schedule()
	if r.timer != nil {
		t.Fatal("a return scheduled after stop")
	}
}
