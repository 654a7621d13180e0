package session

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
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
			if p.FileId != 0 || p.Progress <= 0 || p.Progress >= 1 || h.RequestID != req {
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

// Moments 0 and 1 become images 1 and 2, ids as the reference assigns
// them (the last opened id + 1, Session::OnMomentRequest and
// GetNextFileId), named and united as casacore's ImageMoments writes
// them, typed CASA with size 0 as the reference's OnOpenFile for
// generated images; the kept spectral axis sits at the first channel of
// the range (MomentsBase::_makeOutputCoordinates of the SubImage); their
// tiles, cursor and histogram show the independently computed moments.
func TestMomentImages(t *testing.T) {
	c := momentClient(t)
	sendMsg(t, c, icd.EventType_MOMENT_REQUEST, 30, 7, &icd.MomentRequest{FileId: 0,
		Moments: []icd.Moment{icd.Moment_INTEGRATED_OF_THE_SPECTRUM, icd.Moment_INTENSITY_WEIGHTED_COORD},
		Axis:    icd.MomentAxis_SPECTRAL, RegionId: -1, SpectralRange: &icd.IntBounds{Min: 1, Max: 6},
		PixelRange: &icd.FloatBounds{Min: -1, Max: 1}, RestFreq: momRest})
	resp := awaitMoments(t, c, 7)
	if !resp.Success || resp.Cancel || len(resp.OpenFileAcks) != 2 {
		t.Fatalf("response %+v", resp)
	}
	for i, want := range []struct {
		id         int32
		name, unit string
	}{{1, "m.fits.moment.integrated", "Jy/beam.km/s"}, {2, "m.fits.moment.weighted_coord", "km/s"}} {
		a := resp.OpenFileAcks[i]
		ext := a.FileInfoExtended
		if !a.Success || a.FileId != want.id || a.FileInfo.Name != want.name || ext.Width != momW || ext.Height != momH || ext.Depth != 1 {
			t.Fatalf("ack %d: id %d name %q ext %dx%dx%d", i, a.FileId, a.FileInfo.Name, ext.Width, ext.Height, ext.Depth)
		}
		if a.FileInfo.Type != icd.FileType_CASA || a.FileInfo.Size != 0 {
			t.Errorf("%s file info %+v, want type CASA and size 0", want.name, a.FileInfo)
		}
		if got := headerValue(ext, "BUNIT"); got != want.unit {
			t.Errorf("%s BUNIT %q, want %q", want.name, got, want.unit)
		}
		if got := headerValue(ext, "CRPIX3"); got != "0.0" { // channel 1 is pixel 0 of the range
			t.Errorf("%s CRPIX3 %q, want 0.0", want.name, got)
		}
		checkMomentHistory(t, ext, []string{"CARTA MOMENT MAP GENERATOR LOG", "Input image: m.fits",
			"Region: rotbox[[0.0000pix, 0.0000pix], [39.0000pix, 29.0000pix], 0.0000deg]",
			"Spectral range: [1, 6](channel), [1.4202, 1.4212](GHz), [42.2124, -168.8496](km/s)", "Polarization: I", "Mask: none"})
	}
	// Each image's histogram follows, as after OPEN_FILE_ACK.
	for range 2 {
		h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
		checkMomentHistogram(t, h)
	}

	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 8, &icd.AddRequiredTiles{FileId: 2, Tiles: []int32{0},
		CompressionType: icd.CompressionType_NONE})
	tile := readTileGroup(t, c, 2, 0)
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
		sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: float32(p[0]), Y: float32(p[1])}})
		sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
		if m0, _ := momOracle(p[0], p[1], 1, 6); sp.FileId != 1 || !closeTo(float64(sp.Value), m0) {
			t.Fatalf("cursor at %v on moment 0: %+v, want %g", p, sp, m0)
		}
	}
	noErrorsToPong(t, c)
}

