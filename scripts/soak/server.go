package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"cartago/imaging/bench"
	"cartago/scripts/procstat"
)

// fifoName is the FIFO in the root, named like an image.
const fifoName = "fifo.fits"

// makeRoot fills dir with hard links (copies across file systems) to
// the sample set, generated on first use, and a FIFO.
func makeRoot(ctx context.Context, dir string) error {
	src, err := bench.SampleDir(ctx)
	if err != nil {
		return fmt.Errorf("sample data: %w", err)
	}
	err = filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if os.Link(path, dst) == nil {
			return nil
		}
		return copyFile(path, dst)
	})
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, fifoName), 0o644); err != nil {
		return fmt.Errorf("mkfifo: %w", err)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// server is the running cartago process.
type server struct {
	cmd  *exec.Cmd
	url  string        // page URL it printed, with its token
	log  string        // file of its stdout and stderr
	done chan struct{} // closed when it exited
	err  error         // its exit; valid once done is closed
}

// The line cartago prints once it listens.
var readyRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+/\?token=[^\s&"']+`)

// startServer runs `cartago serve` on a free loopback port and waits
// for its URL line.
func startServer(ctx context.Context, c config, root, db, logPath string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	s := &server{log: logPath, done: make(chan struct{})}
	s.cmd = exec.Command(c.bin, "serve", "--host", "127.0.0.1", "--port", "0", "--root", root, "--db", db,
		"--no-frontend", "--idle-timeout", c.idle.String(), "--cache-size", fmt.Sprint(c.cacheMiB<<20), "--log-level", "warn")
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = io.MultiWriter(logf, pw), logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", c.bin, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		pw.Close()
		logf.Close()
		close(s.done)
	}()
	urls := make(chan string, 1)
	go scanURL(pr, urls)
	select {
	case s.url = <-urls:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server exited before listening: %v\n%s", s.err, s.tail(20))
	case <-time.After(30 * time.Second):
		s.kill()
		return nil, errors.New("server printed no URL within 30 s")
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
}

// scanURL sends the first page URL read from r and drains the rest, so
// the server never blocks on its stdout.
func scanURL(r io.Reader, urls chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if u := readyRe.FindString(sc.Text()); u != "" {
			select {
			case urls <- u:
			default:
			}
		}
	}
	io.Copy(io.Discard, r)
}

func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

func (s *server) kill() {
	if s.alive() {
		s.cmd.Process.Kill()
		<-s.done
	}
}

// tail returns the last n lines of the server's log.
func (s *server) tail(n int) string {
	b, _ := os.ReadFile(s.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// sample is one reading of the server's /proc/PID/status.
type sample struct {
	at            time.Duration // since the load started; negative before
	rss, hwm, thr int64         // VmRSS and VmHWM in bytes, Threads
	phase         string        // "baseline", "load" or "idle"
}

// sampler reads the server's status every second into its samples; the
// run's length bounds them.
type sampler struct {
	pid   int
	start time.Time // of the load

	mu      sync.Mutex
	phase   string
	samples []sample
}

func (sm *sampler) setPhase(p string) {
	sm.mu.Lock()
	sm.phase = p
	if p == "load" {
		sm.start = time.Now()
	}
	sm.mu.Unlock()
}

// run samples until ctx ends; over calls abort (once) when RSS passes
// abortAt bytes.
func (sm *sampler) run(ctx context.Context, abortAt int64, over func()) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if st, err := procstat.Status(sm.pid); err == nil {
			rss := st["VmRSS"]
			sm.mu.Lock()
			sm.samples = append(sm.samples, sample{at: time.Since(sm.start), rss: rss, hwm: st["VmHWM"], thr: st["Threads"], phase: sm.phase})
			sm.mu.Unlock()
			if rss > abortAt && over != nil {
				over()
				over = nil
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (sm *sampler) all() []sample {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return append([]sample(nil), sm.samples...)
}
