package session

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
)

// The moments cube: 40×30×8, a FREQ axis with a rest frequency, so
// moments run in radio velocity (km/s) as casacore's do.
const momW, momH, momD = 40, 30, 8
const momRest, momF0, momDF = 1.4204e9, 1.4200e9, 2e5

func momValue(x, y, c int) float32 {
	if x == 3 && y == 2 && c == 4 || x == 5 && y == 5 { // a blank channel; a blank spectrum
		return float32(math.NaN())
	}
	return float32(1 + math.Sin(float64(x*3+y*7+c*5)) + 0.01*float64(x))
}

func momVelocity(c int) float64 { return 299792458 * (1 - (momF0+momDF*float64(c))/momRest) / 1e3 }

func writeMomentCube(t *testing.T, path string) {
	t.Helper()
	data := make([]float32, momW*momH*momD)
	for c := range momD {
		for y := range momH {
			for x := range momW {
				data[(c*momH+y)*momW+x] = momValue(x, y, c)
			}
		}
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{momW, momH, momD}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("CUNIT3", "Hz", ""),
		fits.NewFloatCard("CRVAL3", momF0, ""), fits.NewFloatCard("CDELT3", momDF, ""), fits.NewFloatCard("CRPIX3", 1, ""),
		fits.NewFloatCard("RESTFRQ", momRest, ""), fits.NewStringCard("BUNIT", "Jy/beam", ""),
	}}))
}

// momOracle is moment 0 (sum × |Δv|) and moment 1 (Σvx/Σv) of a pixel
// over channels from..to, computed directly.
func momOracle(x, y, from, to int) (m0, m1 float64) {
	var s, sx float64
	n := 0
	for c := from; c <= to; c++ {
		v := float64(momValue(x, y, c))
		if math.IsNaN(v) {
			continue
		}
		s, sx, n = s+v, sx+v*momVelocity(c), n+1
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	return s * math.Abs(momVelocity(1)-momVelocity(0)), sx / s
}

func closeTo(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= 1e-5*math.Max(1, math.Abs(want))
}

func momentClient(t *testing.T) *pipe {
	t.Helper()
	root := t.TempDir()
	writeMomentCube(t, filepath.Join(root, "m.fits"))
	c := folderPipe(t, root)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 5, &icd.OpenFile{Directory: ".", File: "m.fits", FileId: 0})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 5, &ack)
	if !ack.Success {
		t.Fatalf("open: %+v", &ack)
	}
	skipTo(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	return c
}

// awaitMoments reads progress up to the response of request req.
func awaitMoments(t *testing.T, c *pipe, req uint32) *icd.MomentResponse {
	t.Helper()
	for {
		h, b := next(t, c)
		switch h.Type {
		case icd.EventType_MOMENT_PROGRESS:
			var p icd.MomentProgress
			must(t, proto.Unmarshal(b, &p))
			if p.FileId != 0 || p.Progress <= 0 || p.Progress >= 1 {
				t.Fatalf("progress %+v", &p)
			}
		case icd.EventType_MOMENT_RESPONSE:
			if h.RequestID != req {
				t.Fatalf("response to request %d, want %d", h.RequestID, req)
			}
			var r icd.MomentResponse
			must(t, proto.Unmarshal(b, &r))
			return &r
		default:
			t.Fatalf("got %s while waiting for moments", describe(h, b))
		}
	}
}

