package ws

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/session"
)

const testToken = "s3cret-test-token"

// testServer is a real server on a loopback port.
type testServer struct {
	srv  *Server
	mgr  *session.Manager
	addr string
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	return startServerWith(t, cfg, session.Config{})
}

// startServerWith also sets the session configuration.
func startServerWith(t *testing.T, cfg Config, scfg session.Config) *testServer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	scfg.IdleTimeout, scfg.Logger = time.Minute, cfg.Logger
	scfg.Platform = map[string]string{"platform": "test"}
	mgr := session.NewManager(scfg)
	srv, err := New(cfg, mgr)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		mgr.Close("test over")
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve returned %v", err)
		}
	})
	return &testServer{srv: srv, mgr: mgr, addr: l.Addr().String()}
}

// dial opens a websocket with the token in the query, as the frontend does.
func (ts *testServer) dial(t *testing.T, token string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+ts.addr+"/?token="+token, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sendRaw(t *testing.T, c *websocket.Conn, frame []byte) {
	t.Helper()
	if err := c.WriteMessage(websocket.BinaryMessage, frame); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func sendMsg(t *testing.T, c *websocket.Conn, et icd.EventType, version uint16, req uint32, m proto.Message) {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	sendRaw(t, c, append(icd.AppendHeader(nil, icd.Header{Type: et, Version: version, RequestID: req}), b...))
}

// recv reads the next binary message and checks its type and header.
func recv(t *testing.T, c *websocket.Conn, want icd.EventType, wantReq uint32, m proto.Message) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	kind, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read (want %s): %v", want, err)
	}
	if kind != websocket.BinaryMessage {
		t.Fatalf("got message kind %d %q, want binary %s", kind, data, want)
	}
	h, payload, err := icd.DecodeFrame(data)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != want || h.RequestID != wantReq || h.Version != icd.Version {
		t.Fatalf("header = %s/req %d/icd %d, want %s/req %d/icd %d", h.Type, h.RequestID, h.Version, want, wantReq, icd.Version)
	}
	if err := proto.Unmarshal(payload, m); err != nil {
		t.Fatalf("decode %s: %v", want, err)
	}
}

func register(t *testing.T, c *websocket.Conn, id uint32) *icd.RegisterViewerAck {
	t.Helper()
	sendMsg(t, c, icd.EventType_REGISTER_VIEWER, icd.Version, 1, &icd.RegisterViewer{SessionId: id, ClientFeatureFlags: 5})
	var ack icd.RegisterViewerAck
	recv(t, c, icd.EventType_REGISTER_VIEWER_ACK, 1, &ack)
	return &ack
}

// readClose reads until the server's close frame and returns it.
func readClose(t *testing.T, c *websocket.Conn) *websocket.CloseError {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("want a close frame, got %v", err)
		}
		return ce
	}
}
