package main

import (
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/store"
)

// Timeouts of the resume test, for a loaded 2-core machine.
const (
	// From SIGKILL to the frontend's disconnect dialog.
	disconnectTimeout = 30 * time.Second
	// From the Retry click to RESUME_SESSION_ACK.
	resumeTimeout = 30 * time.Second
)

// TestBrowserResumesAfterKill: the frontend shows a cube at its last
// channel, with a rectangle and a point region drawn by the user and the
// cursor on it; the server dies by SIGKILL (the database then holds that
// state) and is started again on the same port and database; the user
// presses Retry in the frontend's disconnect dialog. The frontend
// registers with its old session id, the server answers RESUMED
// (restored from the database), the frontend sends RESUME_SESSION and
// gets a successful ACK with nothing left out, the "Resuming session..."
// overlay closes, and the restored image answers with the histogram and
// cursor profile of the channel chosen before the kill, the point
// region's profiles, and tiles; no ERROR_DATA. The view after equals the
// view before.
func TestBrowserResumesAfterKill(t *testing.T) {
	root := smallSample(t)
	last := cubeChannels(t, filepath.Join(root, sampleCube)) - 1
	db := filepath.Join(t.TempDir(), "s.db")
	// The frontend reconnects to the URL it was loaded from.
	port := freePort(t)
	srv := startBrowserServerDB(t, root, db, "--port", port)
	b := startBrowser(t, srv)
	id := b.open("&file=" + sampleCube)
	ack := b.waitMessage(false, ev(icd.EventType_OPEN_FILE_ACK), "a successful OPEN_FILE_ACK", func(p []byte) bool {
		var m icd.OpenFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	var opened icd.OpenFileAck
	_ = proto.Unmarshal(ack, &opened)
	fileID := opened.FileId
	waitTileGroup(b, 0)
	first := b.waitDrawn(drawTimeout)

	// State to restore: the last channel, chosen with the Animator.
	b.clickUntilShown("the Animator tab", `[data-testid="animator-0-header-title"]`, `[data-testid="animator-last-button"]`, uiTimeout)
	b.clickUntilSent("the Animator's Last button", `[data-testid="animator-last-button"]`, ev(icd.EventType_SET_IMAGE_CHANNELS), uiTimeout)
	waitChannelTiles(b, 0, last)
	b.waitChanged(first, drawTimeout)

	// Two regions: a rectangle, drawn with the mouse after a click on the
	// toolbar's rectangle button, and a point, placed with a click after
	// one on the point button. The point, created last, is the focused
	// region, so the X and Y profile widgets ask for its profiles.
	rv := imageView(b)
	cx, cy := rv.X+rv.W/2, rv.Y+rv.H/2
	b.clickUntilActive("the toolbar's rectangle region button", `[data-testid="rectangle-region-shortcut-button"]`, uiTimeout)
	rectID, _ := b.createRegion(icd.RegionType_RECTANGLE, func() { b.drag(cx-150, cy-110, cx-60, cy-40) })
	b.clickUntilActive("the toolbar's point region button", `[data-testid="point-region-shortcut-button"]`, uiTimeout)
	pointID, pointInfo := b.createRegion(icd.RegionType_POINT, func() { b.clickAt(cx+110, cy-90) })
	ptX, ptY := int32(math.Round(float64(pointInfo.ControlPoints[0].X))), int32(math.Round(float64(pointInfo.ControlPoints[0].Y)))
	b.waitMessage(false, ev(icd.EventType_SPATIAL_PROFILE_DATA),
		fmt.Sprintf("SPATIAL_PROFILE_DATA of point region %d at pixel (%d, %d)", pointID, ptX, ptY), func(p []byte) bool {
			var m icd.SpatialProfileData
			return proto.Unmarshal(p, &m) == nil && m.RegionId == pointID && m.X == ptX && m.Y == ptY && len(m.Profiles) > 0
		}, uiTimeout)

	// And the cursor, off the image centre. The mouse over the image also
	// shows the image view's toolbar, in both screenshots.
	view := imageView(b)
	px, py := view.X+view.W/2+37, view.Y+view.H/2+22
	setCursors := b.rec.frames(true, ev(icd.EventType_SET_CURSOR))
	b.moveMouse(view.X+5, view.Y+view.H-5, px, py)
	b.waitFrame(true, ev(icd.EventType_SET_CURSOR), setCursors+1, uiTimeout)
	items := waitCursorBar(b)
	x, y, _ := parseCursorInfo(t, items)
	b.waitMessage(false, ev(icd.EventType_SPATIAL_PROFILE_DATA),
		fmt.Sprintf("SPATIAL_PROFILE_DATA for pixel (%d, %d) of channel %d", x, y, last), func(p []byte) bool {
			var m icd.SpatialProfileData
			return proto.Unmarshal(p, &m) == nil && m.RegionId == 0 && m.X == int32(x) && m.Y == int32(y) && m.Channel == int32(last)
		}, uiTimeout)
	before := b.waitDrawn(drawTimeout)
	b.saveShot("-before", before.png)

	// kill -9: nothing is flushed or closed. The checkpoint interval is
	// 50 ms and the cursor bar has been still for a second.
	killed := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-srv.done
	b.waitDisconnectDialog(disconnectTimeout)
	t.Logf("disconnect dialog shown %v after SIGKILL", time.Since(killed).Round(time.Millisecond))

	// What the dead server left on disk.
	snap := storedSession(t, db, id)
	if len(snap.Images) != 1 || snap.Images[0].FileId != fileID || snap.Images[0].File != sampleCube ||
		snap.Images[0].Channel != int32(last) {
		t.Errorf("stored session %d after SIGKILL: %v; want %s as file %d at channel %d", id, snap, sampleCube, fileID, last)
	} else {
		if c := snap.Images[0].Cursor; c == nil || math.Round(float64(c.X)) != float64(x) || math.Round(float64(c.Y)) != float64(y) {
			t.Errorf("stored cursor after SIGKILL: %v; want pixel (%d, %d)", c, x, y)
		}
		regions := snap.Images[0].Regions
		if r := regions[rectID]; len(regions) != 2 || r.GetInfo().GetRegionType() != icd.RegionType_RECTANGLE ||
			regions[pointID].GetInfo().GetRegionType() != icd.RegionType_POINT {
			t.Errorf("stored regions after SIGKILL: %v; want rectangle %d and point %d", regions, rectID, pointID)
		}
	}

	// Restart: same port, database and root, so the page's URL and its
	// token (kept in the database) still work.
	restart := time.Now()
	srv2 := startBrowserServerDB(t, root, db, "--port", port)
	b.useServer(srv2)
	if srv2.url != srv.url {
		t.Errorf("restarted server's URL %s differs from the first one's %s; the page cannot reconnect", srv2.url, srv.url)
	}
	t.Logf("server restarted in %v", time.Since(restart).Round(time.Millisecond))

	// Messages of the new connection are those after these counts.
	nHist := b.rec.frames(false, ev(icd.EventType_REGION_HISTOGRAM_DATA))
	nSpatial := b.rec.frames(false, ev(icd.EventType_SPATIAL_PROFILE_DATA))
	nChannels := b.rec.frames(true, ev(icd.EventType_SET_IMAGE_CHANNELS))
	nTiles := b.rec.frames(false, ev(icd.EventType_RASTER_TILE_DATA))
	nFlow := b.rec.frames(true, ev(icd.EventType_CHANNEL_MAP_FLOW_CONTROL))
	nErrors := b.rec.frames(false, ev(icd.EventType_ERROR_DATA))

	retry := time.Now()
	clickRetry(b)
	b.waitMessage(true, ev(icd.EventType_REGISTER_VIEWER), fmt.Sprintf("REGISTER_VIEWER with the old session id %d", id), func(p []byte) bool {
		var m icd.RegisterViewer
		return proto.Unmarshal(p, &m) == nil && m.SessionId == id
	}, uiTimeout)
	reg := b.waitMessage(false, ev(icd.EventType_REGISTER_VIEWER_ACK), "a REGISTER_VIEWER_ACK of type RESUMED", func(p []byte) bool {
		var m icd.RegisterViewerAck
		return proto.Unmarshal(p, &m) == nil && m.SessionType == icd.SessionType_RESUMED
	}, resumeTimeout)
	var regAck icd.RegisterViewerAck
	_ = proto.Unmarshal(reg, &regAck)
	t.Logf("REGISTER_VIEWER_ACK: session %d, success %v, %q", regAck.SessionId, regAck.Success, regAck.Message)
	if !regAck.Success || regAck.SessionId != id {
		t.Errorf("REGISTER_VIEWER_ACK after the restart: success %v, session %d; want success and session %d", regAck.Success, regAck.SessionId, id)
	}
	if !strings.Contains(regAck.Message, "restored from the database") {
		t.Errorf("REGISTER_VIEWER_ACK message %q: the session was not taken from the database", regAck.Message)
	}

	rs := b.waitMessage(true, ev(icd.EventType_RESUME_SESSION), "RESUME_SESSION", func(p []byte) bool {
		return proto.Unmarshal(p, &icd.ResumeSession{}) == nil
	}, resumeTimeout)
	var resume icd.ResumeSession
	_ = proto.Unmarshal(rs, &resume)
	if len(resume.Images) != 1 || resume.Images[0].File != sampleCube || resume.Images[0].FileId != fileID || resume.Images[0].Channel != int32(last) {
		b.fail("RESUME_SESSION %v: want the one image %s, file id %d, channel %d", &resume, sampleCube, fileID, last)
	}
	if rr := resume.Images[0].Regions; len(rr[0].GetControlPoints()) != 1 || rr[rectID].GetRegionType() != icd.RegionType_RECTANGLE ||
		rr[pointID].GetRegionType() != icd.RegionType_POINT {
		t.Errorf("RESUME_SESSION regions %v: want the cursor (0), rectangle %d and point %d", rr, rectID, pointID)
	}
	ra := b.waitMessage(false, ev(icd.EventType_RESUME_SESSION_ACK), "RESUME_SESSION_ACK", func(p []byte) bool {
		return proto.Unmarshal(p, &icd.ResumeSessionAck{}) == nil
	}, resumeTimeout)
	var resumeAck icd.ResumeSessionAck
	_ = proto.Unmarshal(ra, &resumeAck)
	t.Logf("RESUME_SESSION_ACK %v after Retry: success %v, %q", time.Since(retry).Round(time.Millisecond), resumeAck.Success, resumeAck.Message)
	if !resumeAck.Success {
		b.fail("RESUME_SESSION_ACK success=false (%q): frontend 6.0.0 keeps its \"Resuming session...\" overlay forever", resumeAck.Message)
	}
	if strings.Contains(resumeAck.Message, "not restored") {
		t.Errorf("RESUME_SESSION_ACK: %q; want everything restored", resumeAck.Message)
	}
	// The disconnect dialog closes on Retry, the "Resuming session..."
	// overlay on the ACK, and the splash screen (shown while the socket
	// is not ACTIVE) half a second after the connect; until then their
	// backdrops take the clicks.
	pollJS[bool](b, `the disconnect dialog, the "Resuming session..." overlay and the splash screen to close`,
		`!document.querySelector('.bp6-alert') && !document.querySelector('.splash-screen') &&
		!Array.from(document.querySelectorAll('.task-progress-dialog')).some(e => e.innerText.includes('Resuming session')) &&
		!document.querySelector('.bp6-overlay-backdrop')`, uiTimeout)
	t.Logf("page usable again %v after Retry", time.Since(retry).Round(time.Millisecond))

	// The restored image is at the channel of before the kill, with the
	// cursor where it was.
	b.waitMessageFrom(false, ev(icd.EventType_REGION_HISTOGRAM_DATA), nHist,
		fmt.Sprintf("REGION_HISTOGRAM_DATA of file %d, channel %d, after the resume", fileID, last), func(p []byte) bool {
			var m icd.RegionHistogramData
			return proto.Unmarshal(p, &m) == nil && m.FileId == fileID && m.Channel == int32(last) && m.Histograms != nil
		}, uiTimeout)
	b.waitMessageFrom(false, ev(icd.EventType_SPATIAL_PROFILE_DATA), nSpatial,
		fmt.Sprintf("SPATIAL_PROFILE_DATA for pixel (%d, %d) of channel %d after the resume", x, y, last), func(p []byte) bool {
			var m icd.SpatialProfileData
			return proto.Unmarshal(p, &m) == nil && m.FileId == fileID && m.RegionId == 0 && m.X == int32(x) && m.Y == int32(y) &&
				m.Channel == int32(last)
		}, uiTimeout)
	// The restored point region: the frontend asks again for its
	// profiles (it forgets what it asked for on a resume).
	b.waitMessageFrom(false, ev(icd.EventType_SPATIAL_PROFILE_DATA), nSpatial,
		fmt.Sprintf("SPATIAL_PROFILE_DATA of point region %d at pixel (%d, %d), channel %d, after the resume", pointID, ptX, ptY, last), func(p []byte) bool {
			var m icd.SpatialProfileData
			return proto.Unmarshal(p, &m) == nil && m.FileId == fileID && m.RegionId == pointID && m.X == ptX && m.Y == ptY &&
				m.Channel == int32(last) && len(m.Profiles) > 0
		}, uiTimeout)
	pollJS[bool](b, fmt.Sprintf("the Animator's channel slider to show channel %d", last),
		fmt.Sprintf(`document.querySelector('[data-testid="animator-slider"] .bp6-slider-handle')?.getAttribute('aria-valuenow') === '%d'`, last), uiTimeout)

	// Tiles from the restored image. The cube's 32×32 pixels are one tile,
	// which the frontend keeps and never asks again on a pan or zoom, so
	// step one channel back and forth with the Animator: each step sends
	// SET_IMAGE_CHANNELS with the view's tiles (the frontend drops its
	// compressed tiles of the file on a channel change).
	b.click("the Animator's Previous button", `[data-testid="animator-previous-button"]`, uiTimeout)
	waitChannelTilesFrom(b, nChannels, nTiles, nFlow, last, last-1)
	nChannels = b.rec.frames(true, ev(icd.EventType_SET_IMAGE_CHANNELS))
	nTiles = b.rec.frames(false, ev(icd.EventType_RASTER_TILE_DATA))
	nFlow = b.rec.frames(true, ev(icd.EventType_CHANNEL_MAP_FLOW_CONTROL))
	b.click("the Animator's Next button", `[data-testid="animator-next-button"]`, uiTimeout)
	waitChannelTilesFrom(b, nChannels, nTiles, nFlow, last-1, last)
	pollJS[bool](b, fmt.Sprintf("the Animator's channel slider to show channel %d", last),
		fmt.Sprintf(`document.querySelector('[data-testid="animator-slider"] .bp6-slider-handle')?.getAttribute('aria-valuenow') === '%d'`, last), uiTimeout)

	// The mouse back to where it was before the kill. (The frontend need
	// not send SET_CURSOR: the cursor is back on the pixel it last sent.)
	next := elementRect(b, `[data-testid="animator-next-button"]`)
	b.moveMouse(next.X+next.W/2, next.Y+next.H/2, px, py)
	if x2, y2, _ := parseCursorInfo(t, waitCursorBar(b)); x2 != x || y2 != y {
		t.Errorf("the mouse is back at pixel (%d, %d), was at (%d, %d)", x2, y2, x, y)
	}
	after := b.waitDrawn(drawTimeout)
	b.saveShot("-after", after.png)
	if after.view != before.view {
		t.Errorf("the image view moved: %v before the kill, %v after the resume", before.view, after.view)
	}
	d := compareViews(before.img, after.img, before.view)
	t.Logf("before/after the kill, image view %v: %s", before.view, d)
	if d.changed*100 > d.pixels {
		t.Errorf("the view after the resume differs from the view before the kill: %s", d)
	}
	// Whatever the server reported since the Retry.
	for _, p := range b.rec.payloadsFrom(false, ev(icd.EventType_ERROR_DATA), nErrors) {
		var m icd.ErrorData
		_ = proto.Unmarshal(p, &m)
		t.Errorf("ERROR_DATA after the resume: %v", &m)
	}

	b.checkHealthyAfter(disconnectAllowance(t, b.srv.url))
	b.rec.logSummary(t)
}

// ev is the number of an event type, as the page recorder keys messages.
func ev(e icd.EventType) uint16 { return uint16(e) }

// createRegion runs draw, which makes the user create a region of type
// typ in the image view, and waits until the frontend sent it with
// SET_REGION and the server acknowledged it. It returns the region's id
// and what the frontend sent.
func (b *browser) createRegion(typ icd.RegionType, draw func()) (int32, *icd.RegionInfo) {
	b.t.Helper()
	nSet := b.rec.frames(true, ev(icd.EventType_SET_REGION))
	nAck := b.rec.frames(false, ev(icd.EventType_SET_REGION_ACK))
	draw()
	p := b.waitMessageFrom(true, ev(icd.EventType_SET_REGION), nSet, "SET_REGION of a new "+typ.String(), func(p []byte) bool {
		var m icd.SetRegion
		return proto.Unmarshal(p, &m) == nil && m.RegionId < 0 && m.RegionInfo.GetRegionType() == typ
	}, uiTimeout)
	var set icd.SetRegion
	_ = proto.Unmarshal(p, &set)
	p = b.waitMessageFrom(false, ev(icd.EventType_SET_REGION_ACK), nAck, "SET_REGION_ACK of the new "+typ.String(), func(p []byte) bool {
		return proto.Unmarshal(p, &icd.SetRegionAck{}) == nil
	}, uiTimeout)
	var ack icd.SetRegionAck
	_ = proto.Unmarshal(p, &ack)
	if !ack.Success || ack.RegionId <= 0 {
		b.fail("SET_REGION_ACK for the new %s: success %v, region %d, %q", typ, ack.Success, ack.RegionId, ack.Message)
	}
	b.t.Logf("%s region %d: %v", typ, ack.RegionId, set.RegionInfo)
	return ack.RegionId, set.RegionInfo
}

// waitDisconnectDialog waits for the frontend's modal after its socket
// closed, the one with the Retry button.
func (b *browser) waitDisconnectDialog(timeout time.Duration) {
	b.t.Helper()
	pollJS[bool](b, "the frontend's disconnect dialog", `Array.from(document.querySelectorAll('.bp6-alert'))
		.some(e => e.innerText.includes('You have been disconnected from the server'))`, timeout)
}

// waitChannelTiles waits, after an Animator click moved from channel
// from to channel to, for the frontend to ask for the channel, receive
// its tiles and accept the whole group.
func waitChannelTiles(b *browser, from, to int) {
	b.t.Helper()
	waitChannelTilesFrom(b, 0, 0, 0, from, to)
}

// waitChannelTilesFrom is waitChannelTiles over the SET_IMAGE_CHANNELS,
// RASTER_TILE_DATA and CHANNEL_MAP_FLOW_CONTROL messages from the given
// counts on.
func waitChannelTilesFrom(b *browser, channels, tiles, flows, from, to int) {
	b.t.Helper()
	b.waitMessageFrom(true, ev(icd.EventType_SET_IMAGE_CHANNELS), channels, fmt.Sprintf("SET_IMAGE_CHANNELS from channel %d to %d", from, to), func(p []byte) bool {
		var m icd.SetImageChannels
		return proto.Unmarshal(p, &m) == nil && m.Channel == int32(to)
	}, uiTimeout)
	b.waitMessageFrom(false, ev(icd.EventType_RASTER_TILE_DATA), tiles, fmt.Sprintf("RASTER_TILE_DATA of channel %d", to), func(p []byte) bool {
		var m icd.RasterTileData
		return proto.Unmarshal(p, &m) == nil && m.Channel == int32(to) && len(m.Tiles) > 0
	}, serverTimeout)
	b.waitMessageFrom(true, ev(icd.EventType_CHANNEL_MAP_FLOW_CONTROL), flows, fmt.Sprintf("CHANNEL_MAP_FLOW_CONTROL for channel %d", to), func(p []byte) bool {
		var m icd.ChannelMapFlowControl
		return proto.Unmarshal(p, &m) == nil && m.ReceivedChannel == int32(to)
	}, serverTimeout)
}

// storedSession reads a session from the database of a dead server.
func storedSession(t *testing.T, path string, id uint32) *store.Snapshot {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("session database after SIGKILL: %v", err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatalf("bbolt check after SIGKILL: %v", err)
	}
	snap, err := db.Get(id)
	if err != nil {
		t.Fatalf("session %d after SIGKILL: %v", id, err)
	}
	return snap
}

// disconnectAllowance is what a server's death does to the page, and
// nothing else: its websocket closes once; and the disconnect dialog's
// 40 px "offline" icon, which Blueprint loads from the server only when
// first shown, fails to load since the server is down (three lines: the
// failed request, Chromium's console error about it and Blueprint's).
func disconnectAllowance(t *testing.T, pageURL string) healthAllowance {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil {
		t.Fatalf("page URL %q: %v", pageURL, err)
	}
	chunk := regexp.QuoteMeta(u.Scheme+"://"+u.Host) + `/static/js/async/blueprint-icons-\d+px-paths\.[0-9a-f]+\.js`
	return healthAllowance{socketCloses: 1, errors: []*regexp.Regexp{
		regexp.MustCompile(`^request failed: GET ` + chunk + `: net::ERR_CONNECTION_REFUSED$`),
		regexp.MustCompile(`^console\.error: Failed to load resource: net::ERR_CONNECTION_REFUSED$`),
		regexp.MustCompile(`^console\.error: \[Blueprint\] Unable to load 40px icon 'offline' ChunkLoadError: Loading chunk \d+ failed\.\n\(error: ` +
			chunk + `\)(\n\s+at [^\n]*)*$`),
	}}
}

// clickRetry clicks the disconnect dialog's Retry button until the page
// reconnects: a click that lands while the dialog is still animating in
// is lost (seen on a loaded machine), and the real user would click again.
func clickRetry(b *browser) {
	b.t.Helper()
	const retryButton = `//div[contains(@class,"bp6-alert")]//button[normalize-space(.)="Retry"]`
	const dialogOpen = `document.evaluate('` + retryButton + `', document, null, XPathResult.BOOLEAN_TYPE, null).booleanValue`
	before := b.rec.frames(true, ev(icd.EventType_REGISTER_VIEWER))
	for attempt := 1; attempt <= 3; attempt++ {
		// A click already taken closes the dialog; then only wait.
		if attempt == 1 || evalJS[bool](b, dialogOpen) {
			b.click("the Retry button of the disconnect dialog", retryButton, uiTimeout)
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if b.rec.frames(true, ev(icd.EventType_REGISTER_VIEWER)) > before {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.t.Logf("no REGISTER_VIEWER 5 s after Retry attempt %d", attempt)
	}
	b.fail("the page sent no REGISTER_VIEWER after three Retry attempts")
}