func headerValue(ext *icd.FileInfoExtended, name string) string {
	for _, e := range ext.HeaderEntries {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// Moments 0 and 1 become images 1000 and 1001, ids as the reference
// assigns them ((file id + 1) × 1000 + i, carta-backend
// src/Moment/MomentGenerator / Session::OnMomentRequest), named and
// united as casacore's ImageMoments writes them; their tiles, cursor
// and histogram show the independently computed moments.
func TestMomentImages(t *testing.T) {
	c := momentClient(t)
	sendMsg(t, c, icd.EventType_MOMENT_REQUEST, 30, 7, &icd.MomentRequest{FileId: 0,
		Moments: []icd.Moment{icd.Moment_INTEGRATED_OF_THE_SPECTRUM, icd.Moment_INTENSITY_WEIGHTED_COORD},
		Axis:    icd.MomentAxis_SPECTRAL, RegionId: -1, SpectralRange: &icd.IntBounds{Min: 1, Max: 6},
		PixelRange: &icd.FloatBounds{Min: -1, Max: 1}})
	resp := awaitMoments(t, c, 7)
	if !resp.Success || resp.Cancel || len(resp.OpenFileAcks) != 2 {
		t.Fatalf("response %+v", resp)
	}
	for i, want := range []struct {
		id         int32
		name, unit string
	}{{1000, "m.fits.moment.integrated", "Jy/beam.km/s"}, {1001, "m.fits.moment.weighted_coord", "km/s"}} {
		a := resp.OpenFileAcks[i]
		ext := a.FileInfoExtended
		if !a.Success || a.FileId != want.id || a.FileInfo.Name != want.name || ext.Width != momW || ext.Height != momH || ext.Depth != 1 {
			t.Fatalf("ack %d: id %d name %q ext %dx%dx%d", i, a.FileId, a.FileInfo.Name, ext.Width, ext.Height, ext.Depth)
		}
		if got := headerValue(ext, "BUNIT"); got != want.unit {
			t.Errorf("%s BUNIT %q, want %q", want.name, got, want.unit)
		}
	}
	// Each image's histogram follows, as after OPEN_FILE_ACK.
	for range 2 {
		h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
		checkMomentHistogram(t, h)
	}

	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 8, &icd.AddRequiredTiles{FileId: 1001, Tiles: []int32{0},
		CompressionType: icd.CompressionType_NONE})
	tile := readTileGroup(t, c, 1001, 0)
	for _, td := range tile {
		vals := floats(td.ImageData)
		if td.Width != momW || td.Height != momH || len(vals) != momW*momH {
			t.Fatalf("tile %dx%d with %d values", td.Width, td.Height, len(vals))
		}
		for y := range momH {
			for x := range momW {
				got := float64(vals[y*momW+x])
				if vals[y*momW+x] == tiles.BlankValue { // how raw tiles carry NaN
					got = math.NaN()
				}
				if _, m1 := momOracle(x, y, 1, 6); !closeTo(got, m1) {
					t.Fatalf("moment 1 at %d,%d = %g, want %g", x, y, vals[y*momW+x], m1)
				}
			}
		}
	}

	for _, p := range [][2]int{{7, 9}, {3, 2}, {5, 5}} {
		sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: 1000, Point: &icd.Point{X: float32(p[0]), Y: float32(p[1])}})
		sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
		if m0, _ := momOracle(p[0], p[1], 1, 6); sp.FileId != 1000 || !closeTo(float64(sp.Value), m0) {
			t.Fatalf("cursor at %v on moment 0: %+v, want %g", p, sp, m0)
		}
	}
	noErrorsToPong(t, c)
}

