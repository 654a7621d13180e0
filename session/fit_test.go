package session

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
)

// The fitting image: 96×80×2 in Jy/beam with a 3×2 pixel beam, two
// Gaussians plus 0.3 offset on channel 1 (channel 0 is flat), noise of
// rms 0.05 from a fixed seed.
const fitW, fitH = 96, 80

var fitTruth = []*icd.GaussianComponent{
	{Center: &icd.DoublePoint{X: 30, Y: 40}, Amp: 5, Fwhm: &icd.DoublePoint{X: 12, Y: 6}, Pa: 35},
	{Center: &icd.DoublePoint{X: 65, Y: 30}, Amp: 2, Fwhm: &icd.DoublePoint{X: 9, Y: 5}, Pa: 110},
}

const fitOffset = 0.3

// gaussAt is the components' sum at (x, y), written out independently
// of imaging/fit: the reference's Gaussian (ImageFitter::FuncF), major
// axis at PA counter-clockwise from +y.
func gaussAt(comps []*icd.GaussianComponent, x, y float64) float64 {
	var v float64
	for _, g := range comps {
		th := (g.Pa - 90) * math.Pi / 180
		sx, sy := g.Fwhm.X/math.Sqrt(8*math.Ln2), g.Fwhm.Y/math.Sqrt(8*math.Ln2)
		dx, dy := x-g.Center.X, y-g.Center.Y
		u, w := dx*math.Cos(th)+dy*math.Sin(th), -dx*math.Sin(th)+dy*math.Cos(th)
		v += g.Amp * math.Exp(-(u*u/(sx*sx)+w*w/(sy*sy))/2)
	}
	return v
}

func fitPixel(data []float32, x, y, c int) float32 { return data[(c*fitH+y)*fitW+x] }

