package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/contour"
)

// regionSample is the file of TestBrowserRegionStatsAndContours: the
// Small set's 2-D image, 64×64 pixels of compact sources on noise, with a
// blank (NaN) disk of radius 3.84 at (16, 44.8) and a blank corner.
const regionSample = "image-4096.fits"

// TestBrowserRegionStatsAndContours: with the Small set's 64×64 image
// open, the user opens the Statistics widget from the toolbar: the
// frontend asks for the image's statistics and shows them. The user
// drags the floating widget off the image and draws a rectangle region
// with the mouse over a blank (NaN) patch and the edge of a source; the
// server acknowledges it, the widget follows the new region, asks for its
// statistics and shows them. Every value the widget shows is the
// server's as the frontend formats it, and the server's values are those
// of the file's pixels whose centres lie in the rectangle the frontend
// sent (NaN left out), which is the rectangle drawn. Then the user opens
// the contour dialog, generates levels with its default generator,
// turns smoothing off and applies: the frontend sends those levels, the
// server traces every one to its last chunk (progress 1), each vertex
// lies where the pixels cross its level, and the image view, against a
// screenshot taken just before, changed along those lines and nowhere
// else. Artifacts: browser-RegionStatsAndContours-before.png, -contours.png
// and -diff.png (changed pixels red, the server's lines green).
func TestBrowserRegionStatsAndContours(t *testing.T) {
	testStart := time.Now()
	root := smallSample(t)
	px := readImage(t, filepath.Join(root, regionSample))
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	opened, _ := openDrawn(b, regionSample)
	fileID := opened.FileId
	t.Logf("image drawn %v after the start", time.Since(testStart).Round(time.Millisecond))

	// ---- the Statistics widget, on the whole image ----

	// The toolbar's widget buttons have ids "<widget name without
	// spaces>Button"; a click opens a floating widget.
	nReq := b.rec.frames(true, ev(icd.EventType_SET_STATS_REQUIREMENTS))
	nData := b.rec.frames(false, ev(icd.EventType_REGION_STATS_DATA))
	b.clickUntilSent("the toolbar's Statistics widget button", `#StatisticsWidgetButton`, ev(icd.EventType_SET_STATS_REQUIREMENTS), uiTimeout)
	imageStats, took := waitRegionStats(b, fileID, -1, nReq, nData)
	t.Logf("image statistics arrived %v after the frontend asked for them", took.Round(time.Millisecond))
	checkStatsTable(b, "Image", imageStats)
	whole := px.stats(math.Inf(-1), math.Inf(1), math.Inf(-1), math.Inf(1))
	checkStatsValues(t, "the image", imageStats, whole, px.beamPixels)

	// The widget floats over the image view: the user drags it by its
	// title to the right edge of the window, over the profile widgets.
	view := stableImageView(b)
	winW := evalJS[float64](b, `window.innerWidth`)
	widget := moveOff(b, ".floating-widget", ".floating-widget .floating-title", view, winW)
	t.Logf("Statistics widget moved to %+v, image view %+v", widget, view)

	// ---- a rectangle drawn with the mouse ----

	// The image is fitted to the view at its first display: zoom is the
	// smaller ratio of the view to the image, and the image's centre
	// ((w-1)/2, (h-1)/2 in pixel coordinates, pixel centres at integers)
	// is at the view's centre; y grows upwards.
	zoom := math.Min(view.W/float64(px.w), view.H/float64(px.h))
	toScreen := fittedToScreen(view, px.w, px.h)
	// carta-frontend 6.0.0 draws a rectangle from its centre (preference
	// regionCreationMode "center"): the press is the centre, the release
	// a corner. This one covers part of the circular blank patch at
	// (16, 44.8) and the edge of the source at about (28, 51); its edges
	// fall half-way between pixel centres (x 9.5…28.5, y 38.5…51.5), so
	// that the pixels it holds do not depend on a fraction of a pixel.
	const rcx, rcy, rhw, rhh = 19.0, 45.0, 9.5, 6.5
	pressX, pressY := toScreen(rcx, rcy)
	relX, relY := toScreen(rcx+rhw, rcy+rhh)
	b.clickUntilActive("the toolbar's rectangle region button", `[data-testid="rectangle-region-shortcut-button"]`, uiTimeout)
	nReq = b.rec.frames(true, ev(icd.EventType_SET_STATS_REQUIREMENTS))
	nData = b.rec.frames(false, ev(icd.EventType_REGION_STATS_DATA))
	var released time.Time
	regionID, info := b.createRegion(icd.RegionType_RECTANGLE, func() {
		b.drag(pressX, pressY, relX, relY)
		released = time.Now()
	})
	t.Logf("rectangle region %d acknowledged %v after the mouse was released", regionID, time.Since(released).Round(time.Millisecond))
	if len(info.ControlPoints) != 2 || info.Rotation != 0 {
		b.fail("the frontend sent rectangle %v; want 2 control points (centre, size) and no rotation", info)
	}
	c, s := info.ControlPoints[0], info.ControlPoints[1]
	cx, cy, w, h := float64(c.X), float64(c.Y), float64(s.X), float64(s.Y)
	// A CSS pixel is 1/zoom ≈ 0.13 image pixel; the frontend's mapping of
	// the mouse differs from toScreen by up to half of one.
	if tol := 1.5 / zoom; math.Abs(cx-rcx) > tol || math.Abs(cy-rcy) > tol || math.Abs(w-2*rhw) > 2*tol || math.Abs(h-2*rhh) > 2*tol {
		b.fail("the frontend sent a rectangle centred at (%g, %g), %g×%g pixels, for a drag drawing (%g, %g), %g×%g (zoom %g)",
			cx, cy, w, h, rcx, rcy, 2*rhw, 2*rhh, zoom)
	}
	// What casacore (and so the reference server) takes from an
	// unrotated box: the pixels whose centres lie inside it or on its
	// edges, less the NaN pixels.
	want := px.stats(cx-w/2, cx+w/2, cy-h/2, cy+h/2)
	t.Logf("rectangle %g×%g at (%g, %g): %d pixel centres inside, %d of them NaN", w, h, cx, cy, want.n+want.nan, want.nan)
	if drawnPixels := float64(want.n + want.nan); math.Abs(drawnPixels-4*rhw*rhh) > 2*(rhw+rhh)+1 {
		t.Errorf("%v pixel centres lie in the rectangle drawn over %g×%g pixels", drawnPixels, 2*rhw, 2*rhh)
	}
	if want.nan == 0 || want.n == 0 {
		t.Errorf("the rectangle holds %d finite and %d NaN pixels; it should hold both (the test's drawing is off)", want.n, want.nan)
	}

	// The widget follows the selected region, the new one.
	regionStats, took := waitRegionStats(b, fileID, regionID, nReq, nData)
	t.Logf("region %d statistics arrived %v after the frontend asked for them", regionID, took.Round(time.Millisecond))
	checkStatsTable(b, fmt.Sprintf("Region %d", regionID), regionStats)
	checkStatsValues(t, fmt.Sprintf("region %d", regionID), regionStats, want, px.beamPixels)

	// ---- contours ----

	// The mouse away from the image view (over it, the view shows its
	// toolbar and the cursor's values) for both screenshots.
	restX, restY := winW-60, evalJS[float64](b, `window.innerHeight`)-30
	b.moveMouse(relX, relY, restX, restY)
	before := b.waitDrawn(serverTimeout)
	b.saveShot("-before", before.png)

	// The dialog opens on its Levels tab. Its default generator,
	// start-step-multiplier, makes 5 levels from the image histogram:
	// mean + 5σ, then steps of 4σ.
	b.clickUntilShown("the toolbar's Contours button", `[data-testid="contour-dialog-button"]`, `[data-testid="contour-dialog"]`, uiTimeout)
	b.clickUntil("the contour dialog's Generate button", `[data-testid="contour-dialog"] .contour-generator-panel .generate-button`,
		"generated levels", `document.querySelectorAll('[data-testid="contour-config-level-input-form"] .bp6-tag').length > 0`, uiTimeout)
	// The levels appear as tags, sorted, |v| < 0.1 as toExponential(2),
	// else toFixed(2).
	tags := pollJS[[]string](b, "the generated levels in the contour dialog", `(() => {
		const t = Array.from(document.querySelectorAll('[data-testid="contour-config-level-input-form"] .bp6-tag')).map(e => e.innerText.trim());
		return t.length ? t : null })()`, uiTimeout)
	// The default smoothing, a Gaussian, lowers the image's compact
	// sources below all but the lowest level; with none, three levels
	// cross them, and every vertex can be checked against the pixels.
	smoothing := `[data-testid="contour-dialog"] .contour-config-panel select`
	b.clickUntilShown("the contour dialog's Configuration tab", `[data-testid="contour-dailog-config-tab-title"]`, smoothing, uiTimeout)
	b.selectOption("the contour dialog's smoothing mode", smoothing, "No smoothing")
	pollJS[bool](b, "the contour dialog's smoothing mode to read No smoothing", `(() => {
		const s = document.querySelector(`+strconv.Quote(smoothing)+`); return s && s.options[s.selectedIndex].text === 'No smoothing' })()`, uiTimeout)
	nSet := b.rec.frames(true, ev(icd.EventType_SET_CONTOUR_PARAMETERS))
	nContour := b.rec.frames(false, ev(icd.EventType_CONTOUR_IMAGE_DATA))
	b.clickUntilSent("the contour dialog's Apply button", `[data-testid="contour-config-apply-button"]:not(.bp6-disabled):not([disabled])`,
		ev(icd.EventType_SET_CONTOUR_PARAMETERS), uiTimeout)
	applied := time.Now()
	p := b.waitMessageFrom(true, ev(icd.EventType_SET_CONTOUR_PARAMETERS), nSet, "SET_CONTOUR_PARAMETERS with levels", func(p []byte) bool {
		var m icd.SetContourParameters
		return proto.Unmarshal(p, &m) == nil && len(m.Levels) > 0
	}, uiTimeout)
	var set icd.SetContourParameters
	_ = proto.Unmarshal(p, &set)
	t.Logf("SET_CONTOUR_PARAMETERS: file %d, levels %v, smoothing %v (factor %d), decimation %d, compression %d, chunk %d",
		set.FileId, set.Levels, set.SmoothingMode, set.SmoothingFactor, set.DecimationFactor, set.CompressionLevel, set.ContourChunkSize)
	if set.FileId != uint32(fileID) || set.SmoothingMode != icd.SmoothingMode_NoSmoothing {
		b.fail("SET_CONTOUR_PARAMETERS for file %d with smoothing %v; want file %d, NoSmoothing", set.FileId, set.SmoothingMode, fileID)
	}
	var shown []string
	for _, l := range slices.Sorted(slices.Values(set.Levels)) {
		shown = append(shown, jsLevel(l))
	}
	if !slices.Equal(shown, tags) {
		t.Errorf("the contour dialog shows the levels %q, the frontend sent %v (shown as %q)", tags, set.Levels, shown)
	}

	// Every level's polylines, until its chunk of progress 1.
	levels := waitContours(b, fileID, set.Levels, nContour)
	t.Logf("contours of %d levels complete %v after Apply", len(levels), time.Since(applied).Round(time.Millisecond))

	// Contour vertices are in the reference's convention, pixel corners:
	// pixel (i, j) spans [i, i+1] × [j, j+1], so (x, y) is (x−0.5, y−0.5)
	// in the pixel coordinates above, and that is where the frontend
	// draws it. Without smoothing each vertex lies on the segment between
	// two neighbouring pixel centres, where the linear interpolation of
	// their values crosses the level; the coordinates come rounded to
	// 1/decimation pixel.
	round := 0.5 / float64(max(1, set.DecimationFactor))
	var vertices, lines, bad int
	var segments [][4]float64 // CSS pixels of the page
	for _, l := range slices.Sorted(maps.Keys(levels)) {
		cl := levels[l]
		t.Logf("level %.6g: %d polyline(s), %d vertices in %d message(s)", l, len(cl.lines), cl.vertices(), cl.chunks)
		vertices += cl.vertices()
		lines += len(cl.lines)
		for _, pl := range cl.lines {
			for i := 0; i+1 < len(pl); i += 2 {
				x, y := float64(pl[i])-0.5, float64(pl[i+1])-0.5
				if err := px.crossing(x, y, l, round); err != nil {
					if bad++; bad <= 5 {
						t.Errorf("level %g, vertex (%g, %g) of the server: %v", l, pl[i], pl[i+1], err)
					}
				}
				if i+3 < len(pl) {
					sx0, sy0 := toScreen(x, y)
					sx1, sy1 := toScreen(float64(pl[i+2])-0.5, float64(pl[i+3])-0.5)
					segments = append(segments, [4]float64{sx0, sy0, sx1, sy1})
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d contour vertices are not where the pixels cross their level", bad, vertices)
	}
	// A level below the image's maximum crosses its pixels somewhere, one
	// above it nowhere.
	withLines := 0
	for _, cl := range levels {
		if len(cl.lines) > 0 {
			withLines++
		}
	}
	if wantLines := countBelow(set.Levels, whole.max); withLines != wantLines || withLines == 0 {
		t.Errorf("%d level(s) have contour lines; %d of the levels %v are below the image's maximum %g", withLines, wantLines, set.Levels, whole.max)
	}

	// The dialog covers the image view; the user closes it.
	b.clickUntilGone("the contour dialog's close button", `[data-testid="contour-dialog-header-close-button"]`,
		`[data-testid="contour-dialog"]`, uiTimeout)
	closed := time.Now()
	b.moveMouse(restX, restY-200, restX, restY)
	after := waitContoursDrawn(b, before, segments, serverTimeout)
	t.Logf("contours drawn %v after the dialog closed", time.Since(closed).Round(time.Millisecond))
	b.saveShot("-contours", after.png)
	t.Logf("%d contour level(s), %d with lines: %d polylines, %d vertices", len(levels), withLines, lines, vertices)

	saveDiff(b, before.img, after.img, after.view, segments, float64(after.img.Bounds().Dx())/winW)
	checkErrorData(b, regionID)
	b.checkHealthy()
	t.Logf("test took %v", time.Since(testStart).Round(time.Millisecond))
}

// stableImageView returns the image view's box once it has a size and
// has kept it for half a second (the layout has settled).
func stableImageView(b *browser) rect {
	b.t.Helper()
	return pollJS[rect](b, "the image view's layout to settle", `(() => {
		const e = document.querySelector('#raster-canvas'); if (!e) return null;
		const r = e.getBoundingClientRect(), key = [r.left, r.top, r.width, r.height].join(), now = performance.now();
		if (window.cartagoTestView !== key) { window.cartagoTestView = key; window.cartagoTestViewSince = now; return null; }
		return r.width > 100 && r.height > 100 && now - window.cartagoTestViewSince >= 500 ?
			{X: r.left, Y: r.top, W: r.width, H: r.height} : null })()`, uiTimeout)
}

// moveOff drags a floating widget by its handle to the right edge of the
// window, off the image view, and returns its box. A loaded browser may
// drop some of the drag's moves, so it drags again from wherever the
// widget stopped, a few times.
func moveOff(b *browser, widgetCSS, handleCSS string, view rect, winW float64) rect {
	b.t.Helper()
	boxOf := `(() => { const e = document.querySelector(` + strconv.Quote(widgetCSS) + `); if (!e) return null;
		const r = e.getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`
	for attempt := 1; ; attempt++ {
		w := elementRect(b, widgetCSS)
		if w.X >= view.X+view.W {
			if attempt > 2 {
				b.t.Logf("the widget %s needed %d drags to move off the image view", widgetCSS, attempt-1)
			}
			return w
		}
		if attempt > 4 {
			b.fail("the widget %s is still at %+v, over the image view %+v, after %d drags", widgetCSS, w, view, attempt-1)
		}
		h := elementRect(b, handleCSS)
		dx := winW - 5 - w.W - w.X
		b.drag(h.X+40, h.Y+h.H/2, h.X+40+dx, h.Y+h.H/2)
		// The widget follows the last move it saw; wait until it rests.
		last := w
		for range 20 {
			r := evalJS[*rect](b, boxOf)
			if r == nil {
				b.fail("the widget %s went away", widgetCSS)
			}
			if *r == last {
				break
			}
			last = *r
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// ---- statistics ----

// waitRegionStats waits, from the given counts of SET_STATS_REQUIREMENTS
// sent and REGION_STATS_DATA received on, for the frontend to ask for
// the statistics of a region (−1: the image) and for the server's
// answer, which it returns with the time between the two.
func waitRegionStats(b *browser, fileID, regionID int32, reqFrom, dataFrom int) (*icd.RegionStatsData, time.Duration) {
	b.t.Helper()
	p := b.waitMessageFrom(true, ev(icd.EventType_SET_STATS_REQUIREMENTS), reqFrom,
		fmt.Sprintf("SET_STATS_REQUIREMENTS for region %d", regionID), func(p []byte) bool {
			var m icd.SetStatsRequirements
			return proto.Unmarshal(p, &m) == nil && m.FileId == fileID && m.RegionId == regionID && len(m.StatsConfigs) > 0
		}, uiTimeout)
	asked := time.Now()
	var req icd.SetStatsRequirements
	_ = proto.Unmarshal(p, &req)
	p = b.waitMessageFrom(false, ev(icd.EventType_REGION_STATS_DATA), dataFrom,
		fmt.Sprintf("REGION_STATS_DATA for region %d", regionID), func(p []byte) bool {
			var m icd.RegionStatsData
			return proto.Unmarshal(p, &m) == nil && m.FileId == fileID && m.RegionId == regionID
		}, uiTimeout)
	took := time.Since(asked)
	m := &icd.RegionStatsData{}
	_ = proto.Unmarshal(p, m)
	if m.Channel != 0 || m.Stokes != 0 {
		b.t.Errorf("REGION_STATS_DATA for region %d is of channel %d, Stokes %d; want 0, 0", regionID, m.Channel, m.Stokes)
	}
	// Every type asked for, once.
	got := map[icd.StatsType]int{}
	for _, v := range m.Statistics {
		got[v.StatsType]++
	}
	for _, cfg := range req.StatsConfigs {
		if cfg.Coordinate != "z" {
			b.t.Errorf("SET_STATS_REQUIREMENTS for region %d asks for coordinate %q; frontend 6.0.0 asks for \"z\"", regionID, cfg.Coordinate)
		}
		for _, st := range cfg.StatsTypes {
			if got[st] != 1 {
				b.t.Errorf("REGION_STATS_DATA for region %d has %s %d time(s), want once (asked for %v)", regionID, st, got[st], cfg.StatsTypes)
			}
		}
	}
	b.t.Logf("REGION_STATS_DATA for region %d: %v", regionID, statsString(m))
	return m, took
}

func statsString(m *icd.RegionStatsData) string {
	var s []string
	for _, v := range m.Statistics {
		s = append(s, fmt.Sprintf("%s=%.10g", v.StatsType, v.Value))
	}
	return strings.Join(s, " ")
}

// statsRows are the rows of the Statistics widget's table in the order
// it shows them, by StatsType (bundle, search "StatsNameMap=new Map").
var statsRows = []struct {
	typ  icd.StatsType
	name string
}{
	{icd.StatsType_NumPixels, "NumPixels"}, {icd.StatsType_Sum, "Sum"}, {icd.StatsType_FluxDensity, "FluxDensity"},
	{icd.StatsType_Mean, "Mean"}, {icd.StatsType_Sigma, "StdDev"}, {icd.StatsType_Min, "Min"}, {icd.StatsType_Max, "Max"},
	{icd.StatsType_Extrema, "Extrema"}, {icd.StatsType_RMS, "RMS"}, {icd.StatsType_SumSq, "SumSq"},
}

// checkStatsTable waits until the Statistics widget, titled
// "Statistics: <name> (Active)", shows the values of m, and checks every
// row: the widget writes a value with toExponential(12) followed by its
// unit ("pixel(s)" for NumPixels).
func checkStatsTable(b *browser, name string, m *icd.RegionStatsData) {
	b.t.Helper()
	values := map[icd.StatsType]float64{}
	for _, v := range m.Statistics {
		values[v.StatsType] = v.Value
	}
	var want [][]string
	for _, r := range statsRows {
		if v, ok := values[r.typ]; ok {
			want = append(want, []string{r.name, jsExponential(v, 12)})
		}
	}
	if len(want) == 0 || want[0][0] != "NumPixels" {
		b.fail("REGION_STATS_DATA for region %d has no NumPixels: %v", m.RegionId, statsString(m))
	}
	wantTitle := "Statistics: " + name + " (Active)"
	rows := pollJS[[][]string](b, fmt.Sprintf("the Statistics widget to show NumPixels %s for %q", want[0][1], wantTitle), `(() => {
		const title = document.querySelector('.floating-widget .floating-title')?.innerText.trim();
		const rows = Array.from(document.querySelectorAll('[data-testid="statistics-table"] tbody tr'))
			.map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim()));
		return title === `+strconv.Quote(wantTitle)+` && rows.length && rows[0][0] === 'NumPixels' &&
			rows[0][1] === `+strconv.Quote(want[0][1]+" pixel(s)")+` ? rows : null })()`, uiTimeout)
	b.t.Logf("%s:", wantTitle)
	for _, r := range rows {
		b.t.Logf("  %-11s %s", r[0], r[1])
	}
	if len(rows) != len(want) {
		b.t.Errorf("the Statistics widget shows %d rows, want %d (one per value of REGION_STATS_DATA it knows): %q", len(rows), len(want), rows)
	}
	for i := range min(len(rows), len(want)) {
		num, _, _ := strings.Cut(rows[i][1], " ")
		if len(rows[i]) != 2 || rows[i][0] != want[i][0] || num != want[i][1] {
			b.t.Errorf("Statistics widget row %d is %q; REGION_STATS_DATA has %s = %s", i, rows[i], want[i][0], want[i][1])
		}
	}
}

// jsExponential formats v as JavaScript's Number.prototype.toExponential
// does: an exponent without leading zeros.
func jsExponential(v float64, digits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		v = 0 // toExponential drops the sign of -0
	}
	s := strconv.FormatFloat(v, 'e', digits, 64)
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	sign := "+"
	if e < 0 {
		sign, e = "-", -e
	}
	return mant + "e" + sign + strconv.Itoa(e)
}

// jsLevel formats a contour level as the contour dialog's level tags do.
func jsLevel(v float64) string {
	if math.Abs(v) < 0.1 {
		return jsExponential(v, 2)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// checkStatsValues compares the server's statistics with those computed
// here from the file's pixels. FluxDensity is Sum over the beam's area in
// pixels, for the file's Jy/beam.
func checkStatsValues(t *testing.T, what string, m *icd.RegionStatsData, want pixelStats, beamPixels float64) {
	t.Helper()
	n := float64(want.n)
	extrema := want.max
	if math.Abs(want.min) > math.Abs(want.max) {
		extrema = want.min
	}
	expect := map[icd.StatsType]float64{
		icd.StatsType_NumPixels:   n,
		icd.StatsType_Sum:         want.sum,
		icd.StatsType_FluxDensity: want.sum / beamPixels,
		icd.StatsType_Mean:        want.sum / n,
		icd.StatsType_Sigma:       math.Sqrt((want.sumSq - want.sum*want.sum/n) / (n - 1)),
		icd.StatsType_Min:         want.min,
		icd.StatsType_Max:         want.max,
		icd.StatsType_Extrema:     extrema,
		icd.StatsType_RMS:         math.Sqrt(want.sumSq / n),
		icd.StatsType_SumSq:       want.sumSq,
	}
	for _, v := range m.Statistics {
		e, ok := expect[v.StatsType]
		if !ok {
			continue
		}
		// The pixels are float32; sums in float64 in another order
		// differ in the last digits.
		if math.Abs(v.Value-e) > 1e-9*math.Abs(e) {
			t.Errorf("%s: %s is %.12g; the file's %d finite pixels there give %.12g", what, v.StatsType, v.Value, want.n, e)
		}
	}
}

// ---- the file ----

// fileImage is the first plane of a FITS image and its beam.
type fileImage struct {
	imaging.Plane
	w, h       int
	beamPixels float64 // the beam's area in pixels: π·BMAJ·BMIN / (4 ln 2) / |CDELT1·CDELT2|
}

func readImage(t *testing.T, path string) fileImage {
	t.Helper()
	im, hdr := firstImage(t, path)
	p := plane(t, im, 0, 0)
	var v [4]float64
	for i, k := range []string{"BMAJ", "BMIN", "CDELT1", "CDELT2"} {
		var ok bool
		if v[i], ok = hdr.Float(k); !ok || v[i] == 0 {
			t.Fatalf("%s has no %s", path, k)
		}
	}
	return fileImage{Plane: p, w: p.Width, h: p.Height, beamPixels: math.Pi * v[0] * v[1] / (4 * math.Ln2) / math.Abs(v[2]*v[3])}
}

// pixelStats sums the pixels of a box.
type pixelStats struct {
	n, nan               int // finite and NaN pixels
	sum, sumSq, min, max float64
}

// stats returns the statistics of the pixels whose centres (integer
// coordinates) lie in [x0, x1] × [y0, y1], NaN left out.
func (im fileImage) stats(x0, x1, y0, y1 float64) pixelStats {
	s := pixelStats{min: math.Inf(1), max: math.Inf(-1)}
	for y := max(0, int(math.Ceil(y0))); y < im.h && float64(y) <= y1; y++ {
		for x := max(0, int(math.Ceil(x0))); x < im.w && float64(x) <= x1; x++ {
			v := float64(im.At(x, y))
			if math.IsNaN(v) {
				s.nan++
				continue
			}
			s.n++
			s.sum += v
			s.sumSq += v * v
			s.min = min(s.min, v)
			s.max = max(s.max, v)
		}
	}
	return s
}

// inside reports whether (x, y) lies within the image's pixel centres.
func (im fileImage) inside(x, y float64) bool {
	return x >= 0 && y >= 0 && x <= float64(im.w-1) && y <= float64(im.h-1)
}

// crossing checks that (x, y), in pixel coordinates, lies on the segment
// between two neighbouring pixel centres whose values, linearly
// interpolated, cross level within ±round pixel of it.
func (im fileImage) crossing(x, y, level, round float64) error {
	onX := math.Abs(x-math.Round(x)) < 1e-3 // on a column: the segment runs along y
	onY := math.Abs(y-math.Round(y)) < 1e-3
	var at func(t float64) (int, int)
	var t float64
	switch {
	case onY && !onX:
		j := int(math.Round(y))
		at, t = func(t float64) (int, int) { return int(t), j }, x
	case onX && !onY:
		i := int(math.Round(x))
		at, t = func(t float64) (int, int) { return i, int(t) }, y
	case onX && onY:
		// On a pixel centre: that pixel is the level itself, within the
		// rounding, or the crossing is within round of it.
		i, j := int(math.Round(x)), int(math.Round(y))
		if !im.inside(x, y) {
			return fmt.Errorf("outside the image")
		}
		v := float64(im.At(i, j))
		for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			if im.inside(float64(i+d[0]), float64(j+d[1])) {
				w := float64(im.At(i+d[0], j+d[1]))
				if (v-level)*(w-level) <= 0 && math.Abs(v-level) <= round*math.Abs(w-v) {
					return nil
				}
			}
		}
		return fmt.Errorf("on pixel (%d, %d) = %g, not within %g pixel of a crossing of %g", i, j, v, round, level)
	default:
		return fmt.Errorf("not on a line between pixel centres")
	}
	i0 := math.Floor(t)
	ax, ay := at(i0)
	bx, by := at(i0 + 1)
	if !im.inside(float64(ax), float64(ay)) || !im.inside(float64(bx), float64(by)) {
		return fmt.Errorf("outside the image")
	}
	a, b := float64(im.At(ax, ay)), float64(im.At(bx, by))
	if (a-level)*(b-level) > 0 || a == b {
		return fmt.Errorf("between pixels (%d, %d) = %g and (%d, %d) = %g, which do not cross %g", ax, ay, a, bx, by, b, level)
	}
	// Where the interpolation crosses the level.
	cross := i0 + (level-a)/(b-a)
	if math.Abs(cross-t) > round+1e-4 {
		return fmt.Errorf("between pixels (%d, %d) = %g and (%d, %d) = %g, which cross %g at %g, not %g", ax, ay, a, bx, by, b, level, cross, t)
	}
	return nil
}

// ---- contours ----

// contourLevel gathers one level's chunks.
type contourLevel struct {
	lines  [][]float32 // polylines, x, y pairs
	chunks int
	done   bool
}

func (l *contourLevel) add(cs *icd.ContourSet) error {
	l.chunks++
	xy, err := contour.Decode(contour.Encoded{Coordinates: cs.RawCoordinates,
		UncompressedSize: int(cs.UncompressedCoordinatesSize), Decimation: int(cs.DecimationFactor)})
	if err != nil {
		return fmt.Errorf("coordinates: %w", err)
	}
	starts, err := contour.DecodeStarts(cs.RawStartIndices)
	if err != nil {
		return fmt.Errorf("start indices: %w", err)
	}
	if len(xy)%2 != 0 || (len(xy) > 0) != (len(starts) > 0) {
		return fmt.Errorf("%d coordinates with %d start indices", len(xy), len(starts))
	}
	for i, s := range starts {
		end := len(xy)
		if i+1 < len(starts) {
			end = int(starts[i+1])
		}
		if s < 0 || int(s) >= end || end > len(xy) || s%2 != 0 {
			return fmt.Errorf("start indices %v for %d coordinates", starts, len(xy))
		}
		l.lines = append(l.lines, xy[s:end])
	}
	return nil
}

func (l *contourLevel) vertices() int {
	n := 0
	for _, pl := range l.lines {
		n += len(pl) / 2
	}
	return n
}

// waitContours waits, from the count from of CONTOUR_IMAGE_DATA on,
// until every level has come to its chunk of progress 1, and returns
// the levels' polylines.
func waitContours(b *browser, fileID int32, want []float64, from int) map[float64]*contourLevel {
	b.t.Helper()
	levels := map[float64]*contourLevel{}
	for _, l := range want {
		levels[l] = &contourLevel{}
	}
	seen := from
	for done := 0; done < len(levels); {
		b.waitFrame(false, ev(icd.EventType_CONTOUR_IMAGE_DATA), seen+1, serverTimeout)
		for _, p := range b.rec.payloadsFrom(false, ev(icd.EventType_CONTOUR_IMAGE_DATA), seen) {
			seen++
			var m icd.ContourImageData
			if err := proto.Unmarshal(p, &m); err != nil {
				b.fail("CONTOUR_IMAGE_DATA does not decode: %v", err)
			}
			if m.FileId != fileID || m.ReferenceFileId != uint32(fileID) || m.Channel != 0 || m.Stokes != 0 {
				b.t.Errorf("CONTOUR_IMAGE_DATA for file %d (reference %d), channel %d, Stokes %d; want file %d, channel 0, Stokes 0",
					m.FileId, m.ReferenceFileId, m.Channel, m.Stokes, fileID)
			}
			for _, cs := range m.ContourSets {
				l := levels[cs.Level]
				if l == nil {
					b.fail("CONTOUR_IMAGE_DATA for level %g, which the frontend did not ask for (%v)", cs.Level, want)
				}
				if l.done {
					b.t.Errorf("CONTOUR_IMAGE_DATA for level %g after its chunk of progress 1", cs.Level)
				}
				if err := l.add(cs); err != nil {
					b.fail("CONTOUR_IMAGE_DATA for level %g: %v", cs.Level, err)
				}
				if m.Progress == 1 && !l.done {
					l.done = true
					done++
				}
			}
		}
	}
	return levels
}

func countBelow(levels []float64, v float64) int {
	n := 0
	for _, l := range levels {
		if l < v {
			n++
		}
	}
	return n
}

// Contour lines in the screenshot: the pixels that changed must lie on
// the lines the server sent and have turned towards the lines' colour,
// and the lines must show.
const (
	// How far, in CSS pixels, a changed pixel may be from a line: the
	// lines are one pixel wide and anti-aliased.
	contourNear = 2.0
	// The share of the changed pixels that must be that near, and turned
	// towards contourColour.
	contourNearShare = 0.95
	// The share of points along the lines (every CSS pixel) that must
	// have a changed pixel within contourNear.
	contourCoverShare = 0.8
)

// contourColour is the frontend's default contour colour, Blueprint's
// GREEN3 (bundle: "contourColor:i6.J.GREEN3"; GREEN3:"#238551").
var contourColour = [3]int{0x23, 0x85, 0x51}

// contourPixels is how a screenshot's image view differs from one
// without contours.
type contourPixels struct {
	changed int // pixels that differ by more than 16 of 255 in a component
	near    int // those within contourNear of a segment
	toward  int // those nearer contourColour than before
	points  int // points along the segments in the view, one per CSS pixel
	cover   int // those with a changed pixel within contourNear
}

func (c contourPixels) ok() bool {
	return c.changed > 0 && float64(c.near) >= contourNearShare*float64(c.changed) &&
		float64(c.toward) >= contourNearShare*float64(c.changed) && float64(c.cover) >= contourCoverShare*float64(c.points)
}

func (c contourPixels) String() string {
	pc := func(n, of int) float64 { return 100 * float64(n) / float64(max(1, of)) }
	return fmt.Sprintf("%d pixels changed, %d (%.1f%%) within %g px of a contour line, %d (%.1f%%) towards the contour colour; "+
		"%d of %d points along the lines (%.1f%%) have a changed pixel that near",
		c.changed, c.near, pc(c.near, c.changed), contourNear, c.toward, pc(c.toward, c.changed), c.cover, c.points, pc(c.cover, c.points))
}

// waitContoursDrawn takes screenshots until the image view differs from
// before along the contour segments (CSS pixels), in the contour colour,
// nowhere else, and stays the same over two screenshots; it returns the
// last.
func waitContoursDrawn(b *browser, before viewShot, segments [][4]float64, timeout time.Duration) viewShot {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var prev *viewShot
	for {
		s := b.captureView()
		scale := float64(s.img.Bounds().Dx()) / evalJS[float64](b, `window.innerWidth`)
		c := contourDiff(before.img, s.img, s.view, segments, scale)
		stable := prev != nil && prev.view == s.view
		if stable {
			n, _ := differing(prev.img, s.img, s.view)
			stable = n == 0
		}
		if s.view == before.view && c.ok() && stable {
			b.t.Logf("image view %v: %v", s.view, c)
			return s
		}
		if time.Now().After(deadline) {
			saveDiff(b, before.img, s.img, s.view, segments, scale)
			b.saveShot("-nocontours", s.png)
			b.fail("the image view (%v, was %v) %v after the contours arrived: %v (want %.0f%%, %.0f%% and %.0f%%); stable: %v",
				s.view, before.view, timeout, c, 100*contourNearShare, 100*contourNearShare, 100*contourCoverShare, stable)
		}
		prev = &s
		time.Sleep(200 * time.Millisecond)
	}
}

// contourDiff compares the image view r of a screenshot b with contours
// to one a without, against the contour segments (CSS pixels; the
// screenshots have scale pixels per CSS pixel).
func contourDiff(a, b image.Image, r image.Rectangle, segments [][4]float64, scale float64) contourPixels {
	var c contourPixels
	r = r.Intersect(a.Bounds()).Intersect(b.Bounds())
	tol := contourNear * scale
	isChanged := map[image.Point]bool{}
	dist := func(r, g, b uint32) int {
		dr, dg, db := int(r>>8)-contourColour[0], int(g>>8)-contourColour[1], int(b>>8)-contourColour[2]
		return dr*dr + dg*dg + db*db
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if absDiff(ar, br) <= 16<<8 && absDiff(ag, bg) <= 16<<8 && absDiff(ab, bb) <= 16<<8 {
				continue
			}
			c.changed++
			isChanged[image.Pt(x, y)] = true
			if dist(br, bg, bb) < dist(ar, ag, ab) {
				c.toward++
			}
			// From the centre of the screenshot's pixel.
			for _, s := range segments {
				if segmentDistance(float64(x)+0.5, float64(y)+0.5, s[0]*scale, s[1]*scale, s[2]*scale, s[3]*scale) <= tol {
					c.near++
					break
				}
			}
		}
	}
	reach := int(math.Ceil(tol))
	for _, s := range segments {
		x0, y0, x1, y1 := s[0]*scale, s[1]*scale, s[2]*scale, s[3]*scale
		steps := max(1, int(math.Ceil(math.Hypot(x1-x0, y1-y0)/scale)))
		for i := range steps {
			f := float64(i) / float64(steps)
			x, y := x0+(x1-x0)*f, y0+(y1-y0)*f
			if !image.Pt(int(x), int(y)).In(r) {
				continue
			}
			c.points++
		search:
			for dy := -reach; dy <= reach; dy++ {
				for dx := -reach; dx <= reach; dx++ {
					q := image.Pt(int(math.Floor(x))+dx, int(math.Floor(y))+dy)
					if isChanged[q] && math.Hypot(float64(q.X)+0.5-x, float64(q.Y)+0.5-y) <= tol {
						c.cover++
						break search
					}
				}
			}
		}
	}
	return c
}

// segmentDistance is the distance from (x, y) to the segment (x0, y0)–(x1, y1).
func segmentDistance(x, y, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	f := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		f = max(0, min(1, ((x-x0)*dx+(y-y0)*dy)/l))
	}
	return math.Hypot(x-(x0+f*dx), y-(y0+f*dy))
}

// saveDiff writes the image view of after with the pixels that differ
// from before in red, the others dimmed, and points along the contour
// segments (CSS pixels; scale converts them to the screenshots' pixels)
// in green, as browser-<test>-diff.png.
func saveDiff(b *browser, before, after image.Image, r image.Rectangle, segments [][4]float64, scale float64) {
	b.t.Helper()
	out := image.NewRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := before.At(x, y).RGBA()
			br, bg, bb, _ := after.At(x, y).RGBA()
			if absDiff(ar, br) > 16<<8 || absDiff(ag, bg) > 16<<8 || absDiff(ab, bb) > 16<<8 {
				out.Set(x, y, color.RGBA{255, 0, 0, 255})
			} else {
				out.Set(x, y, color.RGBA{uint8(br >> 10), uint8(bg >> 10), uint8(bb >> 10), 255})
			}
		}
	}
	for _, s := range segments {
		for i := 0; i <= 8; i++ {
			f := float64(i) / 8
			out.Set(int((s[0]+(s[2]-s[0])*f)*scale), int((s[1]+(s[3]-s[1])*f)*scale), color.RGBA{0, 255, 0, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		b.t.Errorf("encoding the difference image: %v", err)
		return
	}
	b.saveShot("-diff", buf.Bytes())
}

// ---- errors ----

// checkErrorData fails on every ERROR_DATA the server sent (the frontend
// only files them in its Log widget, so checkHealthy does not see them)
// but one kind, which this test causes on purpose: the default layout's
// X and Y Profile widgets follow the selected region, so once the
// rectangle is drawn the frontend asks for its spatial profiles
// (SET_SPATIAL_REQUIREMENTS {region, [x, y]}), which only point and line
// regions have. The reference backend refuses that request too and says
// so with an ERROR_DATA (Session::OnSetSpatialRequirements: "Spatial
// requirements failed for region N: invalid region id or type"); the
// server may answer each such request with that one ERROR_DATA, and
// nothing else.
func checkErrorData(b *browser, regionID int32) {
	b.t.Helper()
	asked := 0
	for _, p := range b.rec.payloadsFrom(true, ev(icd.EventType_SET_SPATIAL_REQUIREMENTS), 0) {
		var m icd.SetSpatialRequirements
		if proto.Unmarshal(p, &m) == nil && m.RegionId == regionID && len(m.SpatialProfiles) > 0 {
			asked++
		}
	}
	expected := fmt.Sprintf("Spatial requirements failed for region %d: invalid region id or type", regionID)
	refused := 0
	for _, p := range b.rec.payloadsFrom(false, ev(icd.EventType_ERROR_DATA), 0) {
		var m icd.ErrorData
		_ = proto.Unmarshal(p, &m)
		if m.Severity == icd.ErrorSeverity_ERROR && m.Message == expected {
			refused++
			b.t.Logf("ERROR_DATA, as expected for the spatial profiles of the rectangle: %q", m.Message)
			continue
		}
		b.t.Errorf("the server sent ERROR_DATA: %v", &m)
	}
	if refused > asked {
		b.t.Errorf("the server sent %d ERROR_DATA %q for %d SET_SPATIAL_REQUIREMENTS of region %d", refused, expected, asked, regionID)
	}
}
