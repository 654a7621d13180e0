package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/ws/wstest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// buildBinary compiles cartago once per test run; tests drive the real
// process, so signals and exit codes are tested as an operator sees them.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cartago-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "cartago")
		out, err := exec.Command(goTool(), "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(goruntime.GOROOT(), "bin", "go")
}

// serverProc is a running cartago process.
type serverProc struct {
	cmd     *exec.Cmd
	url     string        // page URL printed at start
	out     *lockedBuffer // stdout and stderr, interleaved
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
}

func (s *serverProc) output() []byte { return []byte(s.out.String()) }

// The line cartago prints on stdout once it listens.
var serverURLRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+/(\?token=[^\s&"']+)?`)

// startProcess runs `cartago serve` with args on a free loopback port and
// waits for the URL line. The process is killed when the test ends.
func startProcess(t *testing.T, args ...string) *serverProc {
	t.Helper()
	return startCommand(t, serverURLRe, nil, append([]string{"serve", "--host", "127.0.0.1", "--port", "0"}, args...)...)
}

// startCommand runs cartago with args and, when env is not nil, only that
// environment; it waits for the line urlRe matches.
func startCommand(t *testing.T, urlRe *regexp.Regexp, env []string, args ...string) *serverProc {
	t.Helper()
	cmd := exec.Command(buildBinary(t), args...)
	cmd.Env = env
	return startExecRe(t, cmd, urlRe)
}

// startExec starts cmd, a cartago server, and waits for its page URL.
func startExec(t *testing.T, cmd *exec.Cmd) *serverProc {
	t.Helper()
	return startExecRe(t, cmd, regexp.MustCompile(`http://127\.0\.0\.1:\d+/\S*`))
}

func startExecRe(t *testing.T, cmd *exec.Cmd, urlRe *regexp.Regexp) *serverProc {
	t.Helper()
	s := &serverProc{cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	urls := make(chan string, 1)
	stdout := &lineWriter{fn: func(line string) {
		s.out.WriteString(line + "\n")
		if u := urlRe.FindString(line); u != "" {
			select {
			case urls <- u:
			default:
			}
		}
	}}
	s.cmd.Stdout = stdout
	s.cmd.Stderr = s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", s.cmd.Path, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("server output:\n%s", s.output())
		}
	})
	select {
	case s.url = <-urls:
	case <-s.done:
		t.Fatalf("server exited before printing its URL: %v\n%s", s.waitErr, s.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("server printed no URL within 30 s:\n%s", s.output())
	}
	return s
}

// stop sends sig and returns the exit code.
func (s *serverProc) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		t.Fatal("server did not exit within 15 s")
	}
	var ee *exec.ExitError
	if errors.As(s.waitErr, &ee) {
		return ee.ExitCode()
	}
	if s.waitErr != nil {
		t.Fatal(s.waitErr)
	}
	return 0
}

// wsClient is the protocol test client of the process tests: await
// skips whatever comes before the awaited message, ERROR_DATA included.
type wsClient struct {
	*wstest.T
	t *testing.T
	c *websocket.Conn // the connection under T
}

// dialServer connects to the server of the page URL it printed (whose
// token it keeps), with permessage-deflate as browsers do.
func dialServer(t *testing.T, pageURL string) *wsClient {
	t.Helper()
	wt := wstest.DialT(t, pageURL, wstest.Options{})
	wt.AllowErrors = true
	return &wsClient{T: wt, t: t, c: wt.Conn}
}

func (w *wsClient) send(et icd.EventType, m proto.Message) {
	w.t.Helper()
	w.Send(et, m)
}

// await reads until a message of type et arrives and decodes it.
func (w *wsClient) await(et icd.EventType, m proto.Message) {
	w.t.Helper()
	w.SkipTo(et, nil, m, nil)
}

// open sends OPEN_FILE for name in the top folder as id and returns the
// ack.
func (w *wsClient) open(name string, id int32) *icd.OpenFileAck {
	w.t.Helper()
	w.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: name, FileId: id})
	var ack icd.OpenFileAck
	w.await(icd.EventType_OPEN_FILE_ACK, &ack)
	return &ack
}

// register sends REGISTER_VIEWER with id and returns the ack.
func (w *wsClient) register(id uint32) *icd.RegisterViewerAck {
	w.t.Helper()
	return w.RegisterAck(id)
}

// execOutput runs the binary to completion and returns stdout+stderr.
func execOutput(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

// lineWriter calls fn for every complete line written to it.
type lineWriter struct {
	mu   sync.Mutex
	part []byte
	fn   func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		w.fn(strings.TrimRight(string(w.part[:i]), "\r"))
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
