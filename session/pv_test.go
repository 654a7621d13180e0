package session

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/zfp"
)

// The PV cube: 40×30×8×1, one arcsecond pixels, a FREQ axis and a
// degenerate Stokes axis; each value is a known function of the pixel,
// so a PV image is known: a box mean of a linear function is its value
// at the box centre.
const pvW, pvH, pvD = 40, 30, 8
const pvF0, pvDF = 1.42e9, 1e5

func pvValue(x, y, c int) float64 { return 1000*float64(c) + 10*float64(x) + float64(y) }

func writePvCube(t *testing.T, path string) {
	t.Helper()
	data := make([]float32, pvW*pvH*pvD)
	for c := range pvD {
		for y := range pvH {
			for x := range pvW {
				data[(c*pvH+y)*pvW+x] = float32(pvValue(x, y, c))
			}
		}
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{pvW, pvH, pvD, 1}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewFloatCard("CDELT1", -1.0/3600, ""), fits.NewFloatCard("CDELT2", 1.0/3600, ""),
		fits.NewStringCard("CUNIT1", "deg", ""), fits.NewStringCard("CUNIT2", "deg", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("CUNIT3", "Hz", ""),
		fits.NewFloatCard("CRVAL3", pvF0, ""), fits.NewFloatCard("CDELT3", pvDF, ""), fits.NewFloatCard("CRPIX3", 1, ""),
		fits.NewStringCard("CTYPE4", "STOKES", ""), fits.NewFloatCard("CRVAL4", 1, ""),
		fits.NewFloatCard("CDELT4", 1, ""), fits.NewFloatCard("CRPIX4", 1, ""),
		fits.NewStringCard("BUNIT", "Jy/beam", ""),
	}}))
}

func pvClient(t *testing.T) *pipe {
	t.Helper()
	root := t.TempDir()
	writePvCube(t, filepath.Join(root, "pv.fits"))
	c := folderPipe(t, root)
	openPvCube(t, c)
	return c
}

func openPvCube(t *testing.T, c *pipe) {
	t.Helper()
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 5, &icd.OpenFile{Directory: ".", File: "pv.fits", FileId: 0})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 5, &ack)
	if !ack.Success {
		t.Fatalf("open: %+v", &ack)
	}
	skipTo(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
}

// setLine draws line region id (0 for a new one) and returns its id.
func setLine(t *testing.T, c *pipe, id int32, preview bool, pts ...float32) int32 {
	t.Helper()
	info := &icd.RegionInfo{RegionType: icd.RegionType_LINE}
	if len(pts) > 4 {
		info.RegionType = icd.RegionType_POLYLINE
	}
	for i := 0; i+1 < len(pts); i += 2 {
		info.ControlPoints = append(info.ControlPoints, &icd.Point{X: pts[i], Y: pts[i+1]})
	}
	sendMsg(t, c, icd.EventType_SET_REGION, 30, 6, &icd.SetRegion{FileId: 0, RegionId: id, RegionInfo: info, PreviewRegion: preview})
	var ack icd.SetRegionAck
	skipTo(t, c, icd.EventType_SET_REGION_ACK, &ack)
	if !ack.Success {
		t.Fatalf("set region: %+v", &ack)
	}
	return ack.RegionId
}

// awaitPV reads progress up to the response of request req.
func awaitPV(t *testing.T, c *pipe, req uint32) *icd.PvResponse {
	t.Helper()
	for {
		h, b := next(t, c)
		switch h.Type {
		case icd.EventType_PV_PROGRESS:
			var p icd.PvProgress
			must(t, proto.Unmarshal(b, &p))
			if p.Progress <= 0 || p.Progress >= 1 {
				t.Fatalf("progress %+v", &p)
			}
		case icd.EventType_PV_RESPONSE:
			if h.RequestID != req {
				t.Fatalf("response to request %d, want %d", h.RequestID, req)
			}
			var r icd.PvResponse
			must(t, proto.Unmarshal(b, &r))
			return &r
		case icd.EventType_REGION_HISTOGRAM_DATA, icd.EventType_SPATIAL_PROFILE_DATA, icd.EventType_SPECTRAL_PROFILE_DATA:
		default:
			t.Fatalf("got %s while waiting for PV", describe(h, b))
		}
	}
}