// checkMomentHistory checks the HISTORY of a moment image's header:
// the reference's log (MomentGenerator::SetMomentImageLogger), its
// lines over 72 characters continued on the next card.
func checkMomentHistory(t *testing.T, ext *icd.FileInfoExtended, want []string) {
	t.Helper()
	var got string
	for _, e := range ext.HeaderEntries {
		if e.Name == "HISTORY" {
			got += e.Value
		}
	}
	if got != strings.Join(want, "") {
		t.Errorf("HISTORY %q, want %q", got, strings.Join(want, ""))
	}
}

// checkMomentHistogram checks an image histogram counts the finite
// pixels of a moment image (the one blank spectrum is NaN).
func checkMomentHistogram(t *testing.T, h *icd.RegionHistogramData) {
	t.Helper()
	var total int32
	for _, n := range h.Histograms.Bins {
		total += n
	}
	if (h.FileId != 1 && h.FileId != 2) || h.RegionId != -1 || total != momW*momH-1 {
		t.Fatalf("histogram of file %d region %d counts %d, want %d", h.FileId, h.RegionId, total, momW*momH-1)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for y := range momH {
		for x := range momW {
			m0, m1 := momOracle(x, y, 1, 6)
			v := m0
			if h.FileId == 2 {
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
	if c.client.session.frame(1) != nil {
		t.Fatal("a cancelled calculation left image 1")
	}
}

// A region and an include mask restrict the pixels and values that
// count. The result is the region's bounding box (the reference
// collapses a SubImage of the region, MomentGenerator::ResetImageMoments),
// its reference pixel moved with it; the pixel range may come in either
// order (MomentGenerator::SetPixelRange). Without keep the earlier
// results stay open (the frontend closes them itself,
// AppStore.requestMoment) and new ids follow; with keep the names get
// the request's index (Frame::CalculateMoments: name_index).
func TestMomentRegionMaskKeep(t *testing.T) {
	c := momentClient(t)
	rect := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 10, Y: 10}, {X: 5, Y: 5}}}
	if ack := setRegion(t, c, 6, 0, -1, rect); !ack.Success {
		t.Fatalf("region: %+v", ack)
	}
	req := &icd.MomentRequest{FileId: 0, Moments: []icd.Moment{icd.Moment_MAX_OF_THE_SPECTRUM, icd.Moment_MEDIAN_OF_THE_SPECTRUM},
		RegionId: 1, SpectralRange: &icd.IntBounds{Min: 0, Max: 7}, Mask: icd.MomentMask_Include, PixelRange: &icd.FloatBounds{Min: 1.5, Max: 0.5}}
	for round, want := range []struct {
		keep  bool
		ids   []int32
		names []string
	}{
		{false, []int32{1, 2}, []string{"m.fits.moment.maximum", "m.fits.moment.median"}},
		{false, []int32{3, 4}, []string{"m.fits.moment.maximum", "m.fits.moment.median"}},
		{true, []int32{5, 6}, []string{"m.fits.moment.maximum1", "m.fits.moment.median1"}},
	} {
		req.Keep = want.keep
		sendMsg(t, c, icd.EventType_MOMENT_REQUEST, 30, 7, req)
		resp := awaitMoments(t, c, 7)
		if !resp.Success || len(resp.OpenFileAcks) != 2 {
			t.Fatalf("round %d: response %+v", round, resp)
		}
		for i, a := range resp.OpenFileAcks {
			ext := a.FileInfoExtended
			if a.FileId != want.ids[i] || a.FileInfo.Name != want.names[i] || ext.Width != 5 || ext.Height != 5 {
				t.Fatalf("round %d: image %d %q %dx%d, want %d %q 5x5", round, a.FileId, a.FileInfo.Name, ext.Width, ext.Height, want.ids[i], want.names[i])
			}
			if got := headerValue(ext, "CRPIX1"); got != "-8.0" {
				t.Fatalf("round %d: CRPIX1 %q, want -8.0 (the box starts at pixel 8)", round, got)
			}
		}
		drainHistograms(t, c, 2)
	}
	for id := int32(1); id <= 6; id++ {
		if c.client.session.frame(id) == nil {
			t.Fatalf("image %d not open", id)
		}
	}
	// The cursor over the maximum image, whose pixel 0,0 is 8,8 of the cube.
	for _, p := range [][2]int{{10, 10}, {8, 12}, {12, 8}, {9, 11}} {
		sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: 5, Point: &icd.Point{X: float32(p[0] - 8), Y: float32(p[1] - 8)}})
		sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
		want := math.NaN()
		for ch := range momD {
			v := float64(momValue(p[0], p[1], ch))
			if v >= 0.5 && v <= 1.5 && (math.IsNaN(want) || v > want) {
				want = v
			}
		}
		if !closeTo(float64(sp.Value), want) {
			t.Fatalf("maximum at %v = %g, want %g", p, sp.Value, want)
		}
	}
	noErrorsToPong(t, c)
}

