// Package procstat reads a process's memory and threads from /proc and
// starts `cartago serve` for the benchmark and soak programs in scripts/
// and the memory tests of cmd/cartago, so that they measure alike.
package procstat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Status reads /proc/PID/status: the fields in kB (VmRSS, VmHWM,
// RssAnon, ...) in bytes, and those of a single number (Threads, ...) as
// they are.
func Status(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		f := strings.Fields(v)
		if !ok || len(f) == 0 || len(f) > 2 || len(f) == 2 && f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if len(f) == 2 {
			n <<= 10
		}
		m[k] = n
	}
	return m, nil
}

// Mem is a process's resident memory, in bytes.
type Mem struct{ RSS, Anon int64 }

// ReadMem reads VmRSS and RssAnon of pid.
func ReadMem(pid int) (Mem, error) {
	s, err := Status(pid)
	return Mem{RSS: s["VmRSS"], Anon: s["RssAnon"]}, err
}

// Peak samples a process's memory every 20 ms until Stop.
type Peak struct {
	stop, done chan struct{}
	max        Mem
	err        error
}

// StartPeak starts sampling pid.
func StartPeak(pid int) *Peak {
	p := &Peak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			m, err := ReadMem(pid)
			if err != nil {
				p.err = err
				return
			}
			p.max.RSS, p.max.Anon = max(p.max.RSS, m.RSS), max(p.max.Anon, m.Anon)
			select {
			case <-p.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return p
}

// Stop ends the sampling and returns the peaks of VmRSS and RssAnon.
func (p *Peak) Stop() (Mem, error) {
	close(p.stop)
	<-p.done
	return p.max, p.err
}

// Settle polls pid until RssAnon has not fallen for 3 s, or for at most
// within, and returns the last reading.
func Settle(pid int, within time.Duration) (Mem, error) {
	deadline := time.Now().Add(within)
	last, err := ReadMem(pid)
	stable := time.Now()
	for err == nil && time.Now().Before(deadline) && time.Since(stable) < 3*time.Second {
		time.Sleep(200 * time.Millisecond)
		var s Mem
		if s, err = ReadMem(pid); err == nil {
			if s.Anon < last.Anon-1<<20 {
				stable = time.Now()
			}
			last = s
		}
	}
	return last, err
}

// MiB formats n bytes as whole MiB.
func MiB(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

var urlRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// StartServe runs bin with args (a `serve` on loopback), its stderr
// discarded, and waits for the line with its URL; it returns the
// websocket URL and drains the rest of its stdout.
func StartServe(bin string, args ...string) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u := urlRe.FindString(sc.Text()); u != "" {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return cmd, "ws" + strings.TrimPrefix(u, "http"), nil
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, "", errors.New("server printed no URL")
}