func pvHeaderFloat(t *testing.T, ext *icd.FileInfoExtended, name string) float64 {
	t.Helper()
	for _, e := range ext.HeaderEntries {
		if e.Name == name {
			if e.NumericValue != 0 {
				return e.NumericValue
			}
			v, err := strconv.ParseFloat(e.Value, 64)
			must(t, err)
			return v
		}
	}
	t.Fatalf("no %s in the header", name)
	return 0
}

// A PV image over the session: the response opens it as the next file
// id, with the reference's name and header; its pixels, read with the
// cursor, are the line's box means; keep numbers the next name.
func TestPvImage(t *testing.T) {
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 3, SpectralRange: &icd.IntBounds{Min: 2, Max: 5}})
	resp := awaitPV(t, c, 7)
	ack := resp.OpenFileAck
	if !resp.Success || ack == nil || ack.FileId != 1 {
		t.Fatalf("PV response %+v", resp)
	}
	ext := ack.FileInfoExtended
	if ext.Width != 11 || ext.Height != 4 || ack.FileInfo.Name != "pv_pv.fits" {
		t.Fatalf("PV image %s %d×%d, want pv_pv.fits 11×4", ack.FileInfo.Name, ext.Width, ext.Height)
	}
	// One spatial axis, the position, as the reference reports a PV image.
	if ax := ext.AxesNumbers; ax.SpatialX != 1 || ax.SpatialY != 0 || ax.Spectral != 2 || ax.Stokes != 3 {
		t.Fatalf("axes numbers %v, want spatial_x 1, spatial_y 0, spectral 2, Stokes 3", ax)
	}
	for k, want := range map[string]string{"CTYPE1": "OFFSET", "CUNIT1": "arcsec", "CTYPE2": "FREQ", "CTYPE3": "STOKES", "BUNIT": "Jy/beam"} {
		if got := headerValue(ext, k); got != want {
			t.Fatalf("%s = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]float64{"CDELT1": 1, "CRPIX1": 6, "CRVAL1": 0, "CRVAL2": pvF0 + 2*pvDF, "CDELT2": pvDF, "CRPIX2": 1} {
		if got := pvHeaderFloat(t, ext, k); math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("%s = %v, want %v", k, got, want)
		}
	}
	skipTo(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	for _, p := range [][2]int{{0, 0}, {3, 1}, {10, 3}} {
		sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: float32(p[0]), Y: float32(p[1])}})
		sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
		if want := pvValue(20-p[0], 10, 2+p[1]); sp.FileId != 1 || math.Abs(float64(sp.Value)-want) > 1e-3 {
			t.Fatalf("cursor at %v: %+v, want %g", p, sp, want)
		}
	}
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 8, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1, Keep: true, Reverse: true})
	resp = awaitPV(t, c, 8)
	if ack := resp.OpenFileAck; !resp.Success || ack.FileId != 2 || ack.FileInfo.Name != "pv_pv1.fits" ||
		ack.FileInfoExtended.Width != pvD || ack.FileInfoExtended.Height != 11 || headerValue(ack.FileInfoExtended, "CTYPE1") != "FREQ" {
		t.Fatalf("reversed PV kept: %+v", resp)
	}
	noErrorsToPong(t, c)
}

// A polyline makes a DISTANCE axis starting at 0 on its first point.
func TestPvPolyline(t *testing.T) {
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10, 20, 20)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1})
	resp := awaitPV(t, c, 7)
	if !resp.Success || resp.OpenFileAck.FileInfoExtended.Width != 21 || headerValue(resp.OpenFileAck.FileInfoExtended, "CTYPE1") != "DISTANCE" {
		t.Fatalf("polyline PV %+v", resp)
	}
	if got := pvHeaderFloat(t, resp.OpenFileAck.FileInfoExtended, "CRPIX1"); got != 1 {
		t.Fatalf("CRPIX1 = %v, want 1", got)
	}
	noErrorsToPong(t, c)
}