func writeFitImage(t testing.TB, path string) []float32 {
	t.Helper()
	rng := rand.New(rand.NewPCG(13, 1))
	data := make([]float32, fitW*fitH*2)
	for c := range 2 {
		for y := range fitH {
			for x := range fitW {
				v := fitOffset + 0.05*rng.NormFloat64()
				if c == 1 {
					v += gaussAt(fitTruth, float64(x), float64(y))
				}
				data[(c*fitH+y)*fitW+x] = float32(v)
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const cdelt = 1.0 / 3600
	err = fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{fitW, fitH, 2}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewFloatCard("CRVAL1", 180, ""), fits.NewFloatCard("CRVAL2", 30, ""),
		fits.NewFloatCard("CRPIX1", 48, ""), fits.NewFloatCard("CRPIX2", 40, ""),
		fits.NewFloatCard("CDELT1", -cdelt, ""), fits.NewFloatCard("CDELT2", cdelt, ""),
		fits.NewStringCard("CUNIT1", "deg", ""), fits.NewStringCard("CUNIT2", "deg", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("CUNIT3", "Hz", ""),
		fits.NewFloatCard("CRVAL3", 1.4e9, ""), fits.NewFloatCard("CDELT3", 1e6, ""), fits.NewFloatCard("CRPIX3", 1, ""),
		fits.NewFloatCard("BMAJ", 3*cdelt, ""), fits.NewFloatCard("BMIN", 2*cdelt, ""), fits.NewFloatCard("BPA", 0, ""),
		fits.NewStringCard("BUNIT", "Jy/beam", ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fitClient has g.fits open as file 0 at channel 1.
func fitClient(t *testing.T) (*pipe, []float32) {
	t.Helper()
	root := t.TempDir()
	data := writeFitImage(t, filepath.Join(root, "g.fits"))
	c := folderPipe(t, root)
	openFitImage(t, c)
	return c, data
}

func openFitImage(t *testing.T, c *pipe) {
	t.Helper()
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 5, &icd.OpenFile{Directory: ".", File: "g.fits", FileId: 0})
	var ack icd.OpenFileAck
	skipTo(t, c, icd.EventType_OPEN_FILE_ACK, &ack)
	if !ack.Success {
		t.Fatalf("open: %+v", &ack)
	}
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 6, &icd.SetImageChannels{FileId: 0, Channel: 1})
	for { // the histogram of channel 1 ends the switch
		var h icd.RegionHistogramData
		if skipTo(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &h); h.Channel == 1 {
			break
		}
	}
	drainToPong(t, c)
}

// nudged are initial values a few pixels and percent off the truth.
func nudged() []*icd.GaussianComponent {
	var out []*icd.GaussianComponent
	for _, g := range fitTruth {
		out = append(out, &icd.GaussianComponent{Center: &icd.DoublePoint{X: g.Center.X + 1.5, Y: g.Center.Y - 1},
			Amp: g.Amp * 0.8, Fwhm: &icd.DoublePoint{X: g.Fwhm.X * 1.2, Y: g.Fwhm.Y * 0.9}, Pa: g.Pa + 6})
	}
	return out
}

// awaitFit reads progress up to the response of request req.
func awaitFit(t *testing.T, c *pipe, req uint32) *icd.FittingResponse {
	t.Helper()
	for {
		h, b := next(t, c)
		switch h.Type {
		case icd.EventType_FITTING_PROGRESS:
			var p icd.FittingProgress
			must(t, proto.Unmarshal(b, &p))
			if p.FileId != 0 || p.Progress <= 0 || p.Progress >= 1 {
				t.Fatalf("progress %+v", &p)
			}
		case icd.EventType_FITTING_RESPONSE:
			if h.RequestID != req {
				t.Fatalf("response to request %d, want %d", h.RequestID, req)
			}
			var r icd.FittingResponse
			must(t, proto.Unmarshal(b, &r))
			return &r
		case icd.EventType_REGION_HISTOGRAM_DATA:
			// The source's image histogram may come more than once
			// after the switch to channel 1 (at open and at the switch).
			var hist icd.RegionHistogramData
			if must(t, proto.Unmarshal(b, &hist)); hist.FileId != 0 {
				t.Fatalf("histogram of file %d while waiting for the fit", hist.FileId)
			}
		default:
			t.Fatalf("got %s while waiting for the fit", describe(h, b))
		}
	}
}

func checkFitWithin(t *testing.T, resp *icd.FittingResponse, k float64) {
	t.Helper()
	if len(resp.ResultValues) != len(fitTruth) || len(resp.ResultErrors) != len(fitTruth) {
		t.Fatalf("response %+v", resp)
	}
	for i, want := range fitTruth {
		v, e := resp.ResultValues[i], resp.ResultErrors[i]
		for _, p := range []struct {
			name           string
			got, err, want float64
		}{{"x", v.Center.X, e.Center.X, want.Center.X}, {"y", v.Center.Y, e.Center.Y, want.Center.Y},
			{"amp", v.Amp, e.Amp, want.Amp}, {"fwhm x", v.Fwhm.X, e.Fwhm.X, want.Fwhm.X},
			{"fwhm y", v.Fwhm.Y, e.Fwhm.Y, want.Fwhm.Y}, {"pa", v.Pa, e.Pa, want.Pa}} {
			if !(p.err > 0 && math.Abs(p.got-p.want) <= k*p.err) {
				t.Errorf("component %d %s = %g ± %g, want %g", i+1, p.name, p.got, p.err, p.want)
			}
		}
	}
	if !(math.Abs(resp.OffsetValue-fitOffset) <= k*resp.OffsetError) {
		t.Errorf("offset %g ± %g, want %g", resp.OffsetValue, resp.OffsetError, fitOffset)
	}
}

// A fit of the whole image recovers the Gaussians within their errors,
// gives integrated fluxes (Jy/beam with a beam), a log in the
// reference's layout, and model and residual images with the ids and
// names the reference gives (next ids; g_model.fits, g_residual.fits),
// whose cursor values are the model and data minus model.
func TestFitModelResidualImages(t *testing.T) {
	c, data := fitClient(t)
	sendMsg(t, c, icd.EventType_FITTING_REQUEST, 30, 7, &icd.FittingRequest{FileId: 0, InitialValues: nudged(),
		FixedParams: make([]bool, 13), RegionId: -1, CreateModelImage: true, CreateResidualImage: true})
	resp := awaitFit(t, c, 7)
	if !resp.Success || resp.Message != "" {
		t.Fatalf("response %+v", resp)
	}
	checkFitWithin(t, resp, 4)
	lines := strings.Split(resp.Log, "\n")
	if len(lines) != 13 || lines[0] != "Gaussian fitting with 2 component(s)" || !strings.HasPrefix(lines[5], "reason for stopping  = ") {
		t.Errorf("log:\n%s", resp.Log)
	}
	// Flux of a Jy/beam Gaussian: its volume over the beam's, both πab/(4 ln 2).
	if len(resp.IntegratedFluxValues) != 2 || len(resp.IntegratedFluxErrors) != 2 {
		t.Fatalf("fluxes %v ± %v", resp.IntegratedFluxValues, resp.IntegratedFluxErrors)
	}
	for i, g := range fitTruth {
		want := g.Amp * g.Fwhm.X * g.Fwhm.Y / (3 * 2)
		if got, e := resp.IntegratedFluxValues[i], resp.IntegratedFluxErrors[i]; !(e > 0 && math.Abs(got-want) <= 4*e) {
			t.Errorf("flux %d = %g ± %g, want %g", i+1, got, e, want)
		}
	}
	m, r := resp.ModelImage, resp.ResidualImage
	if !m.GetSuccess() || !r.GetSuccess() || m.FileId != 1 || r.FileId != 2 ||
		m.FileInfo.Name != "g_model.fits" || r.FileInfo.Name != "g_residual.fits" {
		t.Fatalf("images %+v / %+v", m, r)
	}
	if ext := m.FileInfoExtended; ext.Width != fitW || ext.Height != fitH || ext.Depth != 1 || headerValue(ext, "BUNIT") != "Jy/beam" {
		t.Errorf("model image %d×%d×%d BUNIT %q", ext.Width, ext.Height, ext.Depth, headerValue(ext, "BUNIT"))
	}
	for seen := map[int32]bool{}; len(seen) < 2; { // each image's histogram, as after OPEN_FILE_ACK
		h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
		if h.FileId != 0 { // the source's may still come late
			seen[h.FileId] = true
		}
		if h.FileId > 2 {
			t.Fatalf("histogram of file %d", h.FileId)
		}
	}
	for _, p := range [][2]int{{30, 40}, {65, 30}, {5, 70}} {
		model := resp.OffsetValue + gaussAt(resp.ResultValues, float64(p[0]), float64(p[1]))
		for id, want := range map[int32]float64{1: model, 2: float64(fitPixel(data, p[0], p[1], 1)) - model} {
			sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: id, Point: &icd.Point{X: float32(p[0]), Y: float32(p[1])}})
			sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
			if sp.FileId != id || math.Abs(float64(sp.Value)-want) > 1e-4 {
				t.Fatalf("cursor at %v on image %d = %g, want %g", p, id, sp.Value, want)
			}
		}
	}
	noErrorsToPong(t, c)
}

// A rectangle region fits only its pixels; the model image is the
// region's box, its reference pixel moved with the box, NaN outside the
// region's pixels (an ellipse here).
func TestFitRegionBox(t *testing.T) {
	c, _ := fitClient(t)
	ell := &icd.RegionInfo{RegionType: icd.RegionType_ELLIPSE, ControlPoints: []*icd.Point{{X: 30, Y: 40}, {X: 14, Y: 10}}}
	if ack := drawRegion(t, c, 0, ell); !ack.Success {
		t.Fatalf("region: %+v", ack)
	}
	req := &icd.FittingRequest{FileId: 0, InitialValues: nudged()[:1], FixedParams: make([]bool, 7), RegionId: 1,
		CreateModelImage: true}
	sendMsg(t, c, icd.EventType_FITTING_REQUEST, 30, 7, req)
	resp := awaitFit(t, c, 7)
	if !resp.Success || resp.ResidualImage != nil {
		t.Fatalf("response %+v", resp)
	}
	g, want := resp.ResultValues[0], fitTruth[0]
	if math.Abs(g.Center.X-want.Center.X) > 4*resp.ResultErrors[0].Center.X || math.Abs(g.Amp-want.Amp) > 4*resp.ResultErrors[0].Amp {
		t.Errorf("fit %+v ± %+v, want %+v", g, resp.ResultErrors[0], want)
	}
	ext := resp.ModelImage.FileInfoExtended
	// The ellipse's box: centre 30,40 with semi-axes 14 (along y, as
	// CARTA draws an unrotated ellipse) and 10.
	if ext.Width != 21 || ext.Height != 29 {
		t.Fatalf("model image %d×%d, want 21×29", ext.Width, ext.Height)
	}
	for key, want := range map[string]string{"CRPIX1": "28", "CRPIX2": "14", "CRPIX3": "0"} { // 48−20, 40−26, 1−1
		if got := headerValue(ext, key); !strings.HasPrefix(strings.TrimSpace(got), want) {
			t.Errorf("%s %q, want %s", key, got, want)
		}
	}
	for h := (&icd.RegionHistogramData{}); h.FileId != 1; {
		expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, h)
	}
	for _, p := range [][2]int{{10, 14}, {0, 0}} {
		sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: float32(p[0]), Y: float32(p[1])}})
		sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
		inside := p[0] == 10
		if inside == math.IsNaN(float64(sp.Value)) {
			t.Errorf("model at box pixel %v = %g", p, sp.Value)
		}
	}
	noErrorsToPong(t, c)
}

