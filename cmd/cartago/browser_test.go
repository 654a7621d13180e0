package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/fits"
	"cartago/imaging/sample"
)

// TestBrowserFrontendConnects: the frontend loads, registers, shows no
// alert, and the server stops cleanly with the browser still attached.
func TestBrowserFrontendConnects(t *testing.T) {
	srv := startBrowserServer(t, t.TempDir())
	b := startBrowser(t, srv)
	if id := b.open(""); id == 0 {
		t.Errorf("REGISTER_VIEWER_ACK carried session ID 0; it must be non-zero or the frontend can never resume")
	}
	// The file browser opens at start and lists $BASE.
	b.waitFrame(false, uint16(icd.EventType_FILE_LIST_RESPONSE), 1, 10*time.Second)
	time.Sleep(browserSettle) // let start-up finish and any alert render
	b.checkHealthy()
	b.screenshot()
	b.rec.logSummary(t)

	stopStart := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-srv.done:
		if srv.waitErr != nil {
			t.Errorf("server exited with %v after SIGTERM, want exit status 0", srv.waitErr)
		}
		t.Logf("server exited %v after SIGTERM", time.Since(stopStart).Round(time.Millisecond))
	case <-time.After(serverStopTimeout):
		t.Errorf("server still running %v after SIGTERM (the browser is still connected)", serverStopTimeout)
	}
}

// sampleCube is the spectral cube of the sample set; with
// sample.Options{Small: true} it is 32×32 pixels × 8 channels, with a
// rotating-disk line that moves across the channels over noise that
// differs in every channel.
const sampleCube = "cube-512x512x200.fits"