// Requests that cannot make an image are answered with the reason,
// success false, and the session goes on.
func TestPvBadRequests(t *testing.T) {
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10)
	sendMsg(t, c, icd.EventType_SET_REGION, 30, 6, &icd.SetRegion{FileId: 0, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE,
		ControlPoints: []*icd.Point{{X: 5, Y: 5}, {X: 4, Y: 4}}}})
	var rack icd.SetRegionAck
	skipTo(t, c, icd.EventType_SET_REGION_ACK, &rack)
	far := setLine(t, c, 0, false, 100, 100, 200, 120)
	for i, req := range []*icd.PvRequest{
		{FileId: 0, RegionId: 0, Width: 1},
		{FileId: 0, RegionId: rack.RegionId, Width: 1},
		{FileId: 0, RegionId: line, Width: 0},
		{FileId: 0, RegionId: line, Width: 21},
		{FileId: 0, RegionId: line, Width: 1, SpectralRange: &icd.IntBounds{Min: 3, Max: 8}},
		{FileId: 0, RegionId: line, Width: 1, SpectralRange: &icd.IntBounds{Min: 3, Max: 1}},
		{FileId: 0, RegionId: far, Width: 1},
		{FileId: 0, RegionId: 99, Width: 1},
		{FileId: 7, RegionId: line, Width: 1},
	} {
		id := uint32(20 + i)
		sendMsg(t, c, icd.EventType_PV_REQUEST, 30, id, req)
		resp := awaitPV(t, c, id)
		if resp.Success || resp.Message == "" || resp.OpenFileAck != nil {
			t.Fatalf("request %+v: %+v", req, resp)
		}
	}
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 40, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1})
	if resp := awaitPV(t, c, 40); !resp.Success {
		t.Fatalf("good request after bad ones: %+v", resp)
	}
}

// STOP_PV_CALC cancels the running calculation; its request is answered
// with cancel set, as the reference.
func TestPvCancel(t *testing.T) {
	started := make(chan struct{})
	pvStarted = func(ctx context.Context) { close(started); <-ctx.Done() }
	t.Cleanup(func() { pvStarted = func(context.Context) {} })
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1})
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the PV calculation never started")
	}
	sendMsg(t, c, icd.EventType_STOP_PV_CALC, 30, 0, &icd.StopPvCalc{FileId: 0})
	resp := awaitPV(t, c, 7)
	if resp.Success || !resp.Cancel || resp.OpenFileAck != nil {
		t.Fatalf("cancelled PV: %+v", resp)
	}
	if f := c.client.session.frame(1); f != nil {
		t.Fatalf("a cancelled PV opened image %d", f.id)
	}
}

// decodePreview returns the preview's pixels.
func decodePreview(t *testing.T, d *icd.PvPreviewData) []float32 {
	t.Helper()
	w, h := int(d.Width), int(d.Height)
	if d.CompressionType == icd.CompressionType_NONE {
		out := make([]float32, w*h)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d.ImageData[4*i:]))
		}
		return out
	}
	var dec zfp.Decoder
	out, err := dec.Decode(nil, d.ImageData, w, h, int(d.CompressionQuality))
	must(t, err)
	return out
}

func previewSettings(id int32, rebin int32) *icd.PvPreviewSettings {
	return &icd.PvPreviewSettings{PreviewId: id, RegionId: -1, RebinXy: rebin, RebinZ: rebin,
		CompressionType: icd.CompressionType_ZFP, ImageCompressionQuality: 32, AnimationCompressionQuality: 32}
}

