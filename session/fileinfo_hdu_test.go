package session

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"cartago/icd"
	"cartago/imaging/sample"
)

// requestInfo sends FILE_INFO_REQUEST and returns the response.
func requestInfo(t *testing.T, c *pipe, req uint32, file, hdu string) *icd.FileInfoResponse {
	t.Helper()
	sendMsg(t, c, icd.EventType_FILE_INFO_REQUEST, 30, req, &icd.FileInfoRequest{Directory: ".", File: file, Hdu: hdu})
	var resp icd.FileInfoResponse
	recv(t, c, icd.EventType_FILE_INFO_RESPONSE, req, &resp)
	if !resp.Success {
		t.Fatalf("FILE_INFO %s %q: %s", file, hdu, resp.Message)
	}
	return &resp
}

func entryText(es []*icd.HeaderEntry) string {
	var b strings.Builder
	for i, e := range es {
		fmt.Fprintf(&b, "%2d %s = %s\n", i, e.Name, e.Value)
	}
	return b.String()
}

// multiHDUClient serves the sample set, whose multi-hdu.fits has an
// empty primary HDU and the image extensions 1 (SCI) and 2 (ERR).
func multiHDUClient(t *testing.T) *pipe {
	t.Helper()
	dir := t.TempDir()
	must(t, sample.Generate(t.Context(), dir, sample.Options{Small: true}))
	return folderPipe(t, dir)
}

// FILE_INFO of a multi-HDU file keys file_info_extended by the bare HDU
// number, whether the request names no HDU (every image HDU is
// described) or one, in either form, as the reference does
// (CARTAvis/carta-backend src/FileList/FileExtInfoLoader.cc:69-76 strips
// "N: EXTNAME" to N before keying). HDU_list holds the same numbers.
// Frontend 6.0.0 labels each key "N: EXTNAME" itself from computed entry
// 2 ("Extension name") and sends the key back as OPEN_FILE.hdu; with
// "1: SCI" keys it showed "1: SCI: SCI".
func TestFileInfoHDUNumbers(t *testing.T) {
	c := multiHDUClient(t)
	for i, tc := range []struct {
		hdu  string
		want []string
	}{
		{"", []string{"1", "2"}},
		{"2", []string{"2"}},
		// The reference keys an explicit request by the text it got
		// (src/Session/Session.cc:205); we key every request by the
		// number, so that a client finds the key it would get for "".
		{"2: ERR", []string{"2"}},
	} {
		resp := requestInfo(t, c, uint32(20+i), "multi-hdu.fits", tc.hdu)
		keys := slices.Sorted(maps.Keys(resp.FileInfoExtended))
		if !slices.Equal(keys, tc.want) || !slices.Equal(resp.FileInfo.HDUList, tc.want) {
			t.Errorf("hdu %q: keys %q, HDU_list %q, want %q", tc.hdu, keys, resp.FileInfo.HDUList, tc.want)
		}
		for _, k := range keys {
			es := resp.FileInfoExtended[k].ComputedEntries
			want := map[string]string{"1": "SCI", "2": "ERR"}[k]
			if len(es) < 3 || es[1].Name != "HDU" || es[1].Value != k || es[2].Name != "Extension name" || es[2].Value != want {
				t.Errorf("hdu %q key %s: entries %s", tc.hdu, k, entryText(es))
			}
		}
	}
}

// OPEN_FILE accepts the HDU as a bare number, as "N: EXTNAME" (the form
// older cartago sent and older snapshots hold) and as "" (the first
// image HDU); the ack's HDU_list holds the number it opened.
func TestOpenFileHDUForms(t *testing.T) {
	c := multiHDUClient(t)
	for i, tc := range []struct{ hdu, want string }{{"2", "2"}, {"1: SCI", "1"}, {"", "1"}} {
		id := int32(i)
		sendMsg(t, c, icd.EventType_OPEN_FILE, 30, uint32(30+i), &icd.OpenFile{Directory: ".", File: "multi-hdu.fits", Hdu: tc.hdu, FileId: id})
		var ack icd.OpenFileAck
		// skipTo: the previous file's image histogram may still follow.
		skipTo(t, c, icd.EventType_OPEN_FILE_ACK, &ack)
		if !ack.Success || !slices.Equal(ack.FileInfo.HDUList, []string{tc.want}) {
			t.Fatalf("open hdu %q: success %v %q, HDU_list %q", tc.hdu, ack.Success, ack.Message, ack.FileInfo.GetHDUList())
		}
		if es := ack.FileInfoExtended.ComputedEntries; es[1].Value != tc.want {
			t.Errorf("open hdu %q: entries %s", tc.hdu, entryText(es))
		}
		if f := c.client.session.frame(id); f == nil || f.hdu != tc.want {
			t.Errorf("open hdu %q: frame %+v", tc.hdu, f)
		}
		drainToPong(t, c)
	}
}

// RESUME_SESSION with an HDU in the old "N: EXTNAME" form reopens that
// HDU; the session then stores the number.
func TestResumeOldHDUName(t *testing.T) {
	c := multiHDUClient(t)
	sendMsg(t, c, icd.EventType_RESUME_SESSION, 30, 40, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: "multi-hdu.fits", Hdu: "2: ERR", FileId: 3},
	}})
	var ack icd.ResumeSessionAck
	skipTo(t, c, icd.EventType_RESUME_SESSION_ACK, &ack)
	if !ack.Success {
		t.Fatalf("resume: %s", ack.Message)
	}
	f := c.client.session.frame(3)
	if f == nil || f.hdu != "2" || f.img.HDU.ExtName != "ERR" {
		t.Fatalf("resumed frame %+v", f)
	}
	if img := c.client.session.imageSnapshot(f); img.Hdu != "2" {
		t.Errorf("snapshot hdu %q, want 2", img.Hdu)
	}
}