// smallSample writes the Small sample set into a new folder.
func smallSample(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := sample.Generate(context.Background(), root, sample.Options{Small: true}); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestBrowserShowsImage: the frontend opens a sample cube given in the
// URL, receives and accepts its tiles, and draws them.
func TestBrowserShowsImage(t *testing.T) {
	srv := startBrowserServer(t, smallSample(t))
	b := startBrowser(t, srv)
	b.open("&file=" + sampleCube)
	b.waitFrame(false, uint16(icd.EventType_OPEN_FILE_ACK), 1, serverTimeout)
	b.waitFrame(false, uint16(icd.EventType_REGION_HISTOGRAM_DATA), 1, serverTimeout)
	b.waitFrame(false, uint16(icd.EventType_RASTER_TILE_DATA), 1, serverTimeout)
	// The frontend sends this after it accepted a whole tile group.
	b.waitFrame(true, uint16(icd.EventType_CHANNEL_MAP_FLOW_CONTROL), 1, serverTimeout)
	shot := b.waitDrawn(drawTimeout)
	b.checkHealthy()
	b.saveShot("", shot.png)
	b.rec.logSummary(t)
}

// TestBrowserOpensFromFileBrowser: the file browser that opens at start
// lists the sample set; a click on the cube fetches its file info, and
// the Load button opens it, streams its tiles and draws it.
func TestBrowserOpensFromFileBrowser(t *testing.T) {
	srv := startBrowserServer(t, smallSample(t))
	b := startBrowser(t, srv)
	b.open("")
	b.waitFrame(false, uint16(icd.EventType_FILE_LIST_RESPONSE), 1, 10*time.Second)

	// The list is a Blueprint table, one cell per column:
	//   <div class="bp6-table-cell ... filename-cell" title="NAME">
	//     <div class="bp6-table-truncated-text ..."><div><span class="cell-text">NAME</span>
	// and the click handler is on the <div> around the text.
	b.clickUntilSent("the file "+sampleCube+" in the file browser",
		`.file-list .filename-cell[title="`+sampleCube+`"] .cell-text`, ev(icd.EventType_FILE_INFO_REQUEST), uiTimeout)
	b.waitMessage(true, uint16(icd.EventType_FILE_INFO_REQUEST), "FILE_INFO_REQUEST for "+sampleCube, func(p []byte) bool {
		var m icd.FileInfoRequest
		return proto.Unmarshal(p, &m) == nil && m.File == sampleCube
	}, uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_FILE_INFO_RESPONSE), "a successful FILE_INFO_RESPONSE for "+sampleCube, func(p []byte) bool {
		var m icd.FileInfoResponse
		return proto.Unmarshal(p, &m) == nil && m.Success && m.FileInfo.GetName() == sampleCube
	}, uiTimeout)

	// The dialog's primary button; the frontend enables it once the file
	// info arrived (it has disabled="" until then).
	b.clickUntilSent("the file browser's Load button",
		`//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Load" and not(@disabled)]`, ev(icd.EventType_OPEN_FILE), uiTimeout)
	b.waitMessage(true, uint16(icd.EventType_OPEN_FILE), "OPEN_FILE for "+sampleCube, func(p []byte) bool {
		var m icd.OpenFile
		return proto.Unmarshal(p, &m) == nil && m.File == sampleCube
	}, uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_OPEN_FILE_ACK), "a successful OPEN_FILE_ACK", func(p []byte) bool {
		var m icd.OpenFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	b.waitFrame(false, uint16(icd.EventType_RASTER_TILE_DATA), 1, serverTimeout)
	waitTileGroup(b, 0)

	// Load closes the dialog and the image view is titled by the file.
	pollJS[bool](b, "the file browser to close", `!document.querySelector('.file-list')`, uiTimeout)
	pollJS[bool](b, "the image view to be titled "+sampleCube,
		`Array.from(document.querySelectorAll('.flexlayout__tab_button_content')).some(e => e.innerText.trim() === `+strconv.Quote(sampleCube)+`)`, uiTimeout)
	shot := b.waitDrawn(drawTimeout)
	b.checkHealthy()
	b.saveShot("", shot.png)
	b.rec.logSummary(t)
}

// TestBrowserChannelAndCursor: with the cube open, the Animator's "Last"
// button moves to the last channel: the frontend asks for it, receives
// its tiles and draws different data. Then the mouse moves over the
// image: the frontend sends the cursor, receives the spatial profile of
// that pixel in the new channel, and shows the pixel's value.
func TestBrowserChannelAndCursor(t *testing.T) {
	root := smallSample(t)
	last := cubeChannels(t, filepath.Join(root, sampleCube)) - 1
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("&file=" + sampleCube)
	b.waitFrame(false, uint16(icd.EventType_OPEN_FILE_ACK), 1, serverTimeout)
	waitTileGroup(b, 0)
	first := b.waitDrawn(drawTimeout)
	b.saveShot("-channel0", first.png)

	// The Animator shares a tab set with the Image List in the default
	// layout; its tab title and buttons carry data-testid attributes.
	b.clickUntilShown("the Animator tab", `[data-testid="animator-0-header-title"]`, `[data-testid="animator-last-button"]`, uiTimeout)
	b.clickUntilSent("the Animator's Last button", `[data-testid="animator-last-button"]`, ev(icd.EventType_SET_IMAGE_CHANNELS), uiTimeout)
	b.waitMessage(true, uint16(icd.EventType_SET_IMAGE_CHANNELS), fmt.Sprintf("SET_IMAGE_CHANNELS for channel %d", last), func(p []byte) bool {
		var m icd.SetImageChannels
		return proto.Unmarshal(p, &m) == nil && m.Channel == int32(last)
	}, uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_RASTER_TILE_DATA), fmt.Sprintf("RASTER_TILE_DATA of channel %d", last), func(p []byte) bool {
		var m icd.RasterTileData
		return proto.Unmarshal(p, &m) == nil && m.Channel == int32(last)
	}, serverTimeout)
	waitTileGroup(b, last)
	pollJS[bool](b, fmt.Sprintf("the Animator's channel slider to show channel %d", last),
		fmt.Sprintf(`document.querySelector('[data-testid="animator-slider"] .bp6-slider-handle')?.getAttribute('aria-valuenow') === '%d'`, last), uiTimeout)
	second := b.waitChanged(first, drawTimeout)
	b.saveShot(fmt.Sprintf("-channel%d", last), second.png)

	// Into the image, off its centre pixel (where the frontend puts the
	// cursor before the mouse moves), from the view's lower left corner.
	view := imageView(b)
	setCursors := b.rec.frames(true, uint16(icd.EventType_SET_CURSOR))
	b.moveMouse(view.X+5, view.Y+view.H-5, view.X+view.W/2+37, view.Y+view.H/2+22)
	b.waitFrame(true, uint16(icd.EventType_SET_CURSOR), setCursors+1, uiTimeout)

	// The cursor info bar over the image: "Image: (x, y)" follows the
	// mouse (throttled); "Value: v unit" has "*" appended until the
	// server's SPATIAL_PROFILE_DATA for that very pixel arrived, and reads
	// "NaN" for a blank pixel. Wait for a current value that has not
	// changed for a second, so that the pointer's way in is over.
	x, y, v := parseCursorInfo(t, waitCursorBar(b))
	var cur icd.SetCursor
	if err := proto.Unmarshal(b.lastPayload(true, uint16(icd.EventType_SET_CURSOR)), &cur); err != nil || cur.Point == nil {
		b.fail("the last SET_CURSOR does not decode or has no point: %v", err)
	}
	if math.Round(float64(cur.Point.X)) != float64(x) || math.Round(float64(cur.Point.Y)) != float64(y) {
		t.Errorf("cursor info bar shows pixel (%d, %d), the frontend last sent the cursor at (%g, %g)", x, y, cur.Point.X, cur.Point.Y)
	}
	prof := b.waitMessage(false, uint16(icd.EventType_SPATIAL_PROFILE_DATA),
		fmt.Sprintf("SPATIAL_PROFILE_DATA for pixel (%d, %d) of channel %d", x, y, last), func(p []byte) bool {
			var m icd.SpatialProfileData
			return proto.Unmarshal(p, &m) == nil && m.X == int32(x) && m.Y == int32(y) && m.Channel == int32(last)
		}, uiTimeout)
	var m icd.SpatialProfileData
	_ = proto.Unmarshal(prof, &m)
	want := pixelValue(t, filepath.Join(root, sampleCube), x, y, last)
	if math.Abs(float64(m.Value)-want) > 1e-6*math.Abs(want) {
		t.Errorf("SPATIAL_PROFILE_DATA has value %g at pixel (%d, %d) of channel %d; the file has %g", m.Value, x, y, last, want)
	}
	if math.IsNaN(v) || math.Abs(v-want) > 1e-4*math.Abs(want)+1e-12 {
		t.Errorf("cursor info bar shows value %g at pixel (%d, %d) of channel %d; the file has %g", v, x, y, last, want)
	}
	b.checkHealthy()
	b.screenshot()
	b.rec.logSummary(t)
}