// The preview answers its request with ZFP data of the binned PV image,
// then follows the line: every SET_REGION of it (dragged, preview_region)
// sends PV_PREVIEW_DATA of the new position.
func TestPvPreview(t *testing.T) {
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1,
		SpectralRange: &icd.IntBounds{Min: 0, Max: 7}, PreviewSettings: previewSettings(3, 2)})
	resp := awaitPV(t, c, 7)
	d := resp.PreviewData
	if !resp.Success || d == nil || d.PreviewId != 3 || d.Width != 6 || d.Height != 4 || d.Histogram == nil || d.ImageInfo == nil {
		t.Fatalf("preview response %+v", resp)
	}
	if d.ImageInfo.Width != 6 || headerValue(d.ImageInfo, "CTYPE1") != "OFFSET" {
		t.Fatalf("preview header %+v", d.ImageInfo)
	}
	got := decodePreview(t, d)
	// Boxes at x = 20..10 binned by two (the last alone), channels by two.
	for by := 0; by < 4; by++ {
		for bx := 0; bx < 6; bx++ {
			x := 20 - 2*float64(bx) - 0.5
			if bx == 5 {
				x = 10
			}
			want := 1000*(2*float64(by)+0.5) + 10*x + 10
			if v := got[by*6+bx]; math.Abs(float64(v)-want) > 1e-2 {
				t.Fatalf("preview (%d, %d) = %g, want %g", bx, by, v, want)
			}
		}
	}
	setLine(t, c, line, true, 5, 5, 25, 5)
	var pd icd.PvPreviewData
	skipTo(t, c, icd.EventType_PV_PREVIEW_DATA, &pd)
	if pd.PreviewId != 3 || pd.Width != 11 || pd.Histogram != nil || pd.HistogramBounds == nil {
		t.Fatalf("dragged preview %+v", &pd)
	}
	setLine(t, c, line, false, 5, 5, 29, 5)
	skipTo(t, c, icd.EventType_PV_PREVIEW_DATA, &pd)
	if pd.Width != 13 || pd.Histogram == nil {
		t.Fatalf("set preview %+v", &pd)
	}
	// Closed: the line moves on without previews.
	sendMsg(t, c, icd.EventType_CLOSE_PV_PREVIEW, 30, 0, &icd.ClosePvPreview{PreviewId: 3})
	setLine(t, c, line, false, 5, 5, 15, 5)
	readToPong(t, c, func(h icd.Header, b []byte) {
		if h.Type == icd.EventType_PV_PREVIEW_DATA || h.Type == icd.EventType_ERROR_DATA {
			t.Fatalf("after close: %s", describe(h, b))
		}
	})
}

// Newest wins: a position being computed when a newer one arrives is
// dropped, never sent.
func TestPvPreviewNewestWins(t *testing.T) {
	held := make(chan struct{})
	calls := 0
	pvCutStarted = func(ctx context.Context) {
		calls++
		if calls == 2 { // the first drag: held until superseded
			close(held)
			<-ctx.Done()
		}
	}
	t.Cleanup(func() { pvCutStarted = func(context.Context) {} })
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1, PreviewSettings: previewSettings(1, 1)})
	if resp := awaitPV(t, c, 7); !resp.Success || resp.PreviewData.Width != 11 {
		t.Fatalf("preview response %+v", resp)
	}
	setLine(t, c, line, true, 5, 5, 25, 5) // 21 samples: held, then dropped
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the dragged position was never computed")
	}
	setLine(t, c, line, true, 5, 5, 29, 5) // 25 samples
	var pd icd.PvPreviewData
	skipTo(t, c, icd.EventType_PV_PREVIEW_DATA, &pd)
	if pd.Width != 25 {
		t.Fatalf("preview after two drags is %d wide, want 25 (the newest)", pd.Width)
	}
	readToPong(t, c, func(h icd.Header, b []byte) {
		if h.Type == icd.EventType_PV_PREVIEW_DATA || h.Type == icd.EventType_ERROR_DATA {
			t.Fatalf("after the newest: %s", describe(h, b))
		}
	})
}