// STOP_FITTING cancels a running fit silently; the request is answered
// with "task cancelled", as the reference answers it.
func TestFitStopCancels(t *testing.T) {
	old := fitStarted
	fitStarted = func(ctx context.Context) { <-ctx.Done() } // holds the fit until STOP
	t.Cleanup(func() { fitStarted = old })
	c, _ := fitClient(t)
	sendMsg(t, c, icd.EventType_FITTING_REQUEST, 30, 7, &icd.FittingRequest{FileId: 0, InitialValues: nudged(), RegionId: -1,
		CreateModelImage: true})
	sendMsg(t, c, icd.EventType_STOP_FITTING, 30, 8, &icd.StopFitting{FileId: 0})
	resp := awaitFit(t, c, 7)
	if resp.Success || resp.Message != "task cancelled" || resp.ModelImage != nil {
		t.Fatalf("response %+v, want a cancelled fit", resp)
	}
	noErrorsToPong(t, c)
	if c.client.session.frame(1) != nil {
		t.Fatal("a cancelled fit left a model image")
	}
}

// Requests that cannot be fitted are answered with success=false and a
// reason, never an ERROR_DATA or a panic.
func TestFitRefusals(t *testing.T) {
	c, _ := fitClient(t)
	nan := []*icd.GaussianComponent{{Center: &icd.DoublePoint{X: math.NaN(), Y: math.NaN()}, Amp: math.NaN(),
		Fwhm: &icd.DoublePoint{X: math.NaN(), Y: math.NaN()}, Pa: math.NaN()}}
	line := &icd.RegionInfo{RegionType: icd.RegionType_LINE, ControlPoints: []*icd.Point{{X: 1, Y: 1}, {X: 9, Y: 9}}}
	drawRegion(t, c, 0, line)
	off := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: -500, Y: -500}, {X: 10, Y: 10}}}
	for i, tc := range []struct {
		req  *icd.FittingRequest
		want string
	}{
		{&icd.FittingRequest{FileId: 9, InitialValues: nudged()}, "File id 9 not found"},
		{&icd.FittingRequest{FileId: 0, RegionId: -1}, "no Gaussian component"},
		{&icd.FittingRequest{FileId: 0, RegionId: -1, InitialValues: append(nan, nudged()...)}, "component 1 has no initial value"},
		{&icd.FittingRequest{FileId: 0, RegionId: 7, InitialValues: nudged()}, "region id not found"},
		{&icd.FittingRequest{FileId: 0, RegionId: 1, InitialValues: nudged()}, "region is outside image or is not closed"},
		{&icd.FittingRequest{FileId: 0, RegionId: 0, FovInfo: off, InitialValues: nudged()}, "region is outside image or is not closed"},
		{&icd.FittingRequest{FileId: 0, RegionId: 0, InitialValues: nudged()}, "failed to set up field of view region"},
	} {
		req := uint32(20 + i)
		sendMsg(t, c, icd.EventType_FITTING_REQUEST, 30, req, tc.req)
		resp := awaitFit(t, c, req)
		if resp.Success || !strings.Contains(resp.Message, tc.want) {
			t.Errorf("request %d: %+v, want %q", i, resp, tc.want)
		}
	}
	noErrorsToPong(t, c)
}

