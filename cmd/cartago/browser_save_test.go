package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
)

// The save fixture: 64×48×10 (RA, Dec, FREQ), value x + 100·y +
// 10000·channel, exact in float32.
const (
	saveCube               = "savecube.fits"
	saveW, saveH, saveD    = 64, 48, 10
	saveCrpix1, saveCrpix2 = 32, 24
)

func saveCubeValue(x, y, c int) float32 { return float32(x + 100*y + 10000*c) }

func writeSaveCube(t *testing.T, path string) {
	t.Helper()
	data := make([]float32, 0, saveW*saveH*saveD)
	for c := range saveD {
		for y := range saveH {
			for x := range saveW {
				data = append(data, saveCubeValue(x, y, c))
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{saveW, saveH, saveD}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewFloatCard("CRVAL1", 150, ""), fits.NewFloatCard("CDELT1", -1e-3, ""),
		fits.NewFloatCard("CRPIX1", saveCrpix1, ""), fits.NewStringCard("CUNIT1", "deg", ""),
		fits.NewStringCard("CTYPE2", "DEC--SIN", ""), fits.NewFloatCard("CRVAL2", 2, ""), fits.NewFloatCard("CDELT2", 1e-3, ""),
		fits.NewFloatCard("CRPIX2", saveCrpix2, ""), fits.NewStringCard("CUNIT2", "deg", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewFloatCard("CRVAL3", 1.4e9, ""), fits.NewFloatCard("CDELT3", 1e6, ""),
		fits.NewFloatCard("CRPIX3", 1, ""), fits.NewStringCard("CUNIT3", "Hz", ""),
		fits.NewStringCard("BUNIT", "Jy/beam", ""), fits.NewFloatCard("RESTFRQ", 1.42e9, ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// setInput types a value into a React input as a user would: through
// the native setter, then the input event React listens to.
func (b *browser) setInput(what, sel, value string) {
	b.t.Helper()
	ok := evalJS[bool](b, `(() => {
		const e = document.querySelector(`+strconv.Quote(sel)+`); if (!e) return false;
		Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(e, `+strconv.Quote(value)+`);
		e.dispatchEvent(new Event('input', {bubbles: true}));
		e.dispatchEvent(new Event('change', {bubbles: true}));
		e.dispatchEvent(new Event('blur', {bubbles: true}));
		return true })()`)
	if !ok {
		b.fail("%s (%s) not found", what, sel)
	}
}

// menuItem opens a menu of the menu bar and clicks one of its items.
func (b *browser) menuItem(menu, item string) {
	b.t.Helper()
	sel := `//a[contains(@class,"bp6-menu-item")][.//*[normalize-space(text())="` + item + `"]]`
	shown := `!!document.evaluate(` + strconv.Quote(sel) + `, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue?.offsetParent`
	// A menu opened while a dialog is still closing can close again
	// before the item is clicked (the click then waits for an item that
	// is gone): open it again, at most three times.
	for attempt := 1; ; attempt++ {
		b.clickUntil("the "+menu+" menu", `//*[contains(@class,"root-menu-entry")]//a[contains(@class,"bp6-menu-item")][normalize-space(.)="`+menu+`"]`,
			"its "+item+" item shown", shown, uiTimeout)
		ctx, cancel := context.WithTimeout(b.ctx, uiTimeout/3)
		err := chromedp.Do(ctx, chromedp.Click(sel))
		cancel()
		if err == nil {
			return
		}
		if attempt == 3 {
			b.fail("clicking %s > %s (%s): %v", menu, item, sel, err)
		}
		b.t.Logf("%s > %s: %v; opening the menu again", menu, item, err)
	}
}

// TestBrowserSaveImage: File > Save Image in the real frontend, with a
// rectangle drawn on the cube, its Region choice, a channel range typed
// in its Range fields and a file name: the frontend sends SAVE_FILE,
// the server writes the cut-out and the file holds exactly the pixels
// of the region's box in those channels, with a header that puts them
// at the same world coordinates (Frame.cc SaveFile of the reference).
// Saving again under the same name brings the frontend's overwrite
// confirmation; confirming replaces the file.
func TestBrowserSaveImage(t *testing.T) {
	skipIfShort(t)
	root := t.TempDir()
	writeSaveCube(t, filepath.Join(root, saveCube))
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	openDrawn(b, saveCube)

	view := stableImageView(b)
	toScreen := fittedToScreen(view, saveW, saveH)
	// From the centre (20, 15) to a corner (28.5, 21.5): edges half-way
	// between pixel centres whatever the zoom's rounding.
	pressX, pressY := toScreen(20, 15)
	relX, relY := toScreen(28.5, 21.5)
	b.clickUntilActive("the toolbar's rectangle region button", `[data-testid="rectangle-region-shortcut-button"]`, uiTimeout)
	regionID, info := b.createRegion(icd.RegionType_RECTANGLE, func() { b.drag(pressX, pressY, relX, relY) })
	c, s := info.ControlPoints[0], info.ControlPoints[1]
	x0, x1 := int(math.Ceil(float64(c.X-s.X/2))), int(math.Floor(float64(c.X+s.X/2)))
	y0, y1 := int(math.Ceil(float64(c.Y-s.Y/2))), int(math.Floor(float64(c.Y+s.Y/2)))
	t.Logf("rectangle %d: centre (%g, %g), size %g×%g: pixels x %d..%d, y %d..%d", regionID, c.X, c.Y, s.X, s.Y, x0, x1, y0, y1)

	b.menuItem("File", "Save Image")
	pollJS[bool](b, "the save dialog's options", `!!document.querySelector('.file-save .region-select select')`, uiTimeout)
	b.selectOption("the Region choice", ".file-save .region-select select", fmt.Sprintf("%d (RECTANGLE)", regionID))
	// The range is typed in the spectral unit the dialog shows: channels
	// 3 to 6 of a linear axis from the bounds the dialog starts with.
	lo := pollJS[float64](b, "the range's start", `parseFloat(document.querySelectorAll('.file-save .range-select input')[0]?.value)`, uiTimeout)
	hi := pollJS[float64](b, "the range's end", `parseFloat(document.querySelectorAll('.file-save .range-select input')[1]?.value)`, uiTimeout)
	step := (hi - lo) / (saveD - 1)
	b.setInput("Range from", ".file-save .range-select .bp6-form-group:nth-of-type(1) input", strconv.FormatFloat(lo+3*step, 'g', 10, 64))
	b.setInput("Range to", ".file-save .range-select .bp6-form-group:nth-of-type(2) input", strconv.FormatFloat(lo+6*step, 'g', 10, 64))
	b.setInput("the file name", `input[placeholder="Enter file name"]`, "cut.fits")
	nSave := b.rec.frames(true, ev(icd.EventType_SAVE_FILE))
	b.clickUntilSent("the Save button", `//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Save" and not(@disabled)]`,
		ev(icd.EventType_SAVE_FILE), uiTimeout)
	p := b.waitMessageFrom(true, ev(icd.EventType_SAVE_FILE), nSave, "SAVE_FILE", func([]byte) bool { return true }, uiTimeout)
	var sent icd.SaveFile
	_ = proto.Unmarshal(p, &sent)
	t.Logf("the frontend sent SAVE_FILE %v", &sent)
	if sent.RegionId != regionID || sent.OutputFileType != icd.FileType_FITS || !slices.Equal(sent.Channels[:2], []int32{3, 6}) {
		b.fail("SAVE_FILE %v: want region %d, FITS, channels 3..6", &sent, regionID)
	}
	b.waitMessage(false, ev(icd.EventType_SAVE_FILE_ACK), "a successful SAVE_FILE_ACK", func(p []byte) bool {
		var m icd.SaveFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	pollJS[bool](b, "the file browser to close", `!document.querySelector('.file-list')`, uiTimeout)
	checkCut(t, filepath.Join(root, "cut.fits"), x0, x1, y0, y1, 3, 6)

	// Again under the same name: the frontend asks, the user confirms.
	b.menuItem("File", "Save Image")
	pollJS[bool](b, "the save dialog's file name", `!!document.querySelector('input[placeholder="Enter file name"]')`, uiTimeout)
	b.setInput("the file name", `input[placeholder="Enter file name"]`, "cut.fits")
	nAck := b.rec.frames(false, ev(icd.EventType_SAVE_FILE_ACK))
	b.clickUntilSent("the Save button", `//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Save" and not(@disabled)]`,
		ev(icd.EventType_SAVE_FILE), uiTimeout)
	b.waitMessageFrom(false, ev(icd.EventType_SAVE_FILE_ACK), nAck, "SAVE_FILE_ACK asking to confirm", func(p []byte) bool {
		var m icd.SaveFileAck
		return proto.Unmarshal(p, &m) == nil && !m.Success && m.OverwriteConfirmationRequired
	}, serverTimeout)
	b.clickUntilSent("the overwrite alert's confirm button", `//div[contains(@class,"bp6-alert")]//button[not(contains(normalize-space(.),"Cancel"))]`,
		ev(icd.EventType_SAVE_FILE), uiTimeout)
	b.waitMessage(true, ev(icd.EventType_SAVE_FILE), "SAVE_FILE with overwrite", func(p []byte) bool {
		var m icd.SaveFile
		return proto.Unmarshal(p, &m) == nil && m.Overwrite
	}, uiTimeout)
	b.waitMessageFrom(false, ev(icd.EventType_SAVE_FILE_ACK), nAck, "a successful SAVE_FILE_ACK after the confirmation", func(p []byte) bool {
		var m icd.SaveFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	// The save dialog's Range fields are Blueprint NumericInputs whose
	// minorStepSize the frontend leaves above their stepSize for a small
	// channel width; Blueprint logs that on each render.
	b.checkHealthyAfter(healthAllowance{errors: []*regexp.Regexp{
		regexp.MustCompile(`console\.error: \[Blueprint\] <NumericInput> requires minorStepSize to be no greater than stepSize\.`)}})
	b.rec.logSummary(t)
}

// checkCut compares a saved cut-out with the fixture.
func checkCut(t *testing.T, path string, x0, x1, y0, y1, c0, c1 int) {
	t.Helper()
	f, err := fits.Open(path)
	if err != nil {
		t.Fatalf("saved file: %v", err)
	}
	defer f.Close()
	im, err := f.Image("0")
	if err != nil {
		t.Fatal(err)
	}
	w, h, d := x1-x0+1, y1-y0+1, c1-c0+1
	if l := im.Layout; l.Width != w || l.Height != h || l.Depth != d {
		t.Fatalf("saved %d×%d×%d, want %d×%d×%d", l.Width, l.Height, l.Depth, w, h, d)
	}
	for c := range d {
		p, err := im.Plane(c, 0)
		if err != nil {
			t.Fatal(err)
		}
		for y := range h {
			for x := range w {
				if got, want := p.Data[y*w+x], saveCubeValue(x0+x, y0+y, c0+c); got != want {
					t.Fatalf("saved channel %d (%d,%d) = %v, want %v", c, x, y, got, want)
				}
			}
		}
	}
	for key, want := range map[string]float64{"CRPIX1": saveCrpix1 - float64(x0), "CRPIX2": saveCrpix2 - float64(y0),
		"CRPIX3": 1 - float64(c0), "CRVAL3": 1.4e9, "CRVAL1": 150, "RESTFRQ": 1.42e9} {
		if got, ok := im.Header.Float(key); !ok || math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("saved %s = %v, want %v", key, got, want)
		}
	}
}

// clickMiddle clicks the middle of the first element matching css with
// the modifier keys held (Shift extends a selection).
func (b *browser) clickMiddle(what, css string, mods ...chromedp.Modifier) {
	b.t.Helper()
	r := elementRect(b, css)
	ctx, cancel := context.WithTimeout(b.ctx, uiTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(r.X+r.W/2, r.Y+r.H/2, chromedp.ButtonModifiers(mods...))); err != nil {
		b.fail("clicking %s (%s): %v", what, css, err)
	}
}

// infoAnswered waits until every FILE_INFO_REQUEST has its response.
func (b *browser) infoAnswered() {
	b.t.Helper()
	for deadline := time.Now().Add(serverTimeout); b.rec.frames(false, ev(icd.EventType_FILE_INFO_RESPONSE)) < b.rec.frames(true, ev(icd.EventType_FILE_INFO_REQUEST)); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.fail("FILE_INFO_REQUESTs unanswered after %v", serverTimeout)
		}
	}
}

// TestBrowserLoadStokesHypercube: four files pol_I.fits ... pol_V.fits
// selected together in the file browser and loaded with "Load as
// hypercube" (the frontend names each file's type from its name and
// sends CONCAT_STOKES_FILES) open as one image whose Stokes selector
// lists I, Q, U and V, with the derived polarizations offered.
func TestBrowserLoadStokesHypercube(t *testing.T) {
	skipIfShort(t)
	root := t.TempDir()
	writeStokesFiles(t, root)
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("")
	b.waitFrame(false, uint16(icd.EventType_FILE_LIST_RESPONSE), 1, serverTimeout)

	// The list is sorted by date, newest first, pol_V.fits on top. A
	// click on the top file and a Shift-click on the bottom one select
	// all four (the frontend's range selection extends downwards only:
	// upwards it selects nothing).
	first := `.file-list .filename-cell[title="pol_V.fits"] .cell-text`
	last := `.file-list .filename-cell[title="pol_I.fits"] .cell-text`
	pollJS[bool](b, "pol_V.fits listed", `!!document.querySelector(`+strconv.Quote(first)+`)`, uiTimeout)
	// Under load the file browser sometimes drops the selection when a
	// file's information arrives; the user selects again.
	selected := `window.app.fileBrowserStore.selectedFiles.length === 4 && !window.app.fileBrowserStore.isLoadingInfo`
	for attempt := 1; ; attempt++ {
		b.clickMiddle("pol_V.fits in the file browser", first)
		b.infoAnswered()
		b.clickMiddle("pol_I.fits in the file browser with Shift", last, chromedp.ModifierShift)
		b.infoAnswered()
		time.Sleep(time.Second) // what a user takes to move to the button
		if evalJS[bool](b, selected) {
			break
		}
		if attempt == 3 {
			b.fail("selecting the four files three times never left them selected")
		}
		t.Logf("the four files are not selected (attempt %d)", attempt)
	}
	b.clickUntilShown("the Load as hypercube button",
		`//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Load as hypercube"]`, `[data-testid="load-hypercube-button"]`, uiTimeout)
	nAck := b.rec.frames(false, ev(icd.EventType_CONCAT_STOKES_FILES_ACK))
	b.clickUntilSent("the hypercube dialog's Load button", `//a[@data-testid="load-hypercube-button" and not(@disabled)]`,
		ev(icd.EventType_CONCAT_STOKES_FILES), uiTimeout)
	p := b.waitMessage(true, ev(icd.EventType_CONCAT_STOKES_FILES), "CONCAT_STOKES_FILES", func([]byte) bool { return true }, uiTimeout)
	var sent icd.ConcatStokesFiles
	_ = proto.Unmarshal(p, &sent)
	t.Logf("the frontend sent %v", &sent)
	p = b.waitMessageFrom(false, ev(icd.EventType_CONCAT_STOKES_FILES_ACK), nAck, "a successful CONCAT_STOKES_FILES_ACK", func(p []byte) bool {
		var m icd.ConcatStokesFilesAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	var ack icd.ConcatStokesFilesAck
	_ = proto.Unmarshal(p, &ack)
	if name := ack.OpenFileAck.GetFileInfo().GetName(); name != "pol_hypercube_IQUV.fits" {
		t.Errorf("hypercube named %q, want pol_hypercube_IQUV.fits", name)
	}
	stokes := pollJS[[]string](b, "the image's Stokes choices", `window.app?.activeFrame?.stokesInfo?.length ? window.app.activeFrame.stokesInfo : null`, uiTimeout)
	if !slices.Equal(stokes, []string{"Stokes I", "Stokes Q", "Stokes U", "Stokes V"}) {
		t.Errorf("the Stokes selector lists %q, want Stokes I, Q, U, V", stokes)
	}
	pols := pollJS[[]float64](b, "the frontend's polarizations", `window.app?.activeFrame?.polarizations`, uiTimeout)
	for _, want := range []float64{1, 2, 3, 4, 13, 14, 15, 16, 17} {
		if !slices.Contains(pols, want) {
			t.Errorf("polarizations %v lack %v", pols, want)
		}
	}
	waitTileGroup(b, 0)
	b.checkHealthy()
	b.rec.logSummary(t)
}
