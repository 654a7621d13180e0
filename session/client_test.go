package session

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// recorder is a Sender that keeps what it is given; the transport is
// tested for real in package ws.
type recorder struct {
	mu     sync.Mutex
	sent   []sent
	closed string
}

type sent struct {
	event icd.EventType
	req   uint32
	msg   proto.Message
}

func (r *recorder) Send(_ context.Context, t icd.EventType, req uint32, m proto.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, sent{t, req, m})
	return nil
}

func (r *recorder) Close(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = reason
}

func (r *recorder) last(t *testing.T) sent {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent) == 0 {
		t.Fatal("nothing sent")
	}
	return r.sent[len(r.sent)-1]
}

func newTestManager(idle time.Duration) *Manager {
	return NewManager(Config{IdleTimeout: idle, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func handle(t *testing.T, c *Client, et icd.EventType, req uint32, m proto.Message) {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(t.Context(), icd.Header{Type: et, Version: icd.Version, RequestID: req}, b)
}

func TestHandlerPanicBecomesErrorData(t *testing.T) {
	const boom = icd.EventType(9999)
	handlers[boom] = handler{fn: func(*Client, request) error { panic("kaboom") }}
	defer delete(handlers, boom)

	rec := &recorder{}
	c := newTestManager(time.Minute).NewClient(rec, "test", nil)
	c.Handle(t.Context(), icd.Header{Type: boom, Version: icd.Version, RequestID: 17}, nil)
	got := rec.last(t)
	e, ok := got.msg.(*icd.ErrorData)
	if got.event != icd.EventType_ERROR_DATA || got.req != 17 || !ok || !strings.Contains(e.Message, "internal error") {
		t.Fatalf("after panic sent %v req %d %v", got.event, got.req, got.msg)
	}
	// The client keeps working.
	handle(t, c, icd.EventType_REGISTER_VIEWER, 18, &icd.RegisterViewer{})
	if ack, ok := rec.last(t).msg.(*icd.RegisterViewerAck); !ok || !ack.Success {
		t.Fatalf("register after panic: %v", rec.last(t).msg)
	}
}

func TestEveryClientEventHasAHandler(t *testing.T) {
	for v, name := range icd.EventType_name {
		et := icd.EventType(v)
		if _, ok := handlers[et]; !ok && et != icd.EventType_EMPTY_EVENT {
			t.Errorf("%s (%d) has no handler", name, v)
		}
	}
	for req, resp := range pendingRequests {
		m := proto.Clone(resp.proto).ProtoReflect()
		if m.Descriptor().Fields().ByName("success") == nil || m.Descriptor().Fields().ByName("message") == nil {
			t.Errorf("%s: response %s lacks success/message", req, m.Descriptor().Name())
		}
	}
}

func TestDetachedSessionExpires(t *testing.T) {
	m := newTestManager(20 * time.Millisecond)
	rec := &recorder{}
	c := m.NewClient(rec, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{SessionId: 31})
	c.Close()
	if m.Len() != 1 {
		t.Fatalf("detached session dropped at once; Len = %d", m.Len())
	}
	deadline := time.Now().Add(2 * time.Second)
	for m.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("detached session never expired")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReconnectWithinIdleTimeoutIsKnown(t *testing.T) {
	m := newTestManager(time.Minute)
	first := &recorder{}
	c := m.NewClient(first, "a", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	id := first.last(t).msg.(*icd.RegisterViewerAck).SessionId
	c.Close()

	second := &recorder{}
	c2 := m.NewClient(second, "b", nil)
	handle(t, c2, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{SessionId: id})
	ack := second.last(t).msg.(*icd.RegisterViewerAck)
	if ack.SessionType != icd.SessionType_RESUMED || ack.SessionId != id || !strings.Contains(ack.Message, "reconnected") {
		t.Fatalf("reconnect ack %+v", ack)
	}
}

func TestFreshIDsAreUniqueAndNonZero(t *testing.T) {
	m := newTestManager(time.Minute)
	seen := map[uint32]bool{}
	for range 1000 {
		c := m.NewClient(&recorder{}, "x", nil)
		handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
		id := c.SessionID()
		if id == 0 || seen[id] {
			t.Fatalf("id %d zero or repeated", id)
		}
		seen[id] = true
	}
}

// waitSent polls the recorder until n messages of type et were sent.
func waitSent(t *testing.T, rec *recorder, et icd.EventType, n int) []sent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got []sent
		rec.mu.Lock()
		for _, s := range rec.sent {
			if s.event == et {
				got = append(got, s)
			}
		}
		rec.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s sent, want %d", len(got), et, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
