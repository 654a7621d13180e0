package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"cartago/icd"
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

// TestBrowserShowsImage: the frontend opens a sample cube given in the
// URL, receives and accepts its tiles, and draws them.
func TestBrowserShowsImage(t *testing.T) {
	root := t.TempDir()
	if err := sample.Generate(context.Background(), root, sample.Options{Small: true}); err != nil {
		t.Fatal(err)
	}
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("&file=" + filepath.Base("cube-512x512x200.fits"))
	b.waitFrame(false, uint16(icd.EventType_OPEN_FILE_ACK), 1, 20*time.Second)
	b.waitFrame(false, uint16(icd.EventType_REGION_HISTOGRAM_DATA), 1, 20*time.Second)
	b.waitFrame(false, uint16(icd.EventType_RASTER_TILE_DATA), 1, 20*time.Second)
	// The frontend sends this after it accepted a whole tile group.
	b.waitFrame(true, uint16(icd.EventType_CHANNEL_MAP_FLOW_CONTROL), 1, 20*time.Second)
	time.Sleep(browserSettle) // tiles are decoded and drawn asynchronously
	b.checkHealthy()
	shot := b.screenshot()
	b.rec.logSummary(t)
	if n := distinctColours(t, shot); n < 50 {
		t.Errorf("screenshot has only %d distinct colours in the image view; the image was not drawn", n)
	}
}

// distinctColours counts colours in the middle of the page, where the
// image view sits in the default layout.
func distinctColours(t *testing.T, shot []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("decoding screenshot: %v", err)
	}
	r := img.Bounds()
	view := image.Rect(r.Dx()/8, r.Dy()/4, r.Dx()/2, r.Dy()*3/4)
	seen := map[[3]uint32]bool{}
	for y := view.Min.Y; y < view.Max.Y; y += 2 {
		for x := view.Min.X; x < view.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = true
		}
	}
	return len(seen)
}
