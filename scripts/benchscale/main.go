// Command benchscale measures what extra sessions cost a cartago
// process (issue 10). It writes 4096×4096 float32 images, starts
// `cartago serve` on loopback once per case and drives it over the
// websocket like frontend 6.0.0 (offering permessage-deflate): each
// session connects, registers, opens an image and asks for the fit view
// (16 ZFP tiles at quality 11, layer 2 of 4) and gets the image
// histogram.
//
//	same:  N concurrent sessions open the same image;
//	diff:  N concurrent sessions open N different images (copies);
//	seq:   -seq sessions one after another on the same image.
//
// It prints, per case and N, the wall time for all N sessions, the p95
// of a session's time, the peak RSS (VmRSS, and RssAnon) sampled every
// 20 ms, RSS once the sessions ended and the idle timeout passed, and
// the cost of each session beyond the first.
//
//	go run ./scripts/benchscale -bin /tmp/cartago [-n 1,5,20,50] [-seq 200]
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cartago/scripts/procstat"
)

// Reference backend figures on this machine kind, from issue 10.
const (
	refSame20Wall  = 1.71       // s, 20 sessions on the same image
	refSame20Peak  = 1.4 * 1024 // MiB
	refPerSession  = 70.0       // MiB per extra session
	refSeqPeak     = 100.0      // MiB, sequential short sessions
	imageSide      = 4096
	goalSameWall   = 0.5  // × the reference's
	goalSamePeak   = 0.25 // × the reference's
	goalExtraMiB   = 5.0
	goalExtraMs    = 5.0
	goalSeqOverOne = 2.0 // peak of the sequence / peak of one session
)

type options struct {
	bin, dir, cacheSize, limit string
	ns                         []int
	seq                        int
	idle                       time.Duration
	cases                      string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "cartago binary to run (required)")
	flag.StringVar(&o.dir, "dir", filepath.Join(os.TempDir(), "cartago-benchscale"), "where the images are written (reused)")
	nList := flag.String("n", "1,5,20,50", "numbers of concurrent sessions")
	flag.IntVar(&o.seq, "seq", 200, "sequential short sessions (0: none)")
	flag.DurationVar(&o.idle, "idle", 15*time.Second, "--idle-timeout of the server")
	flag.StringVar(&o.cacheSize, "cache-size", "", "--cache-size of the server (\"\": its default)")
	flag.StringVar(&o.limit, "memory-limit", "", "--memory-limit of the server (\"\": its default)")
	flag.StringVar(&o.cases, "cases", "same,diff,seq", "cases to run")
	flag.Parse()
	if o.bin == "" {
		log.Fatal("-bin is required")
	}
	for _, s := range strings.Split(*nList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		o.ns = append(o.ns, n)
	}
	names := images(o.dir, slices.Max(o.ns))
	fmt.Printf("%-5s %4s %8s %8s %7s %10s %10s %10s %10s %9s %10s %6s\n",
		"case", "N", "wall_s", "p95_s", "cpu_s", "peak_rss", "peak_anon", "after_rss", "after_anon", "extra_ms", "extra_MiB", "failed")
	results := map[string][]result{}
	for _, c := range strings.Split(o.cases, ",") {
		switch c {
		case "same", "diff":
			for _, n := range o.ns {
				files := slices.Repeat(names[:1], n)
				if c == "diff" {
					files = names[:n]
				}
				r := runConcurrent(o, c, files)
				results[c] = append(results[c], r)
				r.print(results[c][0])
			}
		case "seq":
			if o.seq > 0 {
				runSequence(o, names[0])
			}
		}
	}
	summary(results)
}

// result is one case at one N.
type result struct {
	name           string
	n, failed      int
	wall, p95, cpu time.Duration // cpu: the server's, user and system
	peak, after    procstat.Mem
}

func (r result) print(first result) {
	extraMs, extraMiB := "-", "-"
	if r.n > first.n {
		d := float64(r.n - first.n)
		extraMs = fmt.Sprintf("%.1f", float64(r.wall-first.wall)/float64(time.Millisecond)/d)
		extraMiB = fmt.Sprintf("%.1f", float64(r.peak.RSS-first.peak.RSS)/(1<<20)/d)
	}
	fmt.Printf("%-5s %4d %8.3f %8.3f %7.2f %10s %10s %10s %10s %9s %10s %6d\n", r.name, r.n, r.wall.Seconds(), r.p95.Seconds(), r.cpu.Seconds(),
		procstat.MiB(r.peak.RSS), procstat.MiB(r.peak.Anon), procstat.MiB(r.after.RSS), procstat.MiB(r.after.Anon), extraMs, extraMiB, r.failed)
}

