// Command benchmem measures what open images cost a cartago process in
// memory and what it gives back, for issue 9 defect 2. It writes two
// images, starts `cartago serve` on loopback with a short idle timeout,
// drives it over the websocket and samples /proc/PID/status:
//
//	ids:    one session opens a 4000×4000 float32 image under -ids file
//	        ids (each open sends the image histogram, so its plane is
//	        decoded), then disconnects;
//	sparse: a session opens a sparse 20000×20000 float32 image (a 1.6 GB
//	        data unit that is a hole on disk) and disconnects.
//
// For each it prints the idle baseline, the peak RSS and RssAnon, how
// many opens succeeded (the rest were refused by the memory budget), and
// RssAnon once the idle timeout has passed and the process settled.
//
//	go run ./scripts/benchmem -bin /tmp/cartago [-ids 50] [-limit 0]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/scripts/procstat"
	"cartago/ws/wstest"
)

func main() {
	bin := flag.String("bin", "", "cartago binary to run (required)")
	ids := flag.Int("ids", 50, "file ids the 4000² image is opened under")
	limit := flag.String("limit", "", "--memory-limit passed to the server (\"\": its default)")
	idle := flag.Duration("idle", 300*time.Millisecond, "--idle-timeout passed to the server")
	only := flag.String("only", "", "run only this case (ids or sparse)")
	flag.BoolVar(&showMaps, "maps", false, "print the resident anonymous mappings left after each case")
	flag.Parse()
	if *bin == "" {
		log.Fatal("-bin is required")
	}
	dir, err := os.MkdirTemp("", "benchmem")
	check(err)
	defer os.RemoveAll(dir)
	check(writeImage(filepath.Join(dir, "img4000.fits"), 4000, 4000, false))
	check(writeImage(filepath.Join(dir, "sparse20000.fits"), 20000, 20000, true))

	fmt.Printf("%-8s %10s %10s %10s %8s %12s %12s\n", "case", "base_anon", "peak_rss", "peak_anon", "opened", "after_anon", "after_rss")
	if *only == "" || *only == "ids" {
		run("ids", *bin, dir, *limit, *idle, func(c *client) int {
			n := 0
			for id := range *ids {
				if c.open("img4000.fits", int32(id)) {
					n++
				}
			}
			return n
		})
	}
	if *only == "" || *only == "sparse" {
		run("sparse", *bin, dir, *limit, *idle, func(c *client) int {
			if c.open("sparse20000.fits", 0) {
				return 1
			}
			return 0
		})
	}
}

// run starts a server, measures its baseline, runs work in one session,
// disconnects, waits past the idle timeout and prints one line.
func run(name, bin, dir, limit string, idle time.Duration, work func(*client) int) {
	args := []string{"serve", "--host", "127.0.0.1", "--port", "0", "--no-auth", "--no-frontend",
		"--root", dir, "--db", filepath.Join(dir, name+".db"), "--idle-timeout", idle.String()}
	if limit != "" {
		args = append(args, "--memory-limit", limit)
	}
	cmd, url, err := procstat.StartServe(bin, args...)
	check(err)
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid

	time.Sleep(time.Second) // let start-up garbage settle
	base, err := procstat.ReadMem(pid)
	check(err)
	sampler := procstat.StartPeak(pid)

	c := dial(url)
	opened := work(c)
	c.conn.Close()
	peak, err := sampler.Stop()
	check(err)

	// Past the idle timeout, then until RssAnon stops falling (at most 30 s).
	time.Sleep(idle)
	after, err := procstat.Settle(pid, 30*time.Second)
	check(err)
	if showMaps {
		printAnonMaps(pid)
	}
	fmt.Printf("%-8s %10s %10s %10s %8d %12s %12s\n", name, procstat.MiB(base.Anon), procstat.MiB(peak.RSS), procstat.MiB(peak.Anon),
		opened, procstat.MiB(after.Anon), procstat.MiB(after.RSS))
}

// writeImage writes a float32 w×h image; sparse leaves the data unit a
// hole (all zeros) instead of writing values.
func writeImage(path string, w, h int, sparse bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	hdu := fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h}}
	size, err := fits.FileSize(hdu)
	if err != nil {
		return err
	}
	e := fits.NewEncoder(&holeWriter{f: f})
	if err := e.WriteHeader(hdu); err != nil {
		return err
	}
	row := make([]float32, w)
	for y := range h {
		if !sparse {
			for x := range row {
				row[x] = float32((x*7+y*13)%1000) / 10
			}
		}
		if err := e.WriteData(row); err != nil {
			return err
		}
	}
	if err := e.Close(); err != nil {
		return err
	}
	return f.Truncate(size) // a trailing hole is not written by seeking alone
}

// holeWriter seeks over all-zero writes, leaving holes in the file.
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

type client struct {
	conn *websocket.Conn
	req  uint32
}

func dial(url string) *client {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	check(err)
	cl := &client{conn: c}
	cl.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{ClientFeatureFlags: 5})
	cl.await(icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{})
	return cl
}

// open opens name under id and, when it succeeds, waits for the image
// histogram, for which the plane is decoded.
func (c *client) open(name string, id int32) bool {
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{File: name, FileId: id, Hdu: "0"})
	var ack icd.OpenFileAck
	c.await(icd.EventType_OPEN_FILE_ACK, &ack)
	if !ack.Success {
		log.Printf("open %s as %d refused: %s", name, id, ack.Message)
		return false
	}
	c.await(icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	return true
}

func (c *client) send(et icd.EventType, m proto.Message) {
	c.req++
	check(wstest.Wrap(c.conn).Send(et, c.req, m))
}

func (c *client) await(et icd.EventType, m proto.Message) {
	check(c.conn.SetReadDeadline(time.Now().Add(2 * time.Minute)))
	for {
		_, data, err := c.conn.ReadMessage()
		check(err)
		h, payload, err := icd.DecodeFrame(data)
		if err == nil && h.Type == et {
			check(proto.Unmarshal(payload, m))
			return
		}
		if err == nil && h.Type == icd.EventType_ERROR_DATA {
			var e icd.ErrorData
			_ = proto.Unmarshal(payload, &e)
			log.Printf("ERROR_DATA: %s", e.Message)
		}
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

var showMaps bool

// printAnonMaps lists the mappings of pid with more than 256 kB of
// anonymous resident memory: what a settled process still holds.
func printAnonMaps(pid int) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	check(err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	var head string
	for sc.Scan() {
		line := sc.Text()
		if fields := strings.Fields(line); len(fields) > 0 && !strings.HasSuffix(fields[0], ":") {
			head = line
			continue
		}
		if v, ok := strings.CutPrefix(line, "Anonymous:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if kb > 256 {
				fmt.Printf("    %6d kB anon  %s\n", kb, head)
			}
		}
	}
}
