package ws

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gorilla/websocket"

	"cartago/icd"
	"cartago/session"
)

// fifoServer serves a root holding a real FIFO next to a FITS file. The
// FIFO is opened for writing at cleanup so that a read stuck on it (the
// old behaviour) ends and the test binary can finish.
func fifoServer(t *testing.T) *websocket.Conn {
	t.Helper()
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "b.fits"), fitsHeaderOnly(), 0o644))
	pipe := filepath.Join(root, "x.fits")
	must(t, syscall.Mkfifo(pipe, 0o644))
	must(t, os.Symlink("x.fits", filepath.Join(root, "link.fits")))
	must(t, os.Symlink("/dev/zero", filepath.Join(root, "zero.fits")))
	t.Cleanup(func() {
		if w, err := os.OpenFile(pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	})
	folder, err := session.NewFolder(root, "")
	must(t, err)
	ts := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder})
	c := ts.dial(t, testToken)
	register(t, c, 0)
	return c
}

// TestFIFOIsRefusedNotOpened: file info, open and listings of (or in) a
// FIFO answer at once with a clear message; opening a FIFO used to wait
// for a writer forever, hanging the connection.
func TestFIFOIsRefusedNotOpened(t *testing.T) {
	c := fifoServer(t)
	const notRegular = "x.fits is not a regular file (named pipe)"
	for i, name := range []string{"x.fits", "link.fits"} {
		req := uint32(10 + i)
		sendMsg(t, c, icd.EventType_FILE_INFO_REQUEST, 30, req, &icd.FileInfoRequest{Directory: ".", File: name})
		var info icd.FileInfoResponse
		recv(t, c, icd.EventType_FILE_INFO_RESPONSE, req, &info)
		if want := strings.Replace(notRegular, "x.fits", name, 1); info.Success || info.Message != want {
			t.Errorf("file info of %s: %+v, want failure %q", name, &info, want)
		}
	}
	sendMsg(t, c, icd.EventType_FILE_INFO_REQUEST, 30, 12, &icd.FileInfoRequest{Directory: ".", File: "zero.fits"})
	var zero icd.FileInfoResponse
	recv(t, c, icd.EventType_FILE_INFO_RESPONSE, 12, &zero)
	if zero.Success || !strings.Contains(zero.Message, "outside the top-level folder") {
		t.Errorf("file info of a link to /dev/zero: %+v", &zero)
	}
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 20, &icd.OpenFile{Directory: ".", File: "x.fits", FileId: 0})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 20, &ack)
	if ack.Success || ack.Message != notRegular {
		t.Errorf("open: %+v, want failure %q", &ack, notRegular)
	}

	sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, 30, 30, &icd.FileListRequest{Directory: "."})
	var list icd.FileListResponse
	recv(t, c, icd.EventType_FILE_LIST_RESPONSE, 30, &list)
	if !list.Success || len(list.Files) != 1 || list.Files[0].Name != "b.fits" {
		t.Errorf("listing %+v, want b.fits only", &list)
	}
	sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, 30, 31, &icd.FileListRequest{Directory: "x.fits"})
	recv(t, c, icd.EventType_FILE_LIST_RESPONSE, 31, &list)
	// The reference's text (carta-backend src/FileList/FileListHandler.cc:100).
	if list.Success || list.Message != "File list failed: requested path x.fits is not a directory." {
		t.Errorf("listing the FIFO: %+v", &list)
	}
	sendMsg(t, c, icd.EventType_REGION_LIST_REQUEST, 30, 32, &icd.RegionListRequest{Directory: "link.fits"})
	var regions icd.RegionListResponse
	recv(t, c, icd.EventType_REGION_LIST_RESPONSE, 32, &regions)
	if regions.Success || !strings.Contains(regions.Message, "not a directory (named pipe)") {
		t.Errorf("region list of the FIFO: %+v", &regions)
	}
	sendMsg(t, c, icd.EventType_CATALOG_LIST_REQUEST, 30, 33, &icd.CatalogListRequest{Directory: "x.fits"})
	var cats icd.CatalogListResponse
	recv(t, c, icd.EventType_CATALOG_LIST_RESPONSE, 33, &cats)
	if cats.Success || !strings.Contains(cats.Message, "not a directory (named pipe)") {
		t.Errorf("catalog list of the FIFO: %+v", &cats)
	}
}

// TestFIFORequestsPinNoThreads: each request on a FIFO used to pin one
// OS thread in open(2) for good (10,000 ended the process). After 200
// requests the thread count must be about where it started.
func TestFIFORequestsPinNoThreads(t *testing.T) {
	c := fifoServer(t)
	before := osThreads(t)
	for i := range 200 {
		req := uint32(100 + i)
		if i%2 == 0 {
			sendMsg(t, c, icd.EventType_FILE_INFO_REQUEST, 30, req, &icd.FileInfoRequest{Directory: ".", File: "x.fits"})
			recv(t, c, icd.EventType_FILE_INFO_RESPONSE, req, &icd.FileInfoResponse{})
		} else {
			sendMsg(t, c, icd.EventType_OPEN_FILE, 30, req, &icd.OpenFile{Directory: ".", File: "link.fits", FileId: 1})
			recv(t, c, icd.EventType_OPEN_FILE_ACK, req, &icd.OpenFileAck{})
		}
	}
	// Slack for threads the runtime starts on its own (GC, sysmon).
	after := osThreads(t)
	if after > before+20 {
		t.Fatalf("threads went from %d to %d over 200 requests", before, after)
	}
	t.Logf("threads: %d before, %d after 200 requests", before, after)
}

// osThreads reads this process's thread count (the server runs in it).
func osThreads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			must(t, err)
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}
