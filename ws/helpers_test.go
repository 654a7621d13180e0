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
	"cartago/ws/wstest"
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

// dial opens a websocket with the token in the query, as the frontend
// does (and with permessage-deflate, as browsers offer it).
func (ts *testServer) dial(t *testing.T, token string) *websocket.Conn {
	t.Helper()
	return ts.client(t, token).Conn
}

// client is dial returning the protocol test client.
func (ts *testServer) client(t testing.TB, token string) *wstest.T {
	t.Helper()
	return wstest.DialT(t, ts.addr, wstest.Options{Token: token})
}

func sendRaw(t *testing.T, c *websocket.Conn, frame []byte) {
	t.Helper()
	if err := wstest.Wrap(c).SendRaw(frame); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func sendMsg(t *testing.T, c *websocket.Conn, et icd.EventType, version uint16, req uint32, m proto.Message) {
	t.Helper()
	wstest.WrapT(t, c).SendReq(et, version, req, m)
}

// recv reads the next binary message and checks its type and header.
func recv(t *testing.T, c *websocket.Conn, want icd.EventType, wantReq uint32, m proto.Message) {
	t.Helper()
	wt := wstest.WrapT(t, c)
	wt.Timeout = 5 * time.Second
	h := wt.Expect(want, m).Header
	if h.RequestID != wantReq || h.Version != icd.Version {
		t.Fatalf("header = %s/req %d/icd %d, want %s/req %d/icd %d", h.Type, h.RequestID, h.Version, want, wantReq, icd.Version)
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
	wt := wstest.WrapT(t, c)
	wt.Timeout = 5 * time.Second
	return wt.ReadClose()
}
