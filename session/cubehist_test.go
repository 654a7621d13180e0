package session

import (
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/fits"
)

// A second cube histogram of the same cube with other bins reads every
// plane once: the planes' extrema from the first are kept in the
// server's cache. (Before, each one read the cube twice.) Its answer is
// the same as a fresh computation's: the bins cover the cube's range.
func TestCubeHistogramReusesExtrema(t *testing.T) {
	var reads atomic.Int64
	testReadHook = func(int) { reads.Add(1) }
	folder := smallCubeFolder(t, func(i int) float32 { return float32(i%97) - 40 })
	m := NewManager(Config{Folder: folder, CacheSize: 64 << 20, Logger: newTestManager(time.Minute).log})
	t.Cleanup(func() {
		m.Close("test over")
		testReadHook = nil // every worker has stopped
	})
	rec := &recorder{}
	c := m.NewClient(rec, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	handle(t, c, icd.EventType_OPEN_FILE, 2, &icd.OpenFile{Directory: ".", File: "cube.fits", FileId: 0})
	sent := 0
	cube := func(req uint32, bins int32) *icd.RegionHistogramData {
		t.Helper()
		handle(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, req, &icd.SetHistogramRequirements{
			FileId: 0, RegionId: regionCube,
			Histograms: []*icd.HistogramConfig{{Channel: channelAll, FixedNumBins: true, NumBins: bins}},
		})
		for {
			sent++
			msgs := waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, sent) // fails after a deadline
			if hd := msgs[sent-1].msg.(*icd.RegionHistogramData); hd.RegionId == regionCube && hd.Progress == 1 {
				return hd
			}
		}
	}
	waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, 1) // the image histogram
	sent = 1
	reads.Store(0)
	first := cube(3, 10)
	if n := reads.Load(); n != 2*smallCubeDepth {
		t.Errorf("first cube histogram read %d planes, want %d (extrema, then counts)", n, 2*smallCubeDepth)
	}
	reads.Store(0)
	second := cube(4, 20)
	if n := reads.Load(); n != smallCubeDepth {
		t.Errorf("second cube histogram read %d planes, want %d (counts only)", n, smallCubeDepth)
	}
	for _, hd := range []*icd.RegionHistogramData{first, second} {
		hist := hd.Histograms
		var total int32
		for _, b := range hist.Bins {
			total += b
		}
		lo := hist.FirstBinCenter - hist.BinWidth/2
		if total != smallCubePixels || math.Abs(lo+40) > 1e-4 || int(hist.NumBins) != len(hist.Bins) {
			t.Errorf("%d bins from %v counting %d values, want all %d from -40", hist.NumBins, lo, total, smallCubePixels)
		}
	}
}

// smallCubeDepth is the channels of smallCubeFolder's cube.
const smallCubeDepth = 9

// smallCubePixels is the pixels of smallCubeFolder's cube.
const smallCubePixels = 16 * 12 * smallCubeDepth

// smallCubeFolder writes a 16×12×9 float32 cube.fits whose pixel i is
// value(i) into a new top folder and returns the folder.
func smallCubeFolder(t *testing.T, value func(i int) float32) *Folder {
	t.Helper()
	root := t.TempDir()
	const w, h = 16, 12
	data := make([]float32, w*h*smallCubeDepth)
	for i := range data {
		data[i] = value(i)
	}
	file, err := os.Create(filepath.Join(root, "cube.fits"))
	must(t, err)
	must(t, fits.Write(file, fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, smallCubeDepth}, Data: data}))
	must(t, file.Close())
	folder, err := NewFolder(root, "")
	must(t, err)
	return folder
}