// zfpSample is the file of TestBrowserZFPMatchesRaw: the Small set's 2-D
// image, 64×64 pixels of sources on noise with blank (NaN) patches, so
// that both encodings' blanking is drawn too.
const zfpSample = "image-4096.fits"

// TestBrowserZFPMatchesRaw: the same view of the same file, drawn once
// from the ZFP tiles the frontend asks for (precision 11) and once from
// the uncompressed tiles of a server run with --no-tile-compression,
// looks the same: the screenshots' image views differ by a small mean
// and in few pixels. It logs the sizes of both kinds of tiles.
func TestBrowserZFPMatchesRaw(t *testing.T) {
	skipIfShort(t)
	root := smallSample(t)
	var zfp, raw tileRun
	if !t.Run("zfp", func(t *testing.T) { zfp = drawTiles(t, root, zfpSample, icd.CompressionType_ZFP) }) ||
		!t.Run("raw", func(t *testing.T) {
			raw = drawTiles(t, root, zfpSample, icd.CompressionType_NONE, "--no-tile-compression")
		}) {
		return
	}
	if zfp.img == nil || raw.img == nil {
		t.Skip("compares the zfp and raw subtests; run both")
	}
	t.Logf("ZFP tiles: %s", zfp.sizes())
	t.Logf("raw tiles: %s", raw.sizes())
	if zfp.view != raw.view {
		t.Fatalf("the image view is at %v with ZFP tiles and at %v with raw ones; the views differ", zfp.view, raw.view)
	}
	d := compareViews(zfp.img, raw.img, zfp.view)
	t.Logf("ZFP against raw, image view %v: %s", zfp.view, d)
	// Precision 11 keeps about 3 significant digits of each 4×4 block;
	// the colour map has 256 levels over the clip range, so a pixel near
	// a level boundary may land on the next one.
	if d.mean[0] >= 2 || d.mean[1] >= 2 || d.mean[2] >= 2 {
		t.Errorf("ZFP and raw renderings differ by a mean of %.3f/%.3f/%.3f of 255 (R/G/B); want < 2", d.mean[0], d.mean[1], d.mean[2])
	}
	if d.share() > 0.01 {
		t.Errorf("%.2f%% of the image view's pixels differ by more than 16 of 255 between ZFP and raw tiles; want at most 1%%", 100*d.share())
	}
}

