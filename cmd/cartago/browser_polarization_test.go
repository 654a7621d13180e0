package main

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
)

const stokesSample = "cube-stokes.fits"

// TestBrowserDerivedPolarization: the Small set's Stokes cube has I, Q,
// U and V, so the frontend also offers the polarizations derived from
// them. The user switches the Animator to Polarization and clicks Last:
// the frontend asks for Pangle by its PolarizationType number (17), the
// server derives it (½·atan2(U, Q) in degrees) and sends its histogram,
// whose mean is that of the angles computed here from the file, and its
// tiles; the view changes. Artifact: browser-DerivedPolarization-pangle.png.
func TestBrowserDerivedPolarization(t *testing.T) {
	root := smallSample(t)
	wantMean := pangleMean(t, filepath.Join(root, stokesSample))
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("&file=" + stokesSample)
	b.waitMessage(false, ev(icd.EventType_OPEN_FILE_ACK), "a successful OPEN_FILE_ACK", func(p []byte) bool {
		var m icd.OpenFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	waitTileGroup(b, 0)
	first := b.waitDrawn(drawTimeout)

	offered := pollJS[[]float64](b, "the frontend's polarizations of the image", `window.app?.activeFrame?.polarizations`, uiTimeout)
	t.Logf("the frontend offers the polarizations %v", offered)
	for _, p := range []float64{13, 14, 15, 16, 17} {
		if !slices.Contains(offered, p) {
			t.Errorf("the frontend does not offer polarization %v for an I, Q, U, V cube", p)
		}
	}

	b.click("the Animator tab", `[data-testid="animator-0-header-title"]`, uiTimeout)
	b.click("the Animator's Polarization mode", `[data-testid="animator-polarization-slider"] label.bp6-radio`, uiTimeout)
	b.clickUntilSent("the Animator's Last button", `[data-testid="animator-last-button"]`, ev(icd.EventType_SET_IMAGE_CHANNELS), uiTimeout)
	b.waitMessage(true, ev(icd.EventType_SET_IMAGE_CHANNELS), "SET_IMAGE_CHANNELS for Pangle (17)", func(p []byte) bool {
		var m icd.SetImageChannels
		return proto.Unmarshal(p, &m) == nil && m.Stokes == 17
	}, uiTimeout)
	p := b.waitMessage(false, ev(icd.EventType_REGION_HISTOGRAM_DATA), "the image histogram of Pangle", func(p []byte) bool {
		var m icd.RegionHistogramData
		return proto.Unmarshal(p, &m) == nil && m.Stokes == 17 && m.RegionId == -1
	}, serverTimeout)
	var h icd.RegionHistogramData
	_ = proto.Unmarshal(p, &h)
	if got := h.Histograms.GetMean(); math.Abs(got-wantMean) > 1e-4*math.Max(1, math.Abs(wantMean)) {
		t.Errorf("Pangle histogram mean %g°, the file's angles average %g°", got, wantMean)
	}
	b.waitMessage(false, ev(icd.EventType_RASTER_TILE_DATA), "tiles of Pangle", func(p []byte) bool {
		var m icd.RasterTileData
		return proto.Unmarshal(p, &m) == nil && m.Stokes == 17
	}, serverTimeout)
	second := b.waitChanged(first, drawTimeout)
	b.saveShot("-pangle", second.png)
	if n := b.rec.frames(false, ev(icd.EventType_ERROR_DATA)); n > 0 {
		t.Errorf("the server sent %d ERROR_DATA", n)
	}
	b.checkHealthy()
}

// pangleMean is the mean over channel 0 of ½·atan2(U, Q) in degrees.
func pangleMean(t *testing.T, path string) float64 {
	t.Helper()
	f, err := fits.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := f.Image(f.HDUs()[0].Key())
	if err != nil {
		t.Fatal(err)
	}
	if got := im.Layout.StokesValues; !slices.Equal(got, []int{1, 2, 3, 4}) {
		t.Fatalf("%s has Stokes %v, want I, Q, U, V", path, got)
	}
	q, err := im.Plane(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	u, err := im.Plane(0, 2)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	n := 0
	for i := range q.Data {
		a := math.Atan2(float64(u.Data[i]), float64(q.Data[i])) * 90 / math.Pi
		if !math.IsNaN(a) {
			sum += float64(float32(a))
			n++
		}
	}
	return sum / float64(n)
}