// The field of view (region 0 with fov_info, as the widget sends when no
// region is chosen) fits the pixels in view.
func TestFitFieldOfView(t *testing.T) {
	c, _ := fitClient(t)
	fov := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 47.5, Y: 39.5}, {X: 96, Y: 80}}}
	sendMsg(t, c, icd.EventType_FITTING_REQUEST, 30, 7, &icd.FittingRequest{FileId: 0, InitialValues: nudged(),
		FixedParams: make([]bool, 13), RegionId: 0, FovInfo: fov})
	resp := awaitFit(t, c, 7)
	if !resp.Success {
		t.Fatalf("response %+v", resp)
	}
	checkFitWithin(t, resp, 4)
	noErrorsToPong(t, c)
}

// All-NaN initial values are the widget's "Auto": the server estimates
// them, names them in the log before the fit's lines (where frontend
// 6.0.0 reads them back into its widget), and fits from them.
func TestFitAutoInitialValues(t *testing.T) {
	c, _ := fitClient(t)
	auto := func() *icd.GaussianComponent {
		nan := math.NaN()
		return &icd.GaussianComponent{Center: &icd.DoublePoint{X: nan, Y: nan}, Amp: nan, Fwhm: &icd.DoublePoint{X: nan, Y: nan}, Pa: nan}
	}
	fixed := make([]bool, 13) // the offset free
	sendMsg(t, c, icd.EventType_FITTING_REQUEST, 30, 7, &icd.FittingRequest{FileId: 0, RegionId: -1,
		InitialValues: []*icd.GaussianComponent{auto(), auto()}, FixedParams: fixed, Offset: math.NaN()})
	resp := awaitFit(t, c, 7)
	if !resp.Success {
		t.Fatalf("response %+v", resp)
	}
	gen, rest, ok := strings.Cut(resp.Log, "Gaussian fitting with")
	if !ok || !strings.HasPrefix(gen, "Generated initial values of 2 component(s)\n") || strings.Count(gen, " (") != 12 ||
		!strings.HasPrefix(rest, " 2 component(s)") {
		t.Fatalf("log:\n%s", resp.Log)
	}
	checkFitWithin(t, resp, 4) // the brighter one is found first, as listed
	noErrorsToPong(t, c)
}

