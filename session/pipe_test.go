package session

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// pipe drives a Client through its Sender interface with no socket: it
// handles each message as ws's read loop does (in order, to
// completion) and keeps what the session sends, encoded as the
// transport would encode it, for the test to read back in order. The
// helpers below have the names and shapes of ws's test helpers, so a
// behaviour test reads the same here as there.
type pipe struct {
	t      *testing.T
	client *Client

	mu     sync.Mutex
	out    []sentFrame // everything sent; the test bounds it
	closed string      // Close's reason

	wake chan struct{} // poked on every Send; capacity 1
	pos  int           // next of out to read; owned by the test goroutine
}

type sentFrame struct {
	hdr     icd.Header
	payload []byte
}

func (p *pipe) Send(_ context.Context, et icd.EventType, req uint32, m proto.Message) error {
	b, err := proto.Marshal(m) // now: the sender may reuse m's buffers
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.out = append(p.out, sentFrame{icd.Header{Type: et, Version: icd.Version, RequestID: req}, b})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

func (p *pipe) Close(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = reason
}

// newPipe returns a registered client of a new manager with cfg (a quiet
// logger and a minute's idle timeout unless set); both end with t.
func newPipe(t *testing.T, cfg Config) *pipe {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = newTestManager(time.Minute).log
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = time.Minute
	}
	m := NewManager(cfg)
	p := &pipe{t: t, wake: make(chan struct{}, 1)}
	p.client = m.NewClient(p, "pipe", nil)
	t.Cleanup(func() {
		p.client.Close()
		m.Close("test over")
	})
	sendMsg(t, p, icd.EventType_REGISTER_VIEWER, icd.Version, 1, &icd.RegisterViewer{ClientFeatureFlags: 5})
	if ack := expect(t, p, icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{}); !ack.Success {
		t.Fatalf("register: %s", ack.Message)
	}
	return p
}

// folderPipe is newPipe serving root.
func folderPipe(t *testing.T, root string) *pipe {
	t.Helper()
	folder, err := NewFolder(root, "")
	must(t, err)
	return newPipe(t, Config{Folder: folder})
}

// sendMsg handles m as a frame of event et, as ws's read loop would.
func sendMsg(t *testing.T, p *pipe, et icd.EventType, version uint16, req uint32, m proto.Message) {
	t.Helper()
	b, err := proto.Marshal(m)
	must(t, err)
	p.client.Handle(t.Context(), icd.Header{Type: et, Version: version, RequestID: req}, b)
}

// next returns the next message the session sent, waiting up to 10 s.
func next(t *testing.T, p *pipe) (icd.Header, []byte) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		n := len(p.out)
		var f sentFrame
		if p.pos < n {
			f = p.out[p.pos]
		}
		p.mu.Unlock()
		if p.pos < n {
			p.pos++
			return f.hdr, f.payload
		}
		select {
		case <-p.wake:
		case <-deadline.C:
			t.Fatalf("nothing sent within 10 s after %d messages", n)
		}
	}
}

// expect reads the next message, which must be of type want.
func expect[M proto.Message](t *testing.T, p *pipe, want icd.EventType, m M) M {
	t.Helper()
	h, b := next(t, p)
	if h.Type != want {
		t.Fatalf("got %s, want %s", describe(h, b), want)
	}
	must(t, proto.Unmarshal(b, m))
	return m
}

// skipTo reads past other messages up to one of type et.
func skipTo(t *testing.T, p *pipe, et icd.EventType, m proto.Message) {
	t.Helper()
	for {
		h, b := next(t, p)
		if h.Type == et {
			must(t, proto.Unmarshal(b, m))
			return
		}
	}
}

// readToPong passes every message sent so far to each (unless nil) and
// consumes them: what a PING's PONG proves over a socket, that the
// handlers of everything sent before have run, holds here already.
func readToPong(t *testing.T, p *pipe, each func(h icd.Header, payload []byte)) {
	t.Helper()
	p.mu.Lock()
	rest := p.out[p.pos:]
	p.pos = len(p.out)
	p.mu.Unlock()
	for _, f := range rest {
		if each != nil {
			each(f.hdr, f.payload)
		}
	}
}

func drainToPong(t *testing.T, p *pipe) { readToPong(t, p, nil) }

// describe names a message for a failure, with ERROR_DATA's text.
func describe(h icd.Header, b []byte) string {
	if h.Type == icd.EventType_ERROR_DATA {
		var e icd.ErrorData
		if proto.Unmarshal(b, &e) == nil {
			return fmt.Sprintf("ERROR_DATA %q", e.Message)
		}
	}
	return h.Type.String()
}

func floats(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