// tileRun is what drawTiles saw.
type tileRun struct {
	img   image.Image
	view  image.Rectangle // the image view less the cursor info bar
	tiles int             // tiles received
	data  int             // their image_data and nan_encodings bytes
	msgs  int             // their RASTER_TILE_DATA messages' bytes, with the header
	raw   int             // width×height×4 of the tiles
}

func (r tileRun) sizes() string {
	n := max(1, r.tiles)
	return fmt.Sprintf("%d tile(s), %d bytes of data per tile (%d bytes per message), %.1f%% of %d bytes of float32",
		r.tiles, r.data/n, r.msgs/n, 100*float64(r.data)/float64(max(1, r.raw)), r.raw/n)
}

// drawTiles opens file in a new server (with extra flags) and browser,
// waits until its first view is drawn, checks that the frontend asked
// for ZFP at the default precision 11 and that every tile came with
// compression want, and returns the screenshot and the tiles' sizes.
func drawTiles(t *testing.T, root, file string, want icd.CompressionType, extra ...string) tileRun {
	srv := startBrowserServer(t, root, extra...)
	b := startBrowser(t, srv)
	start := time.Now()
	_, shot := openDrawn(b, file)
	t.Logf("drawn %v after navigation", time.Since(start).Round(time.Millisecond))

	for _, p := range b.rec.payloadsFrom(true, uint16(icd.EventType_ADD_REQUIRED_TILES), 0) {
		var m icd.AddRequiredTiles
		if err := proto.Unmarshal(p, &m); err != nil {
			t.Fatalf("ADD_REQUIRED_TILES: %v", err)
		}
		if m.CompressionType != icd.CompressionType_ZFP || m.CompressionQuality != 11 {
			t.Errorf("the frontend asked for tiles with %v at quality %g; want ZFP at 11", m.CompressionType, m.CompressionQuality)
		}
	}
	r := tileRun{img: shot.img}
	for _, p := range b.rec.payloadsFrom(false, uint16(icd.EventType_RASTER_TILE_DATA), 0) {
		var m icd.RasterTileData
		if err := proto.Unmarshal(p, &m); err != nil {
			t.Fatalf("RASTER_TILE_DATA: %v", err)
		}
		if m.CompressionType != want {
			t.Errorf("RASTER_TILE_DATA with compression %v (quality %g); want %v", m.CompressionType, m.CompressionQuality, want)
		}
		for _, td := range m.Tiles {
			r.tiles++
			r.data += len(td.ImageData) + len(td.NanEncodings)
			r.raw += 4 * int(td.Width) * int(td.Height)
			t.Logf("tile layer %d (%d, %d), %d×%d: %v quality %g, %d bytes of data, %d of NaN runs",
				td.Layer, td.X, td.Y, td.Width, td.Height, m.CompressionType, m.CompressionQuality, len(td.ImageData), len(td.NanEncodings))
		}
		r.msgs += 8 + len(p)
	}
	if r.tiles == 0 {
		b.fail("no tiles in the RASTER_TILE_DATA messages")
	}
	// Leave out the cursor info bar, however many lines it has: its text
	// may differ between the runs ("Value: ... *" until the value arrives).
	view := imageView(b)
	inset := float64(infoBarHeight)
	if bar := evalJS[*rect](b, `(() => { const e = document.querySelector('[data-testid="viewer-cursor-info-bar"]');
		if (!e) return null; const r = e.getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`); bar != nil {
		inset = max(inset, bar.Y+bar.H-view.Y)
	}
	r.view = shotRect(b, view, shot.img.Bounds().Dx(), inset)
	if r.view.Dy() < shot.view.Dy()/2 {
		b.fail("the cursor info bar covers %v of the image view %v", inset, view)
	}
	b.checkHealthy()
	b.saveShot("", shot.png)
	return r
}

// Timeouts for a page and a server sharing two CPUs with the other tests
// (Chromium renders WebGL in software); alone they need a tenth of them.
const (
	// How long a click or a mouse move may take to reach the server, and
	// its answer to come back.
	uiTimeout = 15 * time.Second
	// How long opening a file may take to bring its answers and tiles.
	serverTimeout = 30 * time.Second
	// How long the frontend may take to draw the tiles it accepted.
	drawTimeout = 15 * time.Second
)

