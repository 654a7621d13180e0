package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
)

// The moments fixture: 48×40×12 (RA, Dec, FREQ with a rest frequency),
// value a smooth line profile whose height and centre vary over the
// sky, so moment 0 takes many distinct values.
const (
	momCube                  = "momcube.fits"
	momBW, momBH, momBD      = 48, 40, 12
	momBRest, momBF0, momBDF = 1.42e9, 1.4199e9, 2e5
)

func momCubeValue(x, y, c int) float32 {
	centre := 3 + float64(x%7)
	return float32((1 + 0.1*float64(x) + 0.05*float64(y)) * math.Exp(-(float64(c)-centre)*(float64(c)-centre)/4))
}

func writeMomCube(t *testing.T, path string) {
	t.Helper()
	data := make([]float32, 0, momBW*momBH*momBD)
	for c := range momBD {
		for y := range momBH {
			for x := range momBW {
				data = append(data, momCubeValue(x, y, c))
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{momBW, momBH, momBD}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewFloatCard("CRVAL1", 150, ""), fits.NewFloatCard("CDELT1", -1e-3, ""),
		fits.NewFloatCard("CRPIX1", 24, ""), fits.NewStringCard("CUNIT1", "deg", ""),
		fits.NewStringCard("CTYPE2", "DEC--SIN", ""), fits.NewFloatCard("CRVAL2", 2, ""), fits.NewFloatCard("CDELT2", 1e-3, ""),
		fits.NewFloatCard("CRPIX2", 20, ""), fits.NewStringCard("CUNIT2", "deg", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewFloatCard("CRVAL3", momBF0, ""), fits.NewFloatCard("CDELT3", momBDF, ""),
		fits.NewFloatCard("CRPIX3", 1, ""), fits.NewStringCard("CUNIT3", "Hz", ""),
		fits.NewStringCard("BUNIT", "Jy/beam", ""), fits.NewFloatCard("RESTFRQ", momBRest, ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBrowserMoments: in the real frontend the user opens the Moments
// settings from the Spectral Profiler's toolbar, types a channel range
// in its From/To fields and presses Generate. The frontend sends
// MOMENT_REQUEST for the integrated moment (its default) over those
// channels; the moment image appears among the frontend's images under
// the reference's name, and the image histogram the frontend holds for
// it (what its render settings show) equals one computed here from the
// fixture's values: the sum over the channels times the channel width
// in radio velocity.
func TestBrowserMoments(t *testing.T) {
	skipIfShort(t)
	root := t.TempDir()
	writeMomCube(t, filepath.Join(root, momCube))
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	openDrawn(b, momCube)

	// The default layout has no Spectral Profiler: the toolbar's button
	// (id "<widget name without spaces>Button") opens a floating one.
	b.clickUntilShown("the toolbar's Spectral Profiler button", `#SpectralProfilerButton`, `[data-testid="moment-generator-button"]`, uiTimeout)
	b.click("the Spectral Profiler's Moments button", `[data-testid="moment-generator-button"]`, uiTimeout)
	pollJS[bool](b, "the Moments settings", `!!document.querySelector('[data-testid="moment-generator-tab"] [data-testid="moment-generator-generate-button"]')`, uiTimeout)
	// The range is typed in the spectral unit the dialog shows: channels
	// 2 to 8 of a linear axis from the bounds the dialog starts with.
	const from, to = 2, 8
	fromSel, toSel := `[data-testid="moment-generator-spectral-range-from-input"]`, `[data-testid="moment-generator-spectral-range-to-input"]`
	lo := pollJS[float64](b, "the range's start", `parseFloat(document.querySelector('`+fromSel+`')?.value)`, uiTimeout)
	hi := pollJS[float64](b, "the range's end", `parseFloat(document.querySelector('`+toSel+`')?.value)`, uiTimeout)
	if lo == hi {
		b.fail("the Moments range starts empty: %g..%g", lo, hi)
	}
	step := (hi - lo) / (momBD - 1)
	b.setInput("Range from", fromSel, strconv.FormatFloat(lo+from*step, 'g', 12, 64))
	b.setInput("Range to", toSel, strconv.FormatFloat(lo+to*step, 'g', 12, 64))
	b.clickUntilSent("the Generate button", `[data-testid="moment-generator-generate-button"]`, ev(icd.EventType_MOMENT_REQUEST), uiTimeout)
	var req icd.MomentRequest
	_ = proto.Unmarshal(b.lastPayload(true, ev(icd.EventType_MOMENT_REQUEST)), &req)
	t.Logf("the frontend sent MOMENT_REQUEST %v", &req)
	if len(req.Moments) != 1 || req.Moments[0] != icd.Moment_INTEGRATED_OF_THE_SPECTRUM || req.SpectralRange.GetMin() != from || req.SpectralRange.GetMax() != to || req.RestFreq != momBRest {
		b.fail("MOMENT_REQUEST %v: want the integrated moment over channels %d..%d with rest frequency %g", &req, from, to, momBRest)
	}
	p := b.waitMessage(false, ev(icd.EventType_MOMENT_RESPONSE), "a successful MOMENT_RESPONSE", func(p []byte) bool {
		var m icd.MomentResponse
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	var resp icd.MomentResponse
	_ = proto.Unmarshal(p, &resp)
	if len(resp.OpenFileAcks) != 1 {
		b.fail("MOMENT_RESPONSE %v: want one image", &resp)
	}
	id, name := resp.OpenFileAcks[0].FileId, resp.OpenFileAcks[0].FileInfo.GetName()
	if name != momCube+".moment.integrated" {
		b.fail("moment image named %q, want %q", name, momCube+".moment.integrated")
	}
	pollJS[bool](b, "the moment image among the frontend's images",
		`window.app?.frames?.some(f => f.frameInfo.fileId === `+strconv.Itoa(int(id))+` && f.filename === `+strconv.Quote(name)+`)`, uiTimeout)
	// and in the Image List widget of the default layout.
	pollJS[bool](b, "the moment image in the Image List", `Array.from(document.querySelectorAll('[data-testid$="-image-name"]'))
		.some(e => e.textContent.trim() === `+strconv.Quote(name)+`)`, uiTimeout)
	raw := pollJS[string](b, "the moment image's histogram in the frontend", `(() => {
		const f = window.app?.frames?.find(f => f.frameInfo.fileId === `+strconv.Itoa(int(id))+`);
		const h = f?.renderConfig?.channelHistogram;
		return h?.bins?.length ? JSON.stringify({numBins: h.numBins, binWidth: h.binWidth, firstBinCenter: h.firstBinCenter,
			bins: Array.from(h.bins), mean: h.mean, stdDev: h.stdDev}) : '' })()`, serverTimeout)
	var got struct {
		NumBins                  int
		BinWidth, FirstBinCenter float64
		Bins                     []int
		Mean, StdDev             float64
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		b.fail("histogram %s: %v", raw, err)
	}
	checkMomentHistogramBins(b, got.NumBins, got.BinWidth, got.FirstBinCenter, got.Bins, got.Mean, got.StdDev, from, to)
	b.checkHealthy()
	b.rec.logSummary(t)
}

// checkMomentHistogramBins compares a histogram of moment 0 with one
// computed from the fixture: bounds, counts (a pixel within rounding
// of a bin edge may fall either side), mean and standard deviation.
func checkMomentHistogramBins(b *browser, numBins int, binWidth, first float64, bins []int, mean, std float64, from, to int) {
	b.t.Helper()
	vel := func(c int) float64 { return 299792458 * (1 - (momBF0+momBDF*float64(c))/momBRest) / 1e3 }
	width := math.Abs(vel(1) - vel(0))
	vals := make([]float64, 0, momBW*momBH)
	lo, hi := math.Inf(1), math.Inf(-1)
	var sum, sq float64
	for y := range momBH {
		for x := range momBW {
			s := 0.0
			for c := from; c <= to; c++ {
				s += float64(momCubeValue(x, y, c))
			}
			v := s * width
			vals = append(vals, v)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			sum, sq = sum+v, sq+v*v
		}
	}
	n := float64(len(vals))
	// The histogram's standard deviation is the sample one (n − 1), as
	// the reference's BasicStats.
	wantMean, wantStd := sum/n, math.Sqrt((sq-sum*sum/n)/(n-1))
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(1, math.Abs(b)) }
	if numBins != len(bins) || !near(first-binWidth/2, lo) || !near(first-binWidth/2+float64(numBins)*binWidth, hi) {
		b.fail("histogram of %d bins over %g..%g, want %g..%g", len(bins), first-binWidth/2, first-binWidth/2+float64(numBins)*binWidth, lo, hi)
	}
	if !near(mean, wantMean) || math.Abs(std-wantStd) > 1e-4*wantStd {
		b.fail("histogram mean %g std %g, want %g and %g", mean, std, wantMean, wantStd)
	}
	want := make([]int, numBins)
	edge := 0 // pixels within rounding of a bin edge
	for _, v := range vals {
		f := (v - lo) / binWidth
		k := min(int(f), numBins-1)
		want[k]++
		if r := f - math.Round(f); math.Abs(r) < 1e-4 && math.Round(f) > 0 && math.Round(f) < float64(numBins) {
			edge++
		}
	}
	off, total := 0, 0
	for i := range bins {
		off += abs(bins[i] - want[i])
		total += bins[i]
	}
	if total != len(vals) || off > 2*edge {
		b.fail("histogram counts %v, want %v (%d pixels near an edge)", bins, want, edge)
	}
	b.t.Logf("moment 0 histogram: %d bins over %g..%g, mean %g, equal to the fixture's (%d pixels near an edge)", numBins, lo, hi, mean, edge)
}

func abs(v int) int { return max(v, -v) }