func TestFitImageName(t *testing.T) {
	for in, want := range map[string]string{
		"g.fits":                      "g_model.fits",
		"a.b.fits":                    "a.b_model.fits",
		"cube":                        "cube_model",
		"m.fits.moment.integrated":    "m_model.fits.moment.integrated",
		"dir.x/m.image.moment.median": "dir.x/m_model.image.moment.median",
	} {
		if got := fitImageName(in, "model"); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// Model and residual images are session state: the snapshot keeps their
// recipe, and after the process dies (the database file copied as it
// was after the last commit, as kill -9 leaves it) RESUME_SESSION naming
// them makes them again, with the same pixels, so their ids work.
func TestFitImagesRegeneratedOnResume(t *testing.T) {
	root := t.TempDir()
	data := writeFitImage(t, filepath.Join(root, "g.fits"))
	folder, err := NewFolder(root, "")
	must(t, err)
	dbA := filepath.Join(t.TempDir(), "a.db")
	a, mA, id := storedPipe(t, dbA, folder, 0)
	openFitImage(t, a)
	sendMsg(t, a, icd.EventType_FITTING_REQUEST, 30, 7, &icd.FittingRequest{FileId: 0, InitialValues: nudged(),
		FixedParams: make([]bool, 13), RegionId: -1, CreateModelImage: true, CreateResidualImage: true})
	resp := awaitFit(t, a, 7)
	if !resp.Success || resp.ModelImage.GetFileId() != 1 || resp.ResidualImage.GetFileId() != 2 {
		t.Fatalf("fit: %+v", resp)
	}
	commitNow(t, mA)
	stored, err := os.ReadFile(dbA)
	must(t, err)
	dbB := filepath.Join(t.TempDir(), "b.db")
	must(t, os.WriteFile(dbB, stored, 0o600))

	b, _, idB := storedPipe(t, dbB, folder, id)
	if idB != id {
		t.Fatalf("resumed session %d, want %d", idB, id)
	}
	sendMsg(t, b, icd.EventType_RESUME_SESSION, 30, 8, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: "g.fits", FileId: 0, Channel: 1},
		{Directory: ".", File: "g_model.fits", FileId: 1},
		{Directory: ".", File: "g_residual.fits", FileId: 2},
	}})
	var ack icd.ResumeSessionAck
	skipTo(t, b, icd.EventType_RESUME_SESSION_ACK, &ack)
	if !ack.Success || ack.Message != "session resumed" {
		t.Fatalf("resume: %+v", &ack)
	}
	drainToPong(t, b)
	for _, p := range [][2]int{{30, 40}, {70, 28}} {
		model := resp.OffsetValue + gaussAt(resp.ResultValues, float64(p[0]), float64(p[1]))
		for fid, want := range map[int32]float64{1: model, 2: float64(fitPixel(data, p[0], p[1], 1)) - model} {
			sendMsg(t, b, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: fid, Point: &icd.Point{X: float32(p[0]), Y: float32(p[1])}})
			sp := expect(t, b, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
			if sp.FileId != fid || math.Abs(float64(sp.Value)-want) > 1e-4 {
				t.Fatalf("cursor at %v on regenerated image %d = %g, want %g", p, fid, sp.Value, want)
			}
		}
	}
	noErrorsToPong(t, b)
}

