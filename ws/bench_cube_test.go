package ws

import (
	"context"
	"time"

	"testing"

	"cartago/icd"
	"cartago/imaging/bench"
)

// The two whole-cube rows of perf.md (f) over the websocket, on its
// 1024×1024×200 cube (imaging/bench.BigCube). The server keeps no cache
// between requests (no --cache-size), so every iteration computes from
// the file, as the first request for a cube does.

func bigCubeClient(b *testing.B) *wsBench {
	b.Helper()
	path, err := bench.BigCube(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	_ = path
	cl := benchClient(b)
	cl.openFile("cube-1024x1024x200.fits", 0)
	cl.readUntil(icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	return cl
}

// BenchmarkCubeHistogramWS: SET_HISTOGRAM_REQUIREMENTS for the cube
// (region −2, other bins every iteration) → the final
// REGION_HISTOGRAM_DATA. Reference: 882 ms (perf.md (f)). The frame
// has found the planes' extrema in the background since the image
// histogram (session/cube_prefetch.go): the first iteration waits for
// that pass, the others read the cube once.
func BenchmarkCubeHistogramWS(b *testing.B) {
	cl := bigCubeClient(b)
	var took []time.Duration
	i := int32(0)
	cpu := processCPU()
	for b.Loop() {
		i++
		start := time.Now()
		cl.send(icd.EventType_SET_HISTOGRAM_REQUIREMENTS, &icd.SetHistogramRequirements{FileId: 0, RegionId: -2,
			Histograms: []*icd.HistogramConfig{{Channel: -2, FixedNumBins: true, NumBins: 1000 + i}}})
		for {
			var h icd.RegionHistogramData
			cl.readUntil(icd.EventType_REGION_HISTOGRAM_DATA, &h)
			if h.RegionId == -2 && h.Progress >= 1 {
				if len(h.Histograms.GetBins()) != int(1000+i) {
					b.Fatalf("%d bins, want %d", len(h.Histograms.GetBins()), 1000+i)
				}
				break
			}
		}
		took = append(took, time.Since(start))
	}
	reportMedian(b, took, "ms-to-cube-histogram")
	// Less sensitive to other load on the machine than wall time.
	b.ReportMetric(float64(processCPU()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkRegionSpectrumWS: a 400×400 rectangle moved by a pixel every
// iteration (SET_REGION) with a mean spectral profile required → the
// final SPECTRAL_PROFILE_DATA through the 200 channels. Reference:
// 636 ms (perf.md (f)).
func BenchmarkRegionSpectrumWS(b *testing.B) {
	cl := bigCubeClient(b)
	set := func(x float32) {
		cl.send(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 0, RegionId: 1, RegionInfo: &icd.RegionInfo{
			RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: x, Y: 512}, {X: 400, Y: 400}}}})
	}
	final := func() {
		for {
			var s icd.SpectralProfileData
			cl.readUntil(icd.EventType_SPECTRAL_PROFILE_DATA, &s)
			if s.RegionId == 1 && s.Progress >= 1 {
				if n := len(s.Profiles[0].RawValuesFp64) / 8; n != bench.BigCubeDepth {
					b.Fatalf("%d channels, want %d", n, bench.BigCubeDepth)
				}
				return
			}
		}
	}
	set(512)
	cl.readUntil(icd.EventType_SET_REGION_ACK, &icd.SetRegionAck{})
	cl.send(icd.EventType_SET_SPECTRAL_REQUIREMENTS, &icd.SetSpectralRequirements{FileId: 0, RegionId: 1,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Mean}}}})
	final()
	var took []time.Duration
	x := float32(512)
	for b.Loop() {
		x++
		start := time.Now()
		set(x)
		final()
		took = append(took, time.Since(start))
	}
	reportMedian(b, took, "ms-to-region-spectrum")
}