// checkMomentHistogram checks an image histogram counts the finite
// pixels of a moment image (the one blank spectrum is NaN).
func checkMomentHistogram(t *testing.T, h *icd.RegionHistogramData) {
	t.Helper()
	var total int32
	for _, n := range h.Histograms.Bins {
		total += n
	}
	if (h.FileId != 1000 && h.FileId != 1001) || h.RegionId != -1 || total != momW*momH-1 {
		t.Fatalf("histogram of file %d region %d counts %d, want %d", h.FileId, h.RegionId, total, momW*momH-1)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for y := range momH {
		for x := range momW {
			m0, m1 := momOracle(x, y, 1, 6)
			v := m0
			if h.FileId == 1001 {
				v = m1
			}
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if got := h.Histograms.FirstBinCenter - h.Histograms.BinWidth/2; !closeTo(got, lo) {
		t.Errorf("file %d histogram starts at %g, want %g", h.FileId, got, lo)
	}
}

// STOP_MOMENT_CALC cancels a running calculation silently; the request
// is answered with cancel=true and no image (the reference's
// Session::OnStopMomentCalc stops the generator, whose response then
// carries cancel).
func TestMomentStopCancels(t *testing.T) {
	old := momentStarted
	momentStarted = func(ctx context.Context) { <-ctx.Done() } // holds the run until STOP
	t.Cleanup(func() { momentStarted = old })
	c := momentClient(t)
	sendMsg(t, c, icd.EventType_MOMENT_REQUEST, 30, 7, &icd.MomentRequest{FileId: 0,
		Moments: []icd.Moment{icd.Moment_MEAN_OF_THE_SPECTRUM}, RegionId: -1, SpectralRange: &icd.IntBounds{Min: 0, Max: 7}})
	sendMsg(t, c, icd.EventType_STOP_MOMENT_CALC, 30, 8, &icd.StopMomentCalc{FileId: 0})
	resp := awaitMoments(t, c, 7)
	if !resp.Cancel || len(resp.OpenFileAcks) != 0 {
		t.Fatalf("response %+v, want cancel without images", resp)
	}
	// The stop itself is silent, and no image was made.
	noErrorsToPong(t, c)
	if c.client.session.frame(1000) != nil {
		t.Fatal("a cancelled calculation left image 1000")
	}
}

// A region and an include mask restrict the pixels and values that
// count; without keep the earlier results are closed and the ids start
// again at 1000, with keep they stay and the new ones follow.
func TestMomentRegionMaskKeep(t *testing.T) {
	c := momentClient(t)
	rect := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 10, Y: 10}, {X: 5, Y: 5}}}
	if ack := setRegion(t, c, 6, 0, -1, rect); !ack.Success {
		t.Fatalf("region: %+v", ack)
	}
	req := &icd.MomentRequest{FileId: 0, Moments: []icd.Moment{icd.Moment_MAX_OF_THE_SPECTRUM, icd.Moment_MEDIAN_OF_THE_SPECTRUM},
		RegionId: 1, SpectralRange: &icd.IntBounds{Min: 0, Max: 7}, Mask: icd.MomentMask_Include, PixelRange: &icd.FloatBounds{Min: 0.5, Max: 1.5}}
	for round, keep := range []bool{false, false, true} {
		req.Keep = keep
		sendMsg(t, c, icd.EventType_MOMENT_REQUEST, 30, 7, req)
		resp := awaitMoments(t, c, 7)
		wantIDs := []int32{1000, 1001}
		if keep {
			wantIDs = []int32{1002, 1003}
		}
		if !resp.Success || len(resp.OpenFileAcks) != 2 || resp.OpenFileAcks[0].FileId != wantIDs[0] || resp.OpenFileAcks[1].FileId != wantIDs[1] {
			t.Fatalf("round %d: response %+v, want ids %v", round, resp, wantIDs)
		}
		drainHistograms(t, c, 2)
	}
	for _, id := range []int32{1000, 1001, 1002, 1003} {
		if c.client.session.frame(id) == nil {
			t.Fatalf("image %d not open", id)
		}
	}
	// Cursor inside and outside the region on the maximum image.
	for _, p := range [][2]int{{10, 10}, {8, 12}, {3, 3}, {20, 20}, {7, 10}} {
		sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: 1002, Point: &icd.Point{X: float32(p[0]), Y: float32(p[1])}})
		sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
		want := math.NaN()
		if p[0] >= 8 && p[0] <= 12 && p[1] >= 8 && p[1] <= 12 { // the rectangle centred at 10,10, 5 wide
			for ch := range momD {
				v := float64(momValue(p[0], p[1], ch))
				if v >= 0.5 && v <= 1.5 && (math.IsNaN(want) || v > want) {
					want = v
				}
			}
		}
		if !closeTo(float64(sp.Value), want) {
			t.Fatalf("maximum at %v = %g, want %g", p, sp.Value, want)
		}
	}
	noErrorsToPong(t, c)
}

// drainHistograms reads the image histograms sent after moment images open.
func drainHistograms(t *testing.T, c *pipe, n int) {
	t.Helper()
	for range n {
		expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	}
}

// Closing the source image stops its moment calculation first, so the
// run never reads a closed file; the request is answered with cancel.
func TestMomentCloseSourceCancels(t *testing.T) {
	old := momentStarted
	momentStarted = func(ctx context.Context) { <-ctx.Done() }
	t.Cleanup(func() { momentStarted = old })
	c := momentClient(t)
	sendMsg(t, c, icd.EventType_MOMENT_REQUEST, 30, 7, &icd.MomentRequest{FileId: 0,
		Moments: []icd.Moment{icd.Moment_MEAN_OF_THE_SPECTRUM}, RegionId: -1, SpectralRange: &icd.IntBounds{Min: 0, Max: 7}})
	sendMsg(t, c, icd.EventType_CLOSE_FILE, 30, 8, &icd.CloseFile{FileId: 0})
	if resp := awaitMoments(t, c, 7); !resp.Cancel {
		t.Fatalf("response %+v, want cancel", resp)
	}
	noErrorsToPong(t, c)
}
