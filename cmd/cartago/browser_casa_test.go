package main

import (
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/casa/casatest"
)

// TestBrowserCasaImage: the real frontend lists a CASA image as a file,
// shows its File Information (the entries astropy computes for the FITS
// file it was made of, but its name) and loads it: the image's tiles
// arrive and the page stays healthy.
func TestBrowserCasaImage(t *testing.T) {
	skipIfShort(t)
	root := smallSample(t)
	const image = "cube.im"
	casatest.Convert(t, filepath.Join(root, sampleCube), filepath.Join(root, image), "--endian", "big")
	want := astropyEntries(t, filepath.Join(root, sampleCube))
	for i := range want {
		if want[i][0] == "Name" {
			want[i][1] = image
		}
	}
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("")
	b.waitMessage(false, uint16(icd.EventType_FILE_LIST_RESPONSE), "a file list with "+image+" as a CASA file", func(p []byte) bool {
		var m icd.FileListResponse
		if proto.Unmarshal(p, &m) != nil {
			return false
		}
		for _, f := range m.Files {
			if f.Name == image && f.Type == icd.FileType_CASA {
				return true
			}
		}
		return false
	}, serverTimeout)

	b.clickUntilSent("the image "+image+" in the file browser",
		`.file-list .filename-cell[title="`+image+`"] .cell-text`, ev(icd.EventType_FILE_INFO_REQUEST), uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_FILE_INFO_RESPONSE), "a successful FILE_INFO_RESPONSE for "+image, func(p []byte) bool {
		var m icd.FileInfoResponse
		return proto.Unmarshal(p, &m) == nil && m.Success && m.FileInfo.GetName() == image
	}, serverTimeout)
	shown, shot := readInfoEntries(b, ".file-info-pane")
	b.saveShot("-info", shot)
	compareEntries(t, "file browser", shown, want)

	b.clickUntilSent("the file browser's Load button",
		`//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Load" and not(@disabled)]`, ev(icd.EventType_OPEN_FILE), uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_OPEN_FILE_ACK), "a successful OPEN_FILE_ACK", func(p []byte) bool {
		var m icd.OpenFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success && m.FileInfo.GetType() == icd.FileType_CASA
	}, serverTimeout)
	b.waitFrame(false, uint16(icd.EventType_RASTER_TILE_DATA), 1, serverTimeout)
	pollJS[bool](b, "the file browser to close", `!document.querySelector('.file-list')`, uiTimeout)
	b.saveShot("-loaded", b.capture())
	b.checkHealthy()
	b.rec.logSummary(t)
}
