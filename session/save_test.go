package session

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cartago/icd"
	"cartago/imaging/fits"
)

// Save fixture: 20×16×6×2 (RA, Dec, FREQ, STOKES I and Q) with a full
// WCS; value x + 100·y + 10000·channel + 100000·Stokes, exact in float32.
const (
	saveW, saveH, saveD, saveS = 20, 16, 6, 2
	saveRest                   = 1.42e9
)

func saveValue(x, y, c, s int) float32 { return float32(x + 100*y + 10000*c + 100000*s) }

func writeSaveCube(t *testing.T, path string) {
	t.Helper()
	data := make([]float32, 0, saveW*saveH*saveD*saveS)
	for s := range saveS {
		for c := range saveD {
			for y := range saveH {
				for x := range saveW {
					data = append(data, saveValue(x, y, c, s))
				}
			}
		}
	}
	cards := []fits.Card{
		fits.NewStringCard("OBJECT", "save test", ""), fits.NewStringCard("BUNIT", "Jy/beam", ""),
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewFloatCard("CRVAL1", 180, ""), fits.NewFloatCard("CDELT1", -0.001, ""), fits.NewFloatCard("CRPIX1", 10, ""),
		fits.NewStringCard("CTYPE2", "DEC--SIN", ""), fits.NewFloatCard("CRVAL2", -30, ""), fits.NewFloatCard("CDELT2", 0.001, ""), fits.NewFloatCard("CRPIX2", 8, ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewFloatCard("CRVAL3", 1.4e9, ""), fits.NewFloatCard("CDELT3", 1e6, ""), fits.NewFloatCard("CRPIX3", 1, ""), fits.NewStringCard("CUNIT3", "Hz", ""),
		fits.NewStringCard("CTYPE4", "STOKES", ""), fits.NewFloatCard("CRVAL4", 1, ""), fits.NewFloatCard("CDELT4", 1, ""), fits.NewFloatCard("CRPIX4", 1, ""),
		fits.NewFloatCard("RESTFRQ", saveRest, ""), fits.NewFloatCard("DATAMIN", 0, ""), fits.NewIntCard("WCSAXES", 4, ""), fits.NewCommentCard("HISTORY", "made by the save test"),
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{saveW, saveH, saveD, saveS}, Cards: cards, Data: data}))
}

func saveClient(t *testing.T) (*pipe, string) {
	t.Helper()
	root := t.TempDir()
	writeSaveCube(t, filepath.Join(root, "src.fits"))
	must(t, os.Mkdir(filepath.Join(root, "out"), 0o755))
	c := folderPipe(t, root)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 5, &icd.OpenFile{Directory: ".", File: "src.fits", FileId: 0})
	ack := expect(t, c, icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	if !ack.Success {
		t.Fatalf("open: %s", ack.Message)
	}
	drainToPong(t, c)
	return c, root
}

func save(t *testing.T, c *pipe, req uint32, msg *icd.SaveFile) *icd.SaveFileAck {
	t.Helper()
	sendMsg(t, c, icd.EventType_SAVE_FILE, 30, req, msg)
	var ack icd.SaveFileAck
	skipTo(t, c, icd.EventType_SAVE_FILE_ACK, &ack)
	return &ack
}

// saveRegion draws a region on file 0; the image's own data may still
// be on its way.
func saveRegion(t *testing.T, c *pipe, info *icd.RegionInfo) *icd.SetRegionAck {
	t.Helper()
	sendMsg(t, c, icd.EventType_SET_REGION, 30, 6, &icd.SetRegion{FileId: 0, RegionId: -1, RegionInfo: info})
	var ack icd.SetRegionAck
	skipTo(t, c, icd.EventType_SET_REGION_ACK, &ack)
	if !ack.Success {
		t.Fatalf("set region: %s", ack.Message)
	}
	return &ack
}

// readSaved opens a saved file with our reader: its only HDU.
func readSaved(t *testing.T, path string) (*fits.File, *fits.Image) {
	t.Helper()
	f, err := fits.Open(path)
	must(t, err)
	t.Cleanup(func() { f.Close() })
	im, err := f.Image("0")
	must(t, err)
	return f, im
}

func headerFloat(t *testing.T, h *fits.Header, key string, want float64) {
	t.Helper()
	got, ok := h.Float(key)
	if !ok || math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
	}
}

