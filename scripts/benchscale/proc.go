package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// procMem is a process's resident memory.
type procMem struct{ rss, anon int64 }

// status reads VmRSS and RssAnon of /proc/PID/status, in bytes.
func status(pid int) procMem {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	defer f.Close()
	var m procMem
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(v)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			m.rss = n << 10
		case "RssAnon":
			m.anon = n << 10
		}
	}
	return m
}

// samplePeak samples status every 20 ms until stop, then sends the peak.
func samplePeak(pid int, stop chan struct{}, out chan procMem) {
	var peak procMem
	for {
		s := status(pid)
		peak.rss, peak.anon = max(peak.rss, s.rss), max(peak.anon, s.anon)
		select {
		case <-stop:
			out <- peak
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// settle polls until RssAnon has not fallen for 3 s, or the deadline.
func settle(pid int, within time.Duration) procMem {
	deadline := time.Now().Add(within)
	last := status(pid)
	stable := time.Now()
	for time.Now().Before(deadline) && time.Since(stable) < 3*time.Second {
		time.Sleep(200 * time.Millisecond)
		s := status(pid)
		if s.anon < last.anon-1<<20 {
			stable = time.Now()
		}
		last = s
	}
	return last
}

// cpuTime returns the CPU time (user and system) pid used so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	check(err)
	_, rest, _ := strings.Cut(string(b), ") ") // the command name may hold spaces
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

var urlRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// serverURL reads the server's ready line and drains the rest.
func serverURL(r io.Reader) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if u := urlRe.FindString(sc.Text()); u != "" {
			go func() { _, _ = io.Copy(io.Discard, r) }()
			return "ws" + strings.TrimPrefix(u, "http")
		}
	}
	log.Fatal("server printed no URL")
	return ""
}
