package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/fits"
	"cartago/scripts/procstat"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "512MiB": 512 << 20, "8GiB": 8 << 30, "1.5 GiB": 3 << 29, "2GB": 2e9, "10KB": 1e4, "7B": 7,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1GiB", "8 potatoes", "1e30TiB", "NaN"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestNewBudgetSetsTheSoftLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	if mem := newBudget(8 << 30); mem.Stats().Limit != 8<<30 {
		t.Fatalf("budget %+v, want 8 GiB", mem.Stats())
	}
	if got := debug.SetMemoryLimit(-1); got != 9<<30 {
		t.Fatalf("soft limit %d, want the budget and an eighth (9 GiB)", got)
	}
	if newBudget(0) != nil {
		t.Fatal("--memory-limit 0 is not unlimited")
	}
	if n, err := memoryLimit(""); err != nil || n != budget.DefaultLimit() {
		t.Fatalf("default limit %d, %v", n, err)
	}
}

func TestCacheSizeDefaultsToAQuarterOfTheLimit(t *testing.T) {
	for _, c := range []struct {
		flag   string
		memory int64
		want   int64
	}{{"", 8 << 30, 2 << 30}, {"", 0, defaultUnlimitedCache}, {"0", 8 << 30, 0}, {"512MiB", 0, 512 << 20}} {
		if got, err := cacheSize(c.flag, c.memory); err != nil || got != c.want {
			t.Errorf("cacheSize(%q, %d) = %d, %v; want %d", c.flag, c.memory, got, err, c.want)
		}
	}
	if _, err := cacheSize("lots", 0); err == nil || !strings.Contains(err.Error(), "--cache-size") {
		t.Errorf("a bad --cache-size: %v", err)
	}
}

// The process-level memory test: a 4000×4000 float32 image (a 61 MiB
// plane) opened by three sessions at once under --memory-limit 150MiB:
// they share one decoded plane; a 7000×7000 image (187 MiB) is refused
// naming the flag. Once every socket has closed and the idle timeout has
// passed, RssAnon must come back to within 10% of the idle baseline plus
// memSlack (--cache-size 0 keeps nothing nobody uses).
//
// memSlack is what the Go runtime keeps for good after its heap has
// grown: arena and page-allocator metadata, free spans below a page,
// the stacks of threads started meanwhile. It grows with the peak heap:
// a bare Go program that fills and frees a 1.5 GiB slice, then calls
// debug.FreeOSMemory, goes from 0.7 to 13.5 MiB of RssAnon (3.5 MiB of
// it runtime/metrics calls metadata); here, after two 61 MiB planes,
// about 1 MiB. It is far below the planes the test frees, so the test
// still fails when one is kept.
const (
	memImage = 4000
	memSlack = 16 << 20
)

func TestProcessGivesMemoryBackAfterIdleTimeout(t *testing.T) {
	dir := t.TempDir()
	writeSparseFITS(t, filepath.Join(dir, "big.fits"), memImage, memImage)
	writeSparseFITS(t, filepath.Join(dir, "huge.fits"), 7000, 7000)
	s := startProcess(t, "--no-auth", "--no-frontend", "--root", dir, "--db", filepath.Join(dir, "s.db"),
		"--idle-timeout", "200ms", "--memory-limit", "150MiB", "--cache-size", "0")
	pid := s.cmd.Process.Pid
	base := rssAnon(t, pid)

	var opened int
	var clients []*wsClient
	for _, name := range []string{"big.fits", "big.fits", "big.fits", "huge.fits"} {
		c := dialServer(t, s.url)
		c.register(0)
		c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: name, FileId: 0})
		var ack icd.OpenFileAck
		c.await(icd.EventType_OPEN_FILE_ACK, &ack)
		switch {
		case ack.Success:
			c.await(icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}) // the plane is decoded
			opened++
		case !strings.Contains(ack.Message, "--memory-limit"):
			t.Fatalf("refusal does not name --memory-limit: %q", ack.Message)
		}
		clients = append(clients, c)
	}
	plane := int64(4 * memImage * memImage)
	held := rssAnon(t, pid)
	if opened != 3 || held < base+plane*9/10 || held > base+plane*3/2 {
		t.Fatalf("%d images opened, RssAnon %d MiB over a baseline of %d MiB; want 3 sharing 1 plane",
			opened, held>>20, base>>20)
	}
	for _, c := range clients {
		c.c.Close()
	}

	limit := base + base/10 + memSlack
	deadline := time.Now().Add(30 * time.Second)
	for {
		now := rssAnon(t, pid)
		if now <= limit {
			t.Logf("RssAnon: baseline %d MiB, with 3 images of one file %d MiB, after the idle timeout %d MiB",
				base>>20, held>>20, now>>20)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("RssAnon %d MiB 30 s after the sessions closed, want ≤ %d MiB (baseline %d MiB)",
				now>>20, limit>>20, base>>20)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeSparseFITS writes a w×h float32 image of zeros whose data unit is
// a hole in the file, so a large image costs no disk.
func writeSparseFITS(t *testing.T, path string, w, h int) {
	t.Helper()
	hdu := fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h}}
	size, err := fits.FileSize(hdu)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := fits.NewEncoder(&holeWriter{f: f})
	if err := e.WriteHeader(hdu); err != nil {
		t.Fatal(err)
	}
	row := make([]float32, w)
	for range h {
		if err := e.WriteData(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // seeking alone leaves no trailing hole
		t.Fatal(err)
	}
}

// holeWriter seeks over all-zero writes instead of writing them.
type holeWriter struct{ f *os.File }

func (h *holeWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b != 0 {
			return h.f.Write(p)
		}
	}
	_, err := h.f.Seek(int64(len(p)), io.SeekCurrent)
	return len(p), err
}

// rssAnon reads the anonymous resident memory of process pid, in bytes.
func rssAnon(t *testing.T, pid int) int64 {
	t.Helper()
	st, err := procstat.Status(pid)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := st["RssAnon"]
	if !ok {
		t.Fatalf("no RssAnon in /proc/%d/status", pid)
	}
	return n
}