// Without a rest frequency in the request the axis stays in Hz, even
// though the file has one (the reference sets the request's on the image
// first, MomentGenerator::ResetImageMoments, and converts to velocity
// only with one, ImageMoments::createMoments); the units follow
// casacore's MomentsBase::_setOutThings (the dispersion's is the axis
// unit squared). The median coordinate is dropped without a mask
// (MomentGenerator::SetMomentTypes), and a request left with nothing
// fails as casacore's setMoments does.
func TestMomentUnitsWithoutRestFrequency(t *testing.T) {
	c := momentClient(t)
	sendMsg(t, c, icd.EventType_MOMENT_REQUEST, 30, 7, &icd.MomentRequest{FileId: 0, RegionId: -1,
		Moments: []icd.Moment{icd.Moment_INTEGRATED_OF_THE_SPECTRUM, icd.Moment_MEDIAN_COORDINATE,
			icd.Moment_INTENSITY_WEIGHTED_DISPERSION_OF_THE_COORD, icd.Moment_COORD_OF_THE_MAX_OF_THE_SPECTRUM},
		SpectralRange: &icd.IntBounds{Min: 0, Max: 7}})
	resp := awaitMoments(t, c, 7)
	if !resp.Success || len(resp.OpenFileAcks) != 3 {
		t.Fatalf("response %+v, want 3 images (no median coordinate)", resp)
	}
	for i, want := range []struct{ name, unit string }{
		{"m.fits.moment.integrated", "Jy/beam.Hz"}, {"m.fits.moment.weighted_dispersion_coord", "Hz.Hz"}, {"m.fits.moment.maximum_coord", "Hz"},
	} {
		a := resp.OpenFileAcks[i]
		if a.FileInfo.Name != want.name || headerValue(a.FileInfoExtended, "BUNIT") != want.unit {
			t.Errorf("image %d: %q in %q, want %q in %q", i, a.FileInfo.Name, headerValue(a.FileInfoExtended, "BUNIT"), want.name, want.unit)
		}
	}
	drainHistograms(t, c, 3)
	x, y := 7, 9
	var sum float64
	for ch := range momD {
		sum += float64(momValue(x, y, ch))
	}
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: resp.OpenFileAcks[0].FileId, Point: &icd.Point{X: float32(x), Y: float32(y)}})
	if sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{}); !closeTo(float64(sp.Value), sum*momDF) {
		t.Fatalf("integrated in Hz at %d,%d = %g, want %g", x, y, sp.Value, sum*momDF)
	}

	sendMsg(t, c, icd.EventType_MOMENT_REQUEST, 30, 8, &icd.MomentRequest{FileId: 0, RegionId: -1,
		Moments: []icd.Moment{icd.Moment_MEDIAN_COORDINATE}, SpectralRange: &icd.IntBounds{Min: 0, Max: 7},
		Mask: icd.MomentMask_Include, PixelRange: &icd.FloatBounds{Min: -1, Max: 1}})
	if resp := awaitMoments(t, c, 8); resp.Success || resp.Message != "No moments requested" {
		t.Fatalf("median coordinate over a range across zero: %+v, want the reference's failure", resp)
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
