package ws

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/session"
)

// TestReferenceErrorTexts: the failure texts clients match on are the
// reference's (carta-backend), in acks and in ERROR_DATA.
func TestReferenceErrorTexts(t *testing.T) {
	c := imageClient(t)

	// FILE_INFO_RESPONSE, success=false, with GetResolvedFilename's
	// messages (src/Util/Casacore.cc:110 and 118, sent at
	// src/Session/Session.cc:320 and 436).
	for i, tc := range []struct{ dir, file, want string }{
		{".", "missing.fits", "File missing.fits does not exist."},
		{"nodir", "cube.fits", "Directory nodir does not exist."},
	} {
		req := uint32(10 + i)
		sendMsg(t, c, icd.EventType_FILE_INFO_REQUEST, 30, req, &icd.FileInfoRequest{Directory: tc.dir, File: tc.file})
		var resp icd.FileInfoResponse
		recv(t, c, icd.EventType_FILE_INFO_RESPONSE, req, &resp)
		if resp.Success || resp.Message != tc.want {
			t.Errorf("file info %s/%s: %v %q, want failure %q", tc.dir, tc.file, resp.Success, resp.Message, tc.want)
		}
	}

	// FILE_LIST_RESPONSE (src/FileList/FileListHandler.cc:88).
	sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, 30, 12, &icd.FileListRequest{Directory: "nodir"})
	var list icd.FileListResponse
	recv(t, c, icd.EventType_FILE_LIST_RESPONSE, 12, &list)
	if want := "File list failed: Directory nodir does not exist."; list.Success || list.Message != want {
		t.Errorf("file list of nodir: %v %q, want failure %q", list.Success, list.Message, want)
	}

	// START_ANIMATION_ACK for a file that is not open
	// (src/Session/Session.cc:2051).
	sendMsg(t, c, icd.EventType_START_ANIMATION, 30, 13, &icd.StartAnimation{FileId: 5, FrameRate: 5,
		FirstFrame: &icd.AnimationFrame{}, LastFrame: &icd.AnimationFrame{Channel: 2}, DeltaFrame: &icd.AnimationFrame{Channel: 1}})
	var anim icd.StartAnimationAck
	recv(t, c, icd.EventType_START_ANIMATION_ACK, 13, &anim)
	if anim.Success || anim.Message != "Incorrect file ID" {
		t.Errorf("animation of file 5: %v %q, want failure \"Incorrect file ID\"", anim.Success, anim.Message)
	}
}

// TestSpectralRequirementsOn2DImage: spectral profiles of a 2-D image
// are refused with the reference's WARNING (src/Session/Session.cc:1015-1017).
func TestSpectralRequirementsOn2DImage(t *testing.T) {
	root := t.TempDir()
	f, err := os.Create(filepath.Join(root, "flat.fits"))
	must(t, err)
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{8, 8}, Data: make([]float32, 64)}))
	must(t, f.Close())
	folder, err := session.NewFolder(root, "")
	must(t, err)
	c := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder}).dial(t, testToken)
	register(t, c, 0)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 2, &icd.OpenFile{Directory: ".", File: "flat.fits", FileId: 0})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 2, &ack)
	if !ack.Success {
		t.Fatalf("open: %+v", &ack)
	}
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 3, &icd.SetSpectralRequirements{FileId: 0, RegionId: 0,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum}}}})
	e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{})
	if e.Message != "Spectral profile not valid for 2D image." || e.Severity != icd.ErrorSeverity_WARNING || !slices.Equal(e.Tags, []string{"spectral"}) {
		t.Errorf("spectral requirements on a 2-D image: %v", e)
	}
}
