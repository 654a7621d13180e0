package session

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cartago/icd"
)

// TestFanOutPanicBecomesErrorData panics inside the goroutines a cube
// histogram fans out to: the panic must reach frame.recovered (an
// ERROR_DATA), not kill the process, and the image must keep working.
func TestFanOutPanicBecomesErrorData(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // planes read on several goroutines
	var armed atomic.Bool
	armed.Store(true)
	testReadHook = func(channel int) {
		if channel == 5 && armed.Load() {
			panic("corrupt plane in a fan-out")
		}
	}
	folder := smallCubeFolder(t, func(i int) float32 { return float32(i % 97) })
	m := NewManager(Config{Folder: folder, Logger: newTestManager(time.Minute).log})
	t.Cleanup(func() {
		m.Close("test over")
		testReadHook = nil // every worker has stopped
	})
	rec := &recorder{}
	c := m.NewClient(rec, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	handle(t, c, icd.EventType_OPEN_FILE, 2, &icd.OpenFile{Directory: ".", File: "cube.fits", FileId: 0})
	cube := func(req uint32, bins int32) {
		handle(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, req, &icd.SetHistogramRequirements{
			FileId: 0, RegionId: regionCube,
			Histograms: []*icd.HistogramConfig{{Channel: channelAll, FixedNumBins: true, NumBins: bins}},
		})
	}
	cube(3, 10)
	e := waitSent(t, rec, icd.EventType_ERROR_DATA, 1)[0].msg.(*icd.ErrorData)
	if !strings.Contains(e.Message, "internal error in cube histogram") {
		t.Fatalf("ERROR_DATA %q", e.Message)
	}
	armed.Store(false)
	cube(4, 20) // new bins: computed again
	for n := 1; ; n++ {
		msgs := waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, n) // fails after a deadline
		hd := msgs[n-1].msg.(*icd.RegionHistogramData)
		if hd.Progress == 1 && len(hd.Histograms.GetBins()) == 20 {
			return
		}
	}
}