// A PV image is session state: after the process dies, RESUME_SESSION
// naming it samples the cube again under the same id and name.
func TestPvImageRegeneratedOnResume(t *testing.T) {
	root := t.TempDir()
	writePvCube(t, filepath.Join(root, "pv.fits"))
	folder, err := NewFolder(root, "")
	must(t, err)
	dbA := filepath.Join(t.TempDir(), "a.db")
	a, mA, id := storedPipe(t, dbA, folder, 0)
	openPvCube(t, a)
	line := setLine(t, a, 0, false, 10, 10, 20, 10)
	sendMsg(t, a, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 3, SpectralRange: &icd.IntBounds{Min: 2, Max: 5}})
	if resp := awaitPV(t, a, 7); !resp.Success || resp.OpenFileAck.FileId != 1 {
		t.Fatalf("PV: %+v", resp)
	}
	// The line moves afterwards: the image keeps the line it was made from.
	setLine(t, a, line, false, 1, 1, 5, 5)
	a.client.session.markDirty()
	commitNow(t, mA)
	data, err := os.ReadFile(dbA)
	must(t, err)
	dbB := filepath.Join(t.TempDir(), "b.db")
	must(t, os.WriteFile(dbB, data, 0o600))

	b, _, idB := storedPipe(t, dbB, folder, id)
	if idB != id {
		t.Fatalf("resumed session %d, want %d", idB, id)
	}
	sendMsg(t, b, icd.EventType_RESUME_SESSION, 30, 8, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: "pv.fits", FileId: 0, Regions: map[int32]*icd.RegionInfo{line: {RegionType: icd.RegionType_LINE,
			ControlPoints: []*icd.Point{{X: 1, Y: 1}, {X: 5, Y: 5}}}}},
		{Directory: ".", File: "pv_pv.fits", FileId: 1},
	}})
	var ack icd.ResumeSessionAck
	skipTo(t, b, icd.EventType_RESUME_SESSION_ACK, &ack)
	if !ack.Success {
		t.Fatalf("resume: %+v", &ack)
	}
	drainToPong(t, b)
	f := b.client.session.frame(1)
	if f == nil || f.name != "pv_pv.fits" || f.layout.Width != 11 || f.layout.Height != 4 {
		t.Fatalf("regenerated frame %+v", f)
	}
	sendMsg(t, b, icd.EventType_SET_CURSOR, 30, 9, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: 3, Y: 1}})
	sp := expect(t, b, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if want := pvValue(17, 10, 3); math.Abs(float64(sp.Value)-want) > 1e-3 {
		t.Fatalf("cursor on the regenerated PV image: %g, want %g", sp.Value, want)
	}
	noErrorsToPong(t, b)
	// A new PV image kept beside it is numbered after it.
	sendMsg(t, b, icd.EventType_PV_REQUEST, 30, 10, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1, Keep: true})
	if resp := awaitPV(t, b, 10); !resp.Success || resp.OpenFileAck.FileInfo.Name != "pv_pv1.fits" || resp.OpenFileAck.FileId != 2 {
		t.Fatalf("PV kept after the resume: %+v", resp)
	}
}

// Closing the source image drops its previews: they read its pixels.
func TestPvPreviewDroppedWithItsImage(t *testing.T) {
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1, PreviewSettings: previewSettings(2, 1)})
	if resp := awaitPV(t, c, 7); !resp.Success {
		t.Fatalf("preview response %+v", resp)
	}
	sendMsg(t, c, icd.EventType_CLOSE_FILE, 30, 8, &icd.CloseFile{FileId: 0})
	drainToPong(t, c)
	ps := &c.client.session.previews
	ps.mu.Lock()
	n := len(ps.m)
	ps.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d previews left after their image closed", n)
	}
}