// waitTileGroup waits until the frontend reports, with
// CHANNEL_MAP_FLOW_CONTROL, that it accepted a whole tile group of channel.
func waitTileGroup(b *browser, channel int) {
	b.t.Helper()
	b.waitMessage(true, uint16(icd.EventType_CHANNEL_MAP_FLOW_CONTROL),
		fmt.Sprintf("CHANNEL_MAP_FLOW_CONTROL for channel %d", channel), func(p []byte) bool {
			var m icd.ChannelMapFlowControl
			return proto.Unmarshal(p, &m) == nil && m.ReceivedChannel == int32(channel)
		}, serverTimeout)
}

// imageView is the box of the image view's raster canvas.
func imageView(b *browser) rect {
	b.t.Helper()
	return elementRect(b, "#raster-canvas")
}

// infoBarHeight is the height, in CSS pixels, of the cursor info bar at
// the top of the image view, whose text changes with the channel.
const infoBarHeight = 30

// viewShot is a screenshot and the image view's place in it.
type viewShot struct {
	png  []byte
	img  image.Image
	view image.Rectangle // the raster canvas less the cursor info bar
}

// captureView takes a screenshot and finds the image view in it.
func (b *browser) captureView() viewShot {
	b.t.Helper()
	r := imageView(b)
	shot := b.capture()
	img := decodePNG(b.t, shot)
	return viewShot{png: shot, img: img, view: shotRect(b, r, img.Bounds().Dx(), infoBarHeight)}
}

// waitDrawn takes screenshots until the image view has many colours (the
// colour-mapped image, not the empty background) and stays the same, in
// place and pixels, over two screenshots; it returns the last. The first
// image of a page is fitted to the view once more (fitFirstImage).
func (b *browser) waitDrawn(timeout time.Duration) viewShot {
	b.t.Helper()
	s := b.waitDrawnOnce(timeout)
	if b.fitted {
		return s
	}
	b.fitted = true
	return b.fitFirstImage(timeout)
}

func (b *browser) waitDrawnOnce(timeout time.Duration) viewShot {
	b.t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	refitted := false
	var prev *viewShot
	for {
		s := b.captureView()
		n := distinctColours(s.img, s.view)
		if n < 50 && !refitted && time.Since(start) > refitAfter {
			zoom := b.fitZoom()
			refitted = zoom != ""
			b.t.Logf("image view has %d colours %v after the tiles arrived; fitted the image again: zoom %s", n, refitAfter, zoom)
			deadline = time.Now().Add(timeout)
		}
		settled := prev != nil && prev.view == s.view && n >= 50
		if settled {
			changed, _ := differing(prev.img, s.img, s.view)
			settled = changed == 0
		}
		if settled {
			b.t.Logf("image view %v has %d distinct colours", s.view, n)
			return s
		}
		if time.Now().After(deadline) {
			b.saveShot("-blank", s.png)
			b.fail("the image view %v has %d distinct colours %v after the tiles arrived, or is still changing; the image was not drawn",
				s.view, n, timeout)
		}
		prev = &s
		time.Sleep(200 * time.Millisecond)
	}
}

// refitAfter is how long waitDrawn waits for an image before it fits
// the image to the view again.
const refitAfter = 5 * time.Second

// fitFirstImage fits the first image of a page to the view again once it
// is drawn, waits for the tiles that asks for and for the view to settle.
//
// Frontend 6.0.0 fits a new image to the view's size as last measured.
// When the page's main thread is slow (software WebGL on a loaded
// machine) the first image can come before the view was measured: it is
// then drawn a pixel wide, or at a zoom a little off the fit. The last
// landed server shows the same, so it is the frontend's race, not ours.
// Fitting again, as a user would with the zoom-to-fit button, brings
// every run to the same view, which tests comparing two runs (ZFP against raw, before and
// after a restart) need; the tiles for that view still come from us.
func (b *browser) fitFirstImage(timeout time.Duration) viewShot {
	b.t.Helper()
	asked := b.rec.frames(true, uint16(icd.EventType_ADD_REQUIRED_TILES))
	synced := b.rec.frames(false, uint16(icd.EventType_RASTER_TILE_SYNC))
	zoom := b.fitZoom()
	if zoom == "" {
		b.fail("the frontend has no active image to fit")
	}
	b.t.Logf("first image fitted to the view: zoom %s", zoom)
	for wait := time.Now().Add(2 * time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
		if b.rec.frames(true, uint16(icd.EventType_ADD_REQUIRED_TILES)) > asked {
			// A group is a start and an end sync.
			b.waitFrame(false, uint16(icd.EventType_RASTER_TILE_SYNC), synced+2, serverTimeout)
			break
		}
	}
	return b.waitDrawnOnce(timeout)
}