// summary compares the same-image runs with the reference's figures.
func summary(results map[string][]result) {
	same := results["same"]
	if len(same) == 0 {
		return
	}
	fmt.Printf("\nreference backend (issue 10, same machine kind): 20 sessions on one image %.2f s, %.0f MiB peak; ~%.0f MiB per extra session; sequential short sessions ~%.0f MiB\n",
		refSame20Wall, refSame20Peak, refPerSession, refSeqPeak)
	for _, r := range same {
		if r.n != 20 {
			continue
		}
		fmt.Printf("same image, 20 sessions: wall %.2f× the reference's (goal ≤ %.2f), peak RSS %.2f× (goal ≤ %.2f)\n",
			r.wall.Seconds()/refSame20Wall, goalSameWall, float64(r.peak.RSS)/(1<<20)/refSame20Peak, goalSamePeak)
	}
	if last := same[len(same)-1]; last.n > same[0].n {
		d := float64(last.n - same[0].n)
		fmt.Printf("same image, each session beyond the first (N=%d): %.1f ms (goal ≤ %.0f), %.1f MiB (goal ≤ %.0f; reference ~%.0f)\n",
			last.n, float64(last.wall-same[0].wall)/float64(time.Millisecond)/d, goalExtraMs,
			float64(last.peak.RSS-same[0].peak.RSS)/(1<<20)/d, goalExtraMiB, refPerSession)
	}
}

// runConcurrent starts a server, runs one session per file at once and
// measures it.
func runConcurrent(o options, name string, files []string) result {
	srv := start(o)
	defer srv.stop()
	sampler := procstat.StartPeak(srv.pid)
	times := make([]time.Duration, len(files))
	failed := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	cpu0 := cpuTime(srv.pid)
	begin := time.Now()
	for i, f := range files {
		wg.Go(func() {
			d, err := session(srv.url, f)
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
				log.Printf("%s session %d: %v", name, i, err)
			}
			times[i] = d
		})
	}
	wg.Wait()
	wall := time.Since(begin)
	cpu := cpuTime(srv.pid) - cpu0
	peak, after := srv.settle(sampler, o.idle)
	slices.Sort(times)
	return result{name: name, n: len(files), failed: failed, wall: wall, cpu: cpu,
		p95: times[(len(times)*95+99)/100-1], peak: peak, after: after}
}

// runSequence runs o.seq sessions one after another on one image and
// compares the peak RSS with that of the first session alone.
func runSequence(o options, file string) {
	srv := start(o)
	defer srv.stop()
	sampler := procstat.StartPeak(srv.pid)
	var one procstat.Mem
	var times []time.Duration
	cpu0 := cpuTime(srv.pid)
	begin := time.Now()
	for i := range o.seq {
		d, err := session(srv.url, file)
		if err != nil {
			log.Printf("seq session %d: %v", i, err)
		}
		times = append(times, d)
		if i == 0 {
			var err error
			one, err = procstat.ReadMem(srv.pid)
			check(err)
		}
	}
	wall := time.Since(begin)
	cpu := cpuTime(srv.pid) - cpu0
	peak, after := srv.settle(sampler, o.idle)
	slices.Sort(times)
	fmt.Printf("%-5s %4d %8.3f %8.3f %7.2f %10s %10s %10s %10s\n", "seq", o.seq, wall.Seconds(), times[(len(times)*95+99)/100-1].Seconds(), cpu.Seconds(),
		procstat.MiB(peak.RSS), procstat.MiB(peak.Anon), procstat.MiB(after.RSS), procstat.MiB(after.Anon))
	fmt.Printf("seq: peak RSS %s over %d sessions vs %s after the first: %.2f× (goal ≤ %.0f×; reference ~%.0f MiB)\n",
		procstat.MiB(peak.RSS), o.seq, procstat.MiB(one.RSS), float64(peak.RSS)/float64(one.RSS), goalSeqOverOne, refSeqPeak)
}

type server struct {
	cmd *exec.Cmd
	pid int
	url string
}

func start(o options) *server {
	args := []string{"serve", "--host", "127.0.0.1", "--port", "0", "--no-auth", "--no-frontend",
		"--root", o.dir, "--db", filepath.Join(o.dir, "bench.db"), "--idle-timeout", o.idle.String()}
	if o.cacheSize != "" {
		args = append(args, "--cache-size", o.cacheSize)
	}
	if o.limit != "" {
		args = append(args, "--memory-limit", o.limit)
	}
	_ = os.Remove(filepath.Join(o.dir, "bench.db"))
	cmd, url, err := procstat.StartServe(o.bin, args...)
	check(err)
	s := &server{cmd: cmd, pid: cmd.Process.Pid, url: url}
	time.Sleep(500 * time.Millisecond) // start-up garbage settles
	return s
}

// settle stops sampler, waits past the idle timeout and until RssAnon
// stops falling (at most 30 s), and returns the peak and what is left.
func (s *server) settle(sampler *procstat.Peak, idle time.Duration) (peak, after procstat.Mem) {
	peak, err := sampler.Stop()
	check(err)
	time.Sleep(idle)
	after, err = procstat.Settle(s.pid, 30*time.Second)
	check(err)
	return peak, after
}

func (s *server) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