// A rectangle cut-out of channels 2..4 of Stokes Q, degenerate axes
// dropped: the reference's Frame.cc SaveFile → GetExportRegionSlicer
// with ValidateChannelStokes ([start, end] clamped, Stokes [start, end,
// stride]) and AxesSpecifier(false). Every kept pixel keeps its world
// coordinates: CRPIX shifted by the cut, CRVAL and CDELT unchanged.
func TestSaveRegionChannelRangeAndStokes(t *testing.T) {
	c, root := saveClient(t)
	// Rectangle centred on (7.5, 5.5), 6×4 pixels: x 5..10, y 4..7.
	reg := saveRegion(t, c, &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE,
		ControlPoints: []*icd.Point{{X: 7.5, Y: 5.5}, {X: 6, Y: 4}}})
	ack := save(t, c, 7, &icd.SaveFile{FileId: 0, OutputFileDirectory: "out", OutputFileName: "cut.fits",
		OutputFileType: icd.FileType_FITS, RegionId: reg.RegionId, Channels: []int32{2, 4, 1}, Stokes: []int32{1, 1, 1},
		RestFreq: 1.5e9})
	if !ack.Success || ack.FileId != 0 {
		t.Fatalf("save: %+v", ack)
	}
	_, im := readSaved(t, filepath.Join(root, "out", "cut.fits"))
	if got := im.Naxis; len(got) != 3 || got[0] != 6 || got[1] != 4 || got[2] != 3 {
		t.Fatalf("NAXISn %v, want [6 4 3]", got)
	}
	for c := range 3 {
		p, err := im.Plane(c, 0)
		must(t, err)
		for y := range 4 {
			for x := range 6 {
				if got, want := p.Data[y*6+x], saveValue(5+x, 4+y, 2+c, 1); got != want {
					t.Fatalf("channel %d (%d,%d) = %v, want %v", c, x, y, got, want)
				}
			}
		}
	}
	h := im.Header
	headerFloat(t, h, "CRPIX1", 10-5)
	headerFloat(t, h, "CRPIX2", 8-4)
	headerFloat(t, h, "CRPIX3", 1-2)
	headerFloat(t, h, "CRVAL3", 1.4e9)
	headerFloat(t, h, "CDELT3", 1e6)
	headerFloat(t, h, "RESTFRQ", 1.5e9)
	for _, gone := range []string{"CTYPE4", "CRPIX4", "NAXIS4", "DATAMIN", "WCSAXES"} {
		if _, ok := h.Get(gone); ok {
			t.Errorf("%s kept", gone)
		}
	}
	if v, _ := h.String("OBJECT"); v != "save test" {
		t.Errorf("OBJECT %q not carried over", v)
	}
}

// keep_degenerate keeps the single Stokes as an axis of length 1 whose
// CRPIX still names Q (Frame.cc SaveFile: keep_degenerate → the
// sub-image as sliced), and no rest frequency given keeps the header's.
func TestSaveKeepsDegenerateAxes(t *testing.T) {
	c, root := saveClient(t)
	ack := save(t, c, 7, &icd.SaveFile{OutputFileDirectory: "out", OutputFileName: "q.fits", OutputFileType: icd.FileType_FITS,
		Stokes: []int32{1, 1, 1}, KeepDegenerate: true, RestFreq: math.NaN()})
	if !ack.Success {
		t.Fatalf("save: %+v", ack)
	}
	_, im := readSaved(t, filepath.Join(root, "out", "q.fits"))
	if got := im.Naxis; len(got) != 4 || got[3] != 1 || got[2] != saveD {
		t.Fatalf("NAXISn %v", got)
	}
	if im.Layout.Stokes != 1 || len(im.Layout.StokesValues) != 1 || im.Layout.StokesValues[0] != 2 {
		t.Fatalf("Stokes %v, want Q", im.Layout.StokesValues)
	}
	headerFloat(t, im.Header, "RESTFRQ", saveRest)
	p, err := im.Plane(5, 0)
	must(t, err)
	if p.Data[3*saveW+7] != saveValue(7, 3, 5, 1) {
		t.Fatalf("pixel %v", p.Data[3*saveW+7])
	}
}