// fitZoom fits the active image to the view through the frontend's
// store (window.app) and returns "old -> new zoom in W×H", or "" without
// an image. Not the view's zoom-to-fit button: it also animates the
// region layer's stage, and two presses in a row were seen to leave two
// different views, which tests comparing runs cannot use.
func (b *browser) fitZoom() string {
	b.t.Helper()
	return evalJS[string](b, `(() => { const f = window.app && window.app.activeFrame; if (!f) return ""; const z = f.zoomLevel; f.fitZoom(); return z + " -> " + f.zoomLevel + " in " + f.renderWidth + "x" + f.renderHeight; })()`)
}

// waitChanged takes screenshots until the image view, in the same place
// as in before, differs from it over at least a tenth of its area and is
// still drawn; it returns the last.
func (b *browser) waitChanged(before viewShot, timeout time.Duration) viewShot {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := b.captureView()
		changed, total := differing(before.img, s.img, s.view)
		colours := distinctColours(s.img, s.view)
		if s.view == before.view && changed*10 >= total && colours >= 50 {
			b.t.Logf("image view: %d of %d pixels changed, %d distinct colours", changed, total, colours)
			return s
		}
		if time.Now().After(deadline) {
			b.saveShot("-unchanged", s.png)
			b.fail("the image view (%v, was %v): only %d of %d pixels changed (%d distinct colours) %v after the new channel's tiles arrived",
				s.view, before.view, changed, total, colours, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func decodePNG(t *testing.T, shot []byte) image.Image {
	t.Helper()
	if shot == nil {
		t.FailNow() // capture has reported why
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("decoding screenshot: %v", err)
	}
	return img
}

// distinctColours counts the colours in a rectangle of an image, on
// every second pixel of every second row.
func distinctColours(img image.Image, r image.Rectangle) int {
	seen := map[[3]uint32]bool{}
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = true
		}
	}
	return len(seen)
}

// differing counts the pixels of a rectangle whose colour differs between
// two images by more than 16 of 255 in some component.
func differing(a, b image.Image, r image.Rectangle) (changed, total int) {
	r = r.Intersect(a.Bounds()).Intersect(b.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if absDiff(ar, br) > 16<<8 || absDiff(ag, bg) > 16<<8 || absDiff(ab, bb) > 16<<8 {
				changed++
			}
			total++
		}
	}
	return changed, total
}

// viewDiff compares two screenshots over one rectangle.
type viewDiff struct {
	pixels  int        // pixels compared
	mean    [3]float64 // mean absolute difference of R, G and B, of 255
	max     [3]int     // largest absolute difference of R, G and B
	changed int        // pixels that differ at all
	over    int        // pixels that differ by more than 16 of 255 in some component
}

// share is the fraction of pixels that differ by more than 16 of 255.
func (d viewDiff) share() float64 {
	if d.pixels == 0 {
		return 1
	}
	return float64(d.over) / float64(d.pixels)
}

func (d viewDiff) String() string {
	return fmt.Sprintf("%d pixels; mean |diff| R %.3f G %.3f B %.3f of 255, max %v; %d (%.2f%%) differ at all, %d (%.2f%%) by more than 16",
		d.pixels, d.mean[0], d.mean[1], d.mean[2], d.max, d.changed, 100*float64(d.changed)/float64(max(1, d.pixels)), d.over, 100*d.share())
}

// compareViews compares two images pixel by pixel over r.
func compareViews(a, b image.Image, r image.Rectangle) viewDiff {
	var d viewDiff
	var sum [3]int
	r = r.Intersect(a.Bounds()).Intersect(b.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			diffs := [3]int{int(absDiff(ar, br) >> 8), int(absDiff(ag, bg) >> 8), int(absDiff(ab, bb) >> 8)}
			changed, over := false, false
			for i, v := range diffs {
				sum[i] += v
				d.max[i] = max(d.max[i], v)
				changed = changed || v > 0
				over = over || v > 16
			}
			if changed {
				d.changed++
			}
			if over {
				d.over++
			}
			d.pixels++
		}
	}
	for i := range sum {
		d.mean[i] = float64(sum[i]) / float64(max(1, d.pixels))
	}
	return d
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

