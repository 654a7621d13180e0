package ws

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"cartago/icd"
	"cartago/session"
	"cartago/ws/wstest"
)

const (
	crtfWithHeader = "#CRTFv0 CASA Region Text Format version 0\ncircle [[10pix, 20pix], 3pix]\n"
	ds9WithHeader  = "# Region file format: DS9 version 4.1\nglobal color=green\nimage\ncircle(10,20,3)\n"
)

// regionServer serves a folder with two CRTF files (one recognised by
// its first line, one only by its extension), a DS9 file, a CRTF file
// with another extension, a plain text file, a FITS image, a FIFO named
// like a region file and a subfolder.
func regionServer(t *testing.T) *wstest.T {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"a.crtf":       crtfWithHeader,
		"B.CRTF":       "box [[0pix, 0pix], [4pix, 4pix]]", // no header: by extension
		"c.reg":        ds9WithHeader,
		"exported.txt": crtfWithHeader, // by content only
		"notes.txt":    "# Region file format: none, these are notes\n",
	}
	for name, text := range files {
		must(t, os.WriteFile(filepath.Join(root, name), []byte(text), 0o644))
	}
	must(t, os.WriteFile(filepath.Join(root, "image.fits"), fitsHeaderOnly(), 0o644))
	must(t, os.Mkdir(filepath.Join(root, "sub"), 0o755))
	pipe := filepath.Join(root, "pipe.reg")
	must(t, syscall.Mkfifo(pipe, 0o644))
	t.Cleanup(func() { // end a read stuck on the FIFO, should there be one
		if w, err := os.OpenFile(pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	})
	folder, err := session.NewFolder(root, "")
	must(t, err)
	c := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder}).client(t, testToken)
	c.Register(0)
	return c
}

func listRegions(c *wstest.T, mode icd.FileListFilterMode) *icd.RegionListResponse {
	var resp icd.RegionListResponse
	c.Send(icd.EventType_REGION_LIST_REQUEST, &icd.RegionListRequest{Directory: ".", FilterMode: mode})
	c.Expect(icd.EventType_REGION_LIST_RESPONSE, &resp)
	return &resp
}

func typedNames(files []*icd.FileInfo) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name+":"+f.Type.String())
	}
	slices.Sort(out)
	return out
}

// The reference lists, in a region list, the regular files whose first
// line starts with "#CRTF" (CRTF) or "# Region file format: DS9" (DS9_REG)
// and, failing that, those named *.crtf / *.reg in any case
// (CARTAvis/carta-backend src/FileList/FileListHandler.cc:146-159,
// src/Util/File.cc:110-142 GuessRegionType, src/Util/String.h:22
// HasSuffix case-insensitive). Extension mode looks at names only;
// AllFiles lists every regular file. A FIFO is never listed
// (isRegular) nor opened. Line numbers: reference commit 66c7d752.
func TestRegionListListsRegionFiles(t *testing.T) {
	c := regionServer(t)
	cases := []struct {
		mode icd.FileListFilterMode
		want []string
	}{
		{icd.FileListFilterMode_Content, []string{"B.CRTF:CRTF", "a.crtf:CRTF", "c.reg:DS9_REG", "exported.txt:CRTF"}},
		{icd.FileListFilterMode_Extension, []string{"B.CRTF:CRTF", "a.crtf:CRTF", "c.reg:DS9_REG"}},
		{icd.FileListFilterMode_AllFiles, []string{"B.CRTF:CRTF", "a.crtf:CRTF", "c.reg:DS9_REG",
			"exported.txt:UNKNOWN", "image.fits:UNKNOWN", "notes.txt:UNKNOWN"}},
	}
	for _, tc := range cases {
		resp := listRegions(c, tc.mode)
		if got := typedNames(resp.Files); !resp.Success || !slices.Equal(got, tc.want) {
			t.Errorf("%s: success %v files %v, want %v", tc.mode, resp.Success, got, tc.want)
		}
		if len(resp.Subdirectories) != 1 || resp.Subdirectories[0].Name != "sub" {
			t.Errorf("%s: subdirectories %v", tc.mode, resp.Subdirectories)
		}
	}
	for _, f := range listRegions(c, icd.FileListFilterMode_Content).Files {
		if f.Name == "a.crtf" && (f.Size != int64(len(crtfWithHeader)) || f.Date == 0 || !slices.Equal(f.HDUList, []string{""})) {
			t.Errorf("a.crtf listed as %+v", f)
		}
	}
}

// REGION_FILE_INFO_RESPONSE carries the file's type and its lines as the
// reference reads them with getline until EOF, a trailing newline giving
// a last empty line; a file that is not a region file (or not a regular
// file) is refused with one empty line of contents
// (FileListHandler.cc:315-371).
func TestRegionFileInfoGivesTheLines(t *testing.T) {
	c := regionServer(t)
	var info icd.RegionFileInfoResponse
	c.Send(icd.EventType_REGION_FILE_INFO_REQUEST, &icd.RegionFileInfoRequest{Directory: ".", File: "c.reg"})
	c.Expect(icd.EventType_REGION_FILE_INFO_RESPONSE, &info)
	want := strings.Split(ds9WithHeader, "\n")
	if !info.Success || info.FileInfo.GetType() != icd.FileType_DS9_REG || !slices.Equal(info.Contents, want) || want[len(want)-1] != "" {
		t.Fatalf("c.reg: %+v, want DS9_REG with lines %q", &info, want)
	}
	for name, msg := range map[string]string{"notes.txt": "File notes.txt is not a region file.", "pipe.reg": "named pipe"} {
		c.Send(icd.EventType_REGION_FILE_INFO_REQUEST, &icd.RegionFileInfoRequest{Directory: ".", File: name})
		c.Expect(icd.EventType_REGION_FILE_INFO_RESPONSE, &info)
		if info.Success || !strings.Contains(info.Message, msg) || !slices.Equal(info.Contents, []string{""}) {
			t.Errorf("%s: %+v, want a refusal saying %q", name, &info, msg)
		}
	}
}
