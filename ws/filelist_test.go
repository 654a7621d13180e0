package ws

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cartago/icd"
	"cartago/session"
)

// fitsHeaderOnly is a minimal valid FITS primary header with no data.
func fitsHeaderOnly() []byte {
	var b bytes.Buffer
	for _, card := range []string{"SIMPLE  =                    T", "BITPIX  =                  -32", "NAXIS   =                    0", "END"} {
		fmt.Fprintf(&b, "%-80s", card)
	}
	for b.Len()%2880 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes()
}

func gzipped(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	must(t, zw.Close())
	return b.Bytes()
}

// startImageServer serves a root folder with a few files and folders.
func startImageServer(t *testing.T) (*testServer, string) {
	t.Helper()
	top := t.TempDir()
	root := filepath.Join(top, "root")
	must(t, os.MkdirAll(filepath.Join(root, "sub", "deeper"), 0o755))
	must(t, os.MkdirAll(filepath.Join(root, ".hidden"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "b.fits"), fitsHeaderOnly(), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "a-image.fit.gz"), gzipped(t, fitsHeaderOnly()), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "notes.fits"), []byte("this is not FITS"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "sub", "c.fits"), fitsHeaderOnly(), 0o644))
	must(t, os.WriteFile(filepath.Join(top, "outside.fits"), fitsHeaderOnly(), 0o644))
	must(t, os.Symlink(filepath.Join(top, "outside.fits"), filepath.Join(root, "leak.fits")))
	folder, err := session.NewFolder(root, "")
	must(t, err)
	return startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder}), root
}

func TestFileList(t *testing.T) {
	ts, _ := startImageServer(t)
	c := ts.dial(t, testToken)
	register(t, c, 0)

	sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, 30, 2, &icd.FileListRequest{Directory: "$BASE"})
	var resp icd.FileListResponse
	recv(t, c, icd.EventType_FILE_LIST_RESPONSE, 2, &resp)
	if !resp.Success || resp.Directory != "." || resp.Parent != "" {
		t.Fatalf("top listing: %+v", &resp)
	}
	var names []string
	for _, f := range resp.Files {
		names = append(names, f.Name)
		if f.Type != icd.FileType_FITS || f.Size <= 0 || f.Date == 0 || len(f.HDUList) != 1 {
			t.Errorf("file %+v", f)
		}
	}
	if got := strings.Join(names, ","); got != "a-image.fit.gz,b.fits" {
		t.Errorf("files = %s, want the two FITS files by content, sorted", got)
	}
	if len(resp.Subdirectories) != 1 || resp.Subdirectories[0].Name != "sub" || resp.Subdirectories[0].ItemCount != 2 {
		t.Errorf("subdirectories = %v", resp.Subdirectories)
	}

	sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, 30, 3, &icd.FileListRequest{Directory: "/sub/deeper"})
	recv(t, c, icd.EventType_FILE_LIST_RESPONSE, 3, &resp)
	if !resp.Success || resp.Directory != "sub/deeper" || resp.Parent != "sub" {
		t.Fatalf("breadcrumb listing: %+v", &resp)
	}

	for i, bad := range []string{"..", "sub/../../", "missing"} {
		req := uint32(10 + i)
		sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, 30, req, &icd.FileListRequest{Directory: bad})
		recv(t, c, icd.EventType_FILE_LIST_RESPONSE, req, &resp)
		if resp.Success || resp.Message == "" || resp.Directory != bad {
			t.Errorf("%q: %+v, want failure with a message", bad, &resp)
		}
	}
}

func TestRegionAndCatalogListsShowFolders(t *testing.T) {
	ts, _ := startImageServer(t)
	c := ts.dial(t, testToken)
	register(t, c, 0)
	sendMsg(t, c, icd.EventType_REGION_LIST_REQUEST, 30, 2, &icd.RegionListRequest{Directory: "sub"})
	var regions icd.RegionListResponse
	recv(t, c, icd.EventType_REGION_LIST_RESPONSE, 2, &regions)
	if !regions.Success || regions.Directory != "sub" || regions.Parent != "." || len(regions.Subdirectories) != 1 || len(regions.Files) != 0 {
		t.Errorf("region list %+v", &regions)
	}
	sendMsg(t, c, icd.EventType_CATALOG_LIST_REQUEST, 30, 3, &icd.CatalogListRequest{Directory: ""})
	var cats icd.CatalogListResponse
	recv(t, c, icd.EventType_CATALOG_LIST_RESPONSE, 3, &cats)
	if !cats.Success || cats.Directory != "." || len(cats.Subdirectories) != 1 {
		t.Errorf("catalog list %+v", &cats)
	}
}