var (
	cursorPixelRe = regexp.MustCompile(`^Image: \((-?\d+), (-?\d+)\)$`)
	cursorValueRe = regexp.MustCompile(`^Value: *(\S+)`)
)

// parseCursorInfo reads the pixel and the value from the items of the
// cursor info bar.
func parseCursorInfo(t *testing.T, items []string) (x, y int, v float64) {
	t.Helper()
	var havePixel, haveValue bool
	for _, it := range items {
		if m := cursorPixelRe.FindStringSubmatch(it); m != nil {
			x, _ = strconv.Atoi(m[1])
			y, _ = strconv.Atoi(m[2])
			havePixel = true
		}
		if m := cursorValueRe.FindStringSubmatch(it); m != nil {
			if m[1] == "NaN" {
				t.Fatalf("cursor info bar shows the value NaN: %q", items)
			}
			f, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				t.Fatalf("cursor info bar value %q: %v", it, err)
			}
			v, haveValue = f, true
		}
	}
	if !havePixel || !haveValue {
		t.Fatalf("cursor info bar has no \"Image: (x, y)\" or no \"Value: v\" item: %q", items)
	}
	return x, y, v
}

// waitCursorBar waits until the cursor info bar shows the server's value
// for the pixel under the mouse and has not changed for a second, and
// returns its items.
func waitCursorBar(b *browser) []string {
	b.t.Helper()
	items := pollJS[[]string](b, "the cursor info bar to show the server's value and settle", `(() => {
		const items = Array.from(document.querySelectorAll('[data-testid="viewer-cursor-info-bar"] .cursor-info-item'))
			.map(e => e.innerText.replace(/[;\s]+$/, ''));
		const key = items.join('|'), now = performance.now();
		if (window.cartagoTestBar !== key) { window.cartagoTestBar = key; window.cartagoTestBarSince = now; return null; }
		return now - window.cartagoTestBarSince >= 1000 && items.some(s => s.startsWith('Value:') && !s.endsWith('*')) ? items : null })()`, uiTimeout)
	b.t.Logf("cursor info bar: %q", items)
	return items
}

// firstImage opens a FITS file's first image; the file closes when the
// test ends.
func firstImage(t *testing.T, path string) (*fits.Image, *fits.Header) {
	t.Helper()
	f, err := fits.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	hdu := f.HDUs()[0]
	im, err := f.Image(hdu.Key())
	if err != nil {
		t.Fatal(err)
	}
	return im, hdu.Header
}

// plane reads one channel and Stokes of an image.
func plane(t *testing.T, im *fits.Image, channel, stokes int) imaging.Plane {
	t.Helper()
	p, err := im.Plane(channel, stokes)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// openDrawn opens file from the browser's URL and waits until the
// server acknowledged it and its first view is drawn.
func openDrawn(b *browser, file string) (*icd.OpenFileAck, viewShot) {
	b.t.Helper()
	b.open("&file=" + file)
	p := b.waitMessage(false, ev(icd.EventType_OPEN_FILE_ACK), "a successful OPEN_FILE_ACK", func(p []byte) bool {
		var m icd.OpenFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	var ack icd.OpenFileAck
	_ = proto.Unmarshal(p, &ack)
	waitTileGroup(b, 0)
	// The first drawing comes while Chromium is busiest.
	return &ack, b.waitDrawn(serverTimeout)
}

// cubeChannels is the number of channels of a cube file.
func cubeChannels(t *testing.T, path string) int {
	t.Helper()
	im, _ := firstImage(t, path)
	if im.Layout.Depth < 2 {
		t.Fatalf("%s has %d channel(s), want a cube", path, im.Layout.Depth)
	}
	return im.Layout.Depth
}

// pixelValue reads one pixel of the first HDU of a FITS file.
func pixelValue(t *testing.T, path string, x, y, channel int) float64 {
	t.Helper()
	im, _ := firstImage(t, path)
	p := plane(t, im, channel, 0)
	if x < 0 || y < 0 || x >= p.Width || y >= p.Height {
		t.Fatalf("pixel (%d, %d) is outside the %d×%d image", x, y, p.Width, p.Height)
	}
	return float64(p.At(x, y))
}
