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

// Once a cube has sent its image histogram, its frame finds the planes'
// extrema in the background and keeps them, so the first cube histogram
// reads every plane once, even with a cache that keeps nothing unused.
// (Before, the first one read the cube twice.) Closing the image
// releases them.
func TestCubeExtremaPrefetched(t *testing.T) {
	var reads atomic.Int64
	oldMin := prefetchMinBytes
	prefetchMinBytes = 0
	testReadHook = func(int) { reads.Add(1) }
	root := t.TempDir()
	const w, h, depth = 16, 12, 9
	data := make([]float32, w*h*depth)
	for i := range data {
		data[i] = float32(i%89) - 30
	}
	file, err := os.Create(filepath.Join(root, "cube.fits"))
	must(t, err)
	must(t, fits.Write(file, fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, depth}, Data: data}))
	must(t, file.Close())
	folder, err := NewFolder(root, "")
	must(t, err)
	m := NewManager(Config{Folder: folder, Logger: newTestManager(time.Minute).log})
	t.Cleanup(func() {
		m.Close("test over")
		testReadHook = nil // every worker has stopped
		prefetchMinBytes = oldMin
	})
	rec := &recorder{}
	c := m.NewClient(rec, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	handle(t, c, icd.EventType_OPEN_FILE, 2, &icd.OpenFile{Directory: ".", File: "cube.fits", FileId: 0})
	waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, 1) // the image histogram
	f, err := c.frameFor(0)
	must(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for reads.Load() < depth && time.Now().Before(deadline) { // the prefetch starts after the histogram is sent
		time.Sleep(time.Millisecond)
	}
	f.extrema.wait()
	if n := reads.Load(); n != depth {
		t.Fatalf("the prefetch read %d planes, want %d", n, depth)
	}
	reads.Store(0)
	handle(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 3, &icd.SetHistogramRequirements{
		FileId: 0, RegionId: regionCube,
		Histograms: []*icd.HistogramConfig{{Channel: channelAll, FixedNumBins: true, NumBins: 10}},
	})
	for sent := 2; ; sent++ {
		msgs := waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, sent) // fails after a deadline
		if hd := msgs[sent-1].msg.(*icd.RegionHistogramData); hd.RegionId == regionCube && hd.Progress == 1 {
			var total int32
			for _, b := range hd.Histograms.Bins {
				total += b
			}
			if lo := hd.Histograms.FirstBinCenter - hd.Histograms.BinWidth/2; total != w*h*depth || math.Abs(lo+30) > 1e-4 {
				t.Errorf("%d values from %v, want %d from -30", total, lo, w*h*depth)
			}
			break
		}
	}
	if n := reads.Load(); n != depth {
		t.Errorf("cube histogram read %d planes, want %d (counts only)", n, depth)
	}
	handle(t, c, icd.EventType_CLOSE_FILE, 4, &icd.CloseFile{FileId: 0})
	if st := m.CacheStats(); st.Bytes != 0 {
		t.Errorf("closed: the cache still holds %d bytes (%+v)", st.Bytes, st)
	}
}
