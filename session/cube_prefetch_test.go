package session

import (
	"math"
	"sync/atomic"
	"testing"
	"time"

	"cartago/icd"
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
	folder := smallCubeFolder(t, func(i int) float32 { return float32(i%89) - 30 })
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
	for reads.Load() < smallCubeDepth && time.Now().Before(deadline) { // the prefetch starts after the histogram is sent
		time.Sleep(time.Millisecond)
	}
	f.extrema.wait()
	if n := reads.Load(); n != smallCubeDepth {
		t.Fatalf("the prefetch read %d planes, want %d", n, smallCubeDepth)
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
			if lo := hd.Histograms.FirstBinCenter - hd.Histograms.BinWidth/2; total != smallCubePixels || math.Abs(lo+30) > 1e-4 {
				t.Errorf("%d values from %v, want %d from -30", total, lo, smallCubePixels)
			}
			break
		}
	}
	if n := reads.Load(); n != smallCubeDepth {
		t.Errorf("cube histogram read %d planes, want %d (counts only)", n, smallCubeDepth)
	}
	handle(t, c, icd.EventType_CLOSE_FILE, 4, &icd.CloseFile{FileId: 0})
	if st := m.CacheStats(); st.Bytes != 0 {
		t.Errorf("closed: the cache still holds %d bytes (%+v)", st.Bytes, st)
	}
}
