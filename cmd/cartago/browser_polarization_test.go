package main

import (
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
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
	_, first := openDrawn(b, stokesSample)

	offered := pollJS[[]float64](b, "the frontend's polarizations of the image", `window.app?.activeFrame?.polarizations`, uiTimeout)
	t.Logf("the frontend offers the polarizations %v", offered)
	for _, p := range []float64{13, 14, 15, 16, 17} {
		if !slices.Contains(offered, p) {
			t.Errorf("the frontend does not offer polarization %v for an I, Q, U, V cube", p)
		}
	}

	b.clickUntilShown("the Animator tab", `[data-testid="animator-0-header-title"]`, `[data-testid="animator-last-button"]`, uiTimeout)
	b.clickUntil("the Animator's Polarization mode", `[data-testid="animator-polarization-slider"] label.bp6-radio`, "the mode checked",
		`!!document.querySelector('[data-testid="animator-polarization-slider"] input[type=radio]')?.checked`, uiTimeout)
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
	im, _ := firstImage(t, path)
	if got := im.Layout.StokesValues; !slices.Equal(got, []int{1, 2, 3, 4}) {
		t.Fatalf("%s has Stokes %v, want I, Q, U, V", path, got)
	}
	q, u := plane(t, im, 0, 1), plane(t, im, 0, 2)
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

// TestBrowserVectorOverlay: on the Stokes cube the user opens the vector
// overlay dialog from the toolbar and applies its defaults: the frontend
// asks for polarized intensity and angle from Q and U, averaged over
// blocks; the server's intensities are √(Q²+U²) of the block means of
// the file's planes and the angles ½·atan2(U, Q); once the dialog is
// closed the view shows the vectors. Artifact:
// browser-VectorOverlay-vectors.png.
func TestBrowserVectorOverlay(t *testing.T) {
	root := smallSample(t)
	path := filepath.Join(root, stokesSample)
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	_, before := openDrawn(b, stokesSample)

	b.clickUntilShown("the toolbar's vector overlay button", `[data-testid="vector-dialog-button"]`, `[data-testid="vector-dialog"]`, uiTimeout)
	nData := b.rec.frames(false, ev(icd.EventType_VECTOR_OVERLAY_TILE_DATA))
	b.clickUntilSent("the vector overlay dialog's Apply button", `[data-testid="vector-field-apply-button"]:not(.bp6-disabled):not([disabled])`,
		ev(icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS), uiTimeout)
	p := b.waitMessage(true, ev(icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS), "SET_VECTOR_OVERLAY_PARAMETERS", func(p []byte) bool {
		return proto.Unmarshal(p, &icd.SetVectorOverlayParameters{}) == nil
	}, uiTimeout)
	var set icd.SetVectorOverlayParameters
	_ = proto.Unmarshal(p, &set)
	t.Logf("SET_VECTOR_OVERLAY_PARAMETERS: smoothing %d, intensity %d, angle %d, fractional %v, threshold %v, debiasing %v, compression %v",
		set.SmoothingFactor, set.StokesIntensity, set.StokesAngle, set.Fractional, set.Threshold, set.Debiasing, set.CompressionType)
	if set.StokesIntensity != 1 || set.StokesAngle != 1 || set.SmoothingFactor < 1 {
		b.fail("the dialog's defaults ask for intensity %d and angle %d with smoothing %d; want computed PI and PA (1, 1)",
			set.StokesIntensity, set.StokesAngle, set.SmoothingFactor)
	}
	p = b.waitMessageFrom(false, ev(icd.EventType_VECTOR_OVERLAY_TILE_DATA), nData, "VECTOR_OVERLAY_TILE_DATA of progress 1", func(p []byte) bool {
		var m icd.VectorOverlayTileData
		return proto.Unmarshal(p, &m) == nil && m.Progress >= 1 && len(m.IntensityTiles) > 0
	}, serverTimeout)
	var data icd.VectorOverlayTileData
	_ = proto.Unmarshal(p, &data)
	checkVectorTile(t, path, int(set.SmoothingFactor), &set, &data)

	b.clickUntilGone("the vector overlay dialog's close button", `[data-testid="vector-dialog-header-close-button"]`,
		`[data-testid="vector-dialog"]`, uiTimeout)
	pollJS[bool](b, "the frontend to enable the vector overlay", `window.app?.activeFrame?.vectorOverlayConfig?.isEnabled === true`, uiTimeout)
	winW, winH := evalJS[float64](b, `window.innerWidth`), evalJS[float64](b, `window.innerHeight`)
	b.moveMouse(winW/2, winH/2, winW-60, winH-30)
	// The vectors are short lines over the raster: some pixels of the
	// view change, not the whole of it.
	deadline := time.Now().Add(drawTimeout)
	for {
		after := b.captureView()
		changed, total := differing(before.img, after.img, after.view)
		if after.view == before.view && changed >= 30 && changed*5 < total {
			t.Logf("vectors drawn: %d of %d view pixels changed", changed, total)
			b.saveShot("-vectors", after.png)
			break
		}
		if time.Now().After(deadline) {
			b.saveShot("-novectors", after.png)
			b.fail("%d of %d view pixels changed after the overlay arrived; want the vectors' few", changed, total)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := b.rec.frames(false, ev(icd.EventType_ERROR_DATA)); n > 0 {
		t.Errorf("the server sent %d ERROR_DATA", n)
	}
	b.checkHealthy()
}

// checkVectorTile compares the one tile of a small image's overlay with
// block means of the file's Q and U planes computed here.
func checkVectorTile(t *testing.T, path string, mip int, set *icd.SetVectorOverlayParameters, data *icd.VectorOverlayTileData) {
	t.Helper()
	im, _ := firstImage(t, path)
	q, u := plane(t, im, 0, 1), plane(t, im, 0, 2)
	mean := func(p []float32, bx, by int) float64 {
		var s float64
		n := 0
		for y := by * mip; y < min((by+1)*mip, q.Height); y++ {
			for x := bx * mip; x < min((bx+1)*mip, q.Width); x++ {
				if v := float64(p[y*q.Width+x]); !math.IsNaN(v) {
					s += v
					n++
				}
			}
		}
		return s / float64(n)
	}
	it, at := data.IntensityTiles[0], data.AngleTiles[0]
	w, h := (q.Width+mip-1)/mip, (q.Height+mip-1)/mip
	if int(it.Width) != w || int(it.Height) != h || data.CompressionType != icd.CompressionType_NONE {
		t.Fatalf("vector tile %dx%d (%v), want %dx%d raw for mip %d", it.Width, it.Height, data.CompressionType, w, h, mip)
	}
	pi, pa := floatsOf(it.ImageData), floatsOf(at.ImageData)
	threshold := set.Threshold
	for by := range h {
		for bx := range w {
			qm, um := mean(q.Data, bx, by), mean(u.Data, bx, by)
			wantPI := math.Sqrt(qm*qm + um*um)
			wantPA := math.Atan2(um, qm) * 90 / math.Pi
			k := by*w + bx
			if !math.IsNaN(threshold) || set.Fractional || set.Debiasing {
				continue // the defaults have none of these; checked over the websocket
			}
			if math.Abs(float64(pi[k])-wantPI) > 1e-5*wantPI+1e-9 || math.Abs(float64(pa[k])-wantPA) > 1e-4 {
				t.Errorf("block (%d, %d): intensity %g angle %g, want %g and %g", bx, by, pi[k], pa[k], wantPI, wantPA)
			}
		}
	}
}
