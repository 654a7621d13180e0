package main

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// TestBrowserLineProfile: with the Small set's 64×64 image open, the
// user draws a line across a source with the toolbar's line tool. The
// spatial profilers of the default layout follow the new, focused line:
// the frontend asks for its profile (a polarization and an averaging
// width), the server answers with one value per pixel along the line,
// each the mean of the pixels in a box of that width centred on the line
// (as the reference samples lines), and an offset axis in arcseconds;
// the frontend stores the profile under the line and the profiler plots
// it. Artifact: browser-LineProfile-line.png.
func TestBrowserLineProfile(t *testing.T) {
	root := smallSample(t)
	path := filepath.Join(root, regionSample)
	px := readImage(t, path)
	cdelt := readCdelt(t, path)
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	openDrawn(b, regionSample)

	// carta-frontend 6.0.0 draws lines from their centre (preference
	// regionCreationMode "center"): the press is the midpoint, the release
	// the second end. This line runs from about (12, 37) to (40.6, 55.4),
	// over the source near (28, 51).
	const mx, my, ex, ey = 26.4, 46.3, 40.6, 55.4
	view := stableImageView(b)
	toScreen := fittedToScreen(view, px.w, px.h)
	x0, y0 := toScreen(mx, my)
	x1, y1 := toScreen(ex, ey)
	b.clickUntilActive("the toolbar's line region button", `[data-testid="line-region-shortcut-button"]`, uiTimeout)
	nReq := b.rec.frames(true, ev(icd.EventType_SET_SPATIAL_REQUIREMENTS))
	nData := b.rec.frames(false, ev(icd.EventType_SPATIAL_PROFILE_DATA))
	id, info := b.createRegion(icd.RegionType_LINE, func() { b.drag(x0, y0, x1, y1) })
	winW, winH := evalJS[float64](b, `window.innerWidth`), evalJS[float64](b, `window.innerHeight`)
	b.moveMouse(x1, y1, winW-60, winH-30) // off the image: no cursor profiles

	p := b.waitMessageFrom(true, ev(icd.EventType_SET_SPATIAL_REQUIREMENTS), nReq,
		fmt.Sprintf("SET_SPATIAL_REQUIREMENTS for line region %d", id), func(p []byte) bool {
			var m icd.SetSpatialRequirements
			return proto.Unmarshal(p, &m) == nil && m.RegionId == id && len(m.SpatialProfiles) > 0
		}, uiTimeout)
	var req icd.SetSpatialRequirements
	_ = proto.Unmarshal(p, &req)
	cfg := req.SpatialProfiles[0]
	t.Logf("the frontend asks for the line's profile %q with averaging width %d", cfg.Coordinate, cfg.Width)

	p = b.waitMessageFrom(false, ev(icd.EventType_SPATIAL_PROFILE_DATA), nData,
		fmt.Sprintf("SPATIAL_PROFILE_DATA of line region %d", id), func(p []byte) bool {
			var m icd.SpatialProfileData
			return proto.Unmarshal(p, &m) == nil && m.RegionId == id && len(m.Profiles) > 0
		}, serverTimeout)
	var data icd.SpatialProfileData
	_ = proto.Unmarshal(p, &data)
	prof := data.Profiles[0]
	values := floatsOf(prof.RawValuesFp32)
	ax := prof.LineAxis
	t.Logf("line profile: %d values, axis %v", len(values), ax)

	pts := info.ControlPoints
	zoom := math.Min(view.W/float64(px.w), view.H/float64(px.h))
	if tol := 1.5 / zoom; len(pts) != 2 || math.Abs(float64(pts[0].X+pts[1].X)/2-mx) > tol || math.Abs(float64(pts[0].Y+pts[1].Y)/2-my) > tol ||
		math.Abs(float64(pts[1].X)-ex) > tol || math.Abs(float64(pts[1].Y)-ey) > tol {
		b.fail("the frontend sent the line %v for a drag from (%g, %g) to (%g, %g) (zoom %g)", pts, mx, my, ex, ey, zoom)
	}

	// The values, against boxes placed and filled here in float64.
	checked := checkLineSamples(t, px, [2]float64{float64(pts[0].X), float64(pts[0].Y)},
		[2]float64{float64(pts[1].X), float64(pts[1].Y)}, float64(cfg.Width), values)
	t.Logf("%d of %d samples checked against the pixels", checked, len(values))
	if checked < len(values)/2 {
		t.Errorf("only %d of %d samples could be checked (pixel centres on box edges)", checked, len(values))
	}
	// One sample per pixel along the line: the step is the pixel's size
	// on the sky in that direction, in arcseconds for a line this short.
	dx, dy := float64(pts[1].X-pts[0].X), float64(pts[1].Y-pts[0].Y)
	l := math.Hypot(dx, dy)
	step := math.Hypot(dx/l*cdelt[0], dy/l*cdelt[1]) * 3600
	if ax.GetAxisType() != icd.ProfileAxisType_Offset || ax.GetUnit() != "arcsec" || math.Abs(float64(ax.GetCdelt())-step) > 1e-6*step ||
		ax.GetCrpix() != float32(len(values)/2) || prof.End != int32(len(values)-1) || prof.Coordinate != cfg.Coordinate {
		t.Errorf("profile %d..%d %q with axis %v; want an offset axis of %g arcsec per sample centred on sample %d",
			prof.Start, prof.End, prof.Coordinate, ax, step, len(values)/2)
	}

	// The frontend keeps the profile under the line and the profilers
	// plot it.
	stored := pollJS[float64](b, "the frontend to store the line's profile", fmt.Sprintf(
		`window.app?.spatialProfiles?.get('%d-%d')?.getProfile(%q)?.values?.length || 0`, data.FileId, id, cfg.Coordinate), uiTimeout)
	if int(stored) != len(values) {
		t.Errorf("the frontend stored %v values, the server sent %d", stored, len(values))
	}
	following := pollJS[float64](b, "a spatial profiler to plot the line", fmt.Sprintf(
		`Array.from(window.app.widgetsStore.spatialProfileWidgets.values()).filter(w => w.effectiveRegionId === %d && w.isLineOrPolyline).length`, id), uiTimeout)
	t.Logf("%v spatial profiler(s) plot the line", following)
	b.saveShot("-line", b.capture())
	if n := b.rec.frames(false, ev(icd.EventType_ERROR_DATA)); n > 0 {
		t.Errorf("the server sent %d ERROR_DATA", n)
	}
	b.checkHealthy()
}