// A PV image finished after the last change is checkpointed: its run
// asks for a checkpoint once the image is open.
func TestPvImageCheckpointed(t *testing.T) {
	root := t.TempDir()
	writePvCube(t, filepath.Join(root, "pv.fits"))
	folder, err := NewFolder(root, "")
	must(t, err)
	a, m, id := storedPipe(t, filepath.Join(t.TempDir(), "a.db"), folder, 0)
	openPvCube(t, a)
	line := setLine(t, a, 0, false, 10, 10, 20, 10)
	commitNow(t, m) // everything so far stored: nothing left to checkpoint
	sendMsg(t, a, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1})
	if resp := awaitPV(t, a, 7); !resp.Success {
		t.Fatalf("PV: %+v", resp)
	}
	commitNow(t, m)
	snap, err := m.cfg.Store.Get(id)
	must(t, err)
	if len(snap.Images) != 2 || snap.Images[1].Pv.GetName() != "pv_pv.fits" {
		t.Fatalf("stored images %v, want the cube and its PV image", snap.Images)
	}
}

// STOP_PV_PREVIEW cancels the preview being computed; the request it
// answers says so, and the preview stays for the next position.
func TestPvPreviewStop(t *testing.T) {
	held := make(chan struct{})
	calls := 0
	pvCutStarted = func(ctx context.Context) {
		calls++
		if calls == 1 {
			close(held)
			<-ctx.Done()
		}
	}
	t.Cleanup(func() { pvCutStarted = func(context.Context) {} })
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1, PreviewSettings: previewSettings(5, 1)})
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the preview never started")
	}
	sendMsg(t, c, icd.EventType_STOP_PV_PREVIEW, 30, 0, &icd.StopPvPreview{PreviewId: 5})
	if resp := awaitPV(t, c, 7); resp.Success || !resp.Cancel || resp.PreviewData.GetPreviewId() != 5 {
		t.Fatalf("stopped preview: %+v", resp)
	}
	setLine(t, c, line, true, 5, 5, 25, 5)
	var pd icd.PvPreviewData
	skipTo(t, c, icd.EventType_PV_PREVIEW_DATA, &pd)
	if pd.PreviewId != 5 || pd.Width != 21 {
		t.Fatalf("preview after the stop: %+v", &pd)
	}
}

// PV_PROGRESS reports the calculation on its way (at most once a second,
// here every time): the source's file id and a fraction below 1, before
// the response.
func TestPvProgress(t *testing.T) {
	pvProgressEvery = 0
	t.Cleanup(func() { pvProgressEvery = progressEvery })
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1})
	var p icd.PvProgress
	skipTo(t, c, icd.EventType_PV_PROGRESS, &p)
	if p.FileId != 0 || p.Progress <= 0 || p.Progress >= 1 {
		t.Fatalf("progress %+v", &p)
	}
	if resp := awaitPV(t, c, 7); !resp.Success {
		t.Fatalf("PV: %+v", resp)
	}
}

// A moved line's preview follows the SET_REGION_ACK, never before it,
// so a client reading the ack first misses nothing (under load the
// preview used to overtake the ack).
func TestPvPreviewAfterAck(t *testing.T) {
	c := pvClient(t)
	line := setLine(t, c, 0, false, 10, 10, 20, 10)
	sendMsg(t, c, icd.EventType_PV_REQUEST, 30, 7, &icd.PvRequest{FileId: 0, RegionId: line, Width: 1,
		SpectralRange: &icd.IntBounds{Min: 0, Max: 7}, PreviewSettings: previewSettings(3, 2)})
	if resp := awaitPV(t, c, 7); !resp.Success {
		t.Fatalf("preview response %+v", resp)
	}
	for i := range 50 {
		sendMsg(t, c, icd.EventType_SET_REGION, 30, 6, &icd.SetRegion{FileId: 0, RegionId: line, PreviewRegion: true,
			RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_LINE, ControlPoints: []*icd.Point{{X: 5, Y: 5}, {X: float32(15 + i%10), Y: 5}}}})
		h, _ := next(t, c)
		if h.Type != icd.EventType_SET_REGION_ACK {
			t.Fatalf("drag %d: %s before the ack", i, h.Type)
		}
		var pd icd.PvPreviewData
		skipTo(t, c, icd.EventType_PV_PREVIEW_DATA, &pd)
	}
}
