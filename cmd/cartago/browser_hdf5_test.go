package main

import (
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// TestBrowserOpensHDF5: the real frontend's file browser lists an IDIA
// HDF5 file, fetches its file info (image "0"), loads it and draws its
// tiles like those of the FITS cube it came from.
func TestBrowserOpensHDF5(t *testing.T) {
	root := smallSample(t)
	const name = "cube.hdf5"
	idiaFile(t, root, name)
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("")
	b.waitMessage(false, uint16(icd.EventType_FILE_LIST_RESPONSE), "a file list with "+name+" as HDF5", func(p []byte) bool {
		var m icd.FileListResponse
		if proto.Unmarshal(p, &m) != nil {
			return false
		}
		for _, f := range m.Files {
			if f.Name == name && f.Type == icd.FileType_HDF5 {
				return true
			}
		}
		return false
	}, serverTimeout)
	b.clickUntilSent("the file "+name+" in the file browser",
		`.file-list .filename-cell[title="`+name+`"] .cell-text`, ev(icd.EventType_FILE_INFO_REQUEST), uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_FILE_INFO_RESPONSE), "a successful FILE_INFO_RESPONSE for "+name, func(p []byte) bool {
		var m icd.FileInfoResponse
		return proto.Unmarshal(p, &m) == nil && m.Success && m.FileInfo.GetName() == name && m.FileInfoExtended["0"] != nil
	}, uiTimeout)
	b.clickUntilSent("the file browser's Load button",
		`//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Load" and not(@disabled)]`, ev(icd.EventType_OPEN_FILE), uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_OPEN_FILE_ACK), "a successful OPEN_FILE_ACK", func(p []byte) bool {
		var m icd.OpenFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success && m.FileInfo.GetType() == icd.FileType_HDF5
	}, serverTimeout)
	b.waitFrame(false, uint16(icd.EventType_RASTER_TILE_DATA), 1, serverTimeout)
	waitTileGroup(b, 0)
	pollJS[bool](b, "the image view to be titled "+name,
		`Array.from(document.querySelectorAll('.flexlayout__tab_button_content')).some(e => e.innerText.trim() === `+strconv.Quote(name)+`)`, uiTimeout)
	shot := b.waitDrawn(drawTimeout)
	b.checkHealthy()
	b.saveShot("", shot.png)
	b.rec.logSummary(t)
}