// A non-rectangular region saves its bounding box with the pixels
// outside the shape blank: the reference's SubImage over the LCRegion
// masks them and ImageToFITS writes masked pixels as NaN.
func TestSaveEllipseBlanksOutsideTheShape(t *testing.T) {
	c, root := saveClient(t)
	reg := saveRegion(t, c, &icd.RegionInfo{RegionType: icd.RegionType_ELLIPSE,
		ControlPoints: []*icd.Point{{X: 10, Y: 8}, {X: 5, Y: 3}}})
	ack := save(t, c, 7, &icd.SaveFile{OutputFileDirectory: "out", OutputFileName: "e.fits", OutputFileType: icd.FileType_FITS,
		RegionId: reg.RegionId, Channels: []int32{0, 0}, Stokes: []int32{0, 0, 1}})
	if !ack.Success {
		t.Fatalf("save: %+v", ack)
	}
	_, im := readSaved(t, filepath.Join(root, "out", "e.fits"))
	w, h := im.Layout.Width, im.Layout.Height
	p, err := im.Plane(0, 0)
	must(t, err)
	crpix1, _ := im.Header.Float("CRPIX1")
	crpix2, _ := im.Header.Float("CRPIX2")
	ox, oy := int(10-crpix1), int(8-crpix2) // source pixel of saved pixel 0
	nan, inside := 0, 0
	for y := range h {
		for x := range w {
			v := p.Data[y*w+x]
			if math.IsNaN(float64(v)) {
				nan++
				continue
			}
			inside++
			if v != saveValue(ox+x, oy+y, 0, 0) {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, v, saveValue(ox+x, oy+y, 0, 0))
			}
		}
	}
	if nan == 0 || inside == 0 || !math.IsNaN(float64(p.Data[0])) {
		t.Fatalf("%d blank and %d kept pixels in %d×%d; corner %v", nan, inside, w, h, p.Data[0])
	}
}

// The overwrite flow the frontend drives (its file browser shows a
// confirmation when overwrite_confirmation_required, then asks again
// with overwrite=true), with the reference's texts (Frame.cc SaveFile).
func TestSaveOverwriteNeedsConfirmation(t *testing.T) {
	c, root := saveClient(t)
	msg := &icd.SaveFile{OutputFileDirectory: "out", OutputFileName: "x.fits", OutputFileType: icd.FileType_FITS, Channels: []int32{0, 0}}
	if ack := save(t, c, 7, msg); !ack.Success {
		t.Fatalf("first save: %+v", ack)
	}
	ack := save(t, c, 8, msg)
	if ack.Success || !ack.OverwriteConfirmationRequired || ack.Message != "Cannot overwrite existing image." {
		t.Fatalf("second save: %+v", ack)
	}
	msg.Channels, msg.Overwrite = []int32{1, 2}, true
	if ack := save(t, c, 9, msg); !ack.Success {
		t.Fatalf("confirmed save: %+v", ack)
	}
	_, im := readSaved(t, filepath.Join(root, "out", "x.fits"))
	if im.Layout.Depth != 2 {
		t.Fatalf("depth %d after overwrite, want 2", im.Layout.Depth)
	}
	src := &icd.SaveFile{OutputFileDirectory: ".", OutputFileName: "src.fits", OutputFileType: icd.FileType_FITS, Overwrite: true}
	if ack := save(t, c, 10, src); ack.Success || ack.Message != "Cannot overwrite the source image." {
		t.Fatalf("save over the source: %+v", ack)
	}
	leftovers, _ := filepath.Glob(filepath.Join(root, "out", ".*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

// Paths outside the top folder, CASA output and unknown ids fail with
// success=false and a message; nothing is written.
func TestSaveRefusals(t *testing.T) {
	c, root := saveClient(t)
	for i, tc := range []struct {
		msg  *icd.SaveFile
		text string
	}{
		{&icd.SaveFile{OutputFileDirectory: "..", OutputFileName: "escape.fits", OutputFileType: icd.FileType_FITS}, "outside"},
		{&icd.SaveFile{OutputFileDirectory: "out", OutputFileName: "../escape.fits", OutputFileType: icd.FileType_FITS}, "bad file name"},
		{&icd.SaveFile{OutputFileDirectory: "out", OutputFileName: "", OutputFileType: icd.FileType_FITS}, "Cannot save image with no filename."},
		{&icd.SaveFile{OutputFileDirectory: "out", OutputFileName: "c.image", OutputFileType: icd.FileType_CASA}, "CASA"},
		{&icd.SaveFile{FileId: 9, OutputFileDirectory: "out", OutputFileName: "n.fits", OutputFileType: icd.FileType_FITS}, "File id 9 not found"},
		{&icd.SaveFile{OutputFileDirectory: "out", OutputFileName: "r.fits", OutputFileType: icd.FileType_FITS, RegionId: 42}, "No region with id 42 found."},
	} {
		ack := save(t, c, uint32(10+i), tc.msg)
		if ack.Success || !strings.Contains(ack.Message, tc.text) {
			t.Errorf("%+v: %+v, want a refusal containing %q", tc.msg, ack, tc.text)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "escape.fits")); err == nil {
		t.Fatal("wrote outside the top folder")
	}
	entries, _ := os.ReadDir(filepath.Join(root, "out"))
	if len(entries) != 0 {
		t.Fatalf("files written: %v", entries)
	}
}