// fittedToScreen maps image pixel coordinates to CSS pixels of the page
// for an image of w×h pixels fitted to the image view, as the frontend
// shows it first: zoom is the smaller ratio of the view to the image, the
// image's centre ((w−1)/2, (h−1)/2, pixel centres at integers) is at the
// view's centre, and y grows upwards.
func fittedToScreen(view rect, w, h int) func(x, y float64) (float64, float64) {
	zoom := math.Min(view.W/float64(w), view.H/float64(h))
	return func(x, y float64) (float64, float64) {
		return view.X + view.W/2 + (x-float64(w-1)/2)*zoom, view.Y + view.H/2 - (y-float64(h-1)/2)*zoom
	}
}

func readCdelt(t *testing.T, path string) [2]float64 {
	t.Helper()
	_, h := firstImage(t, path)
	c1, ok1 := h.Float("CDELT1")
	c2, ok2 := h.Float("CDELT2")
	if !ok1 || !ok2 {
		t.Fatalf("%s has no CDELT1/2", path)
	}
	return [2]float64{math.Abs(c1), math.Abs(c2)}
}

func floatsOf(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
	}
	return out
}

// checkLineSamples computes the profile of the line from start to end
// the way the reference samples it: round((length−1)/2) samples each way
// from the midpoint, one pixel apart, from end towards start; each the
// mean of the finite pixels whose centres lie in a box width pixels long
// along the line and 3 across (1 for lines along an axis). Samples with a
// pixel centre within 1e-3 of their box's edge are skipped, where float32
// rounding decides; it returns how many it checked.
func checkLineSamples(t *testing.T, px fileImage, start, end [2]float64, width float64, got []float32) int {
	t.Helper()
	length := math.Hypot(end[0]-start[0], end[1]-start[1])
	n := max(int(math.Round((length-1)/2)), 0)
	if len(got) != 2*n+1 {
		t.Errorf("%d samples for a line %.2f pixels long, want %d", len(got), length, 2*n+1)
		return 0
	}
	ux, uy := (start[0]-end[0])/length, (start[1]-end[1])/length // towards start
	across := 3.0
	if ux == 0 || uy == 0 {
		across = 1
	}
	mx, my := (start[0]+end[0])/2, (start[1]+end[1])/2
	checked := 0
	for i := range got {
		k := float64(i - n)
		cx, cy := mx+k*ux, my+k*uy
		var sum float64
		count, edge := 0, false
		for y := range px.h {
			for x := range px.w {
				a := (float64(x)-cx)*ux + (float64(y)-cy)*uy  // along the line
				c := -(float64(x)-cx)*uy + (float64(y)-cy)*ux // across
				da, dc := math.Abs(a)-width/2, math.Abs(c)-across/2
				if math.Abs(da) < 1e-3 || math.Abs(dc) < 1e-3 {
					edge = true
				}
				if da <= 0 && dc <= 0 {
					if v := float64(px.At(x, y)); !math.IsNaN(v) {
						sum += v
						count++
					}
				}
			}
		}
		if edge {
			continue
		}
		checked++
		want := math.NaN()
		if count > 0 {
			want = sum / float64(count)
		}
		if g := float64(got[i]); !(math.IsNaN(g) && math.IsNaN(want)) && math.Abs(g-want) > 1e-6*math.Abs(want)+1e-12 {
			t.Errorf("sample %d at (%.3f, %.3f): the server sent %g, the mean of %d pixels is %g", i, cx, cy, g, count, want)
		}
	}
	return checked
}