// drawRegion sets a new region on file and returns its ack, past any
// late image histogram of the source.
func drawRegion(t *testing.T, c *pipe, file int32, info *icd.RegionInfo) *icd.SetRegionAck {
	t.Helper()
	sendMsg(t, c, icd.EventType_SET_REGION, 30, 6, &icd.SetRegion{FileId: file, RegionId: -1, RegionInfo: info})
	var ack icd.SetRegionAck
	skipTo(t, c, icd.EventType_SET_REGION_ACK, &ack)
	return &ack
}

// Closing the source image stops its fit first, so the fit never reads
// a closed file; the request is answered "task cancelled".
func TestFitCloseSourceCancels(t *testing.T) {
	old := fitStarted
	fitStarted = func(ctx context.Context) { <-ctx.Done() }
	t.Cleanup(func() { fitStarted = old })
	c, _ := fitClient(t)
	sendMsg(t, c, icd.EventType_FITTING_REQUEST, 30, 7, &icd.FittingRequest{FileId: 0, InitialValues: nudged(), RegionId: -1})
	sendMsg(t, c, icd.EventType_CLOSE_FILE, 30, 8, &icd.CloseFile{FileId: 0})
	if resp := awaitFit(t, c, 7); resp.Success || resp.Message != "task cancelled" {
		t.Fatalf("response %+v, want cancelled", resp)
	}
	noErrorsToPong(t, c)
}
