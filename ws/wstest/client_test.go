package wstest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cartago/icd"
)

// scripted serves one websocket that, for every frame it reads, sends
// back the frames reply gives, and answers the text PING with PONG. It
// records the token and Origin of the handshake and whether
// permessage-deflate was negotiated.
type scripted struct {
	mu            sync.Mutex
	token, origin string
	deflate       bool
}

func (s *scripted) seen() (token, origin string, deflate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, s.origin, s.deflate
}

func (s *scripted) serve(t *testing.T, reply func(icd.Header) [][]byte) string {
	up := websocket.Upgrader{EnableCompression: true, CheckOrigin: func(*http.Request) bool { return true }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.token, s.origin = r.URL.Query().Get("token"), r.Header.Get("Origin")
		s.deflate = strings.Contains(r.Header.Get("Sec-Websocket-Extensions"), "permessage-deflate")
		s.mu.Unlock()
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			kind, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if kind == websocket.TextMessage {
				c.WriteMessage(websocket.TextMessage, []byte("PONG"))
				continue
			}
			h, _, err := icd.DecodeFrame(data)
			if err != nil {
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseUnsupportedData, "bad frame"), time.Now().Add(time.Second))
				return
			}
			for _, f := range reply(h) {
				c.WriteMessage(websocket.BinaryMessage, f)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func frame(t *testing.T, et icd.EventType, req uint32) []byte {
	b, err := Frame(et, icd.Version, req, &icd.RegisterViewerAck{SessionId: req})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDialOptions(t *testing.T) {
	var s scripted
	url := s.serve(t, func(icd.Header) [][]byte { return nil })
	DialT(t, url+"/?token=page", Options{}).ToPong(nil)
	if tok, origin, deflate := s.seen(); tok != "page" || origin != "" || !deflate {
		t.Errorf("page URL: token %q origin %q deflate %v, want the page's token, no origin, deflate", tok, origin, deflate)
	}
	DialT(t, strings.TrimPrefix(url, "http://"), Options{Token: "t", Origin: "http://x", NoCompression: true}).ToPong(nil)
	if tok, origin, deflate := s.seen(); tok != "t" || origin != "http://x" || deflate {
		t.Errorf("host:port: token %q origin %q deflate %v", tok, origin, deflate)
	}
}

func TestAwaitCollectsOthers(t *testing.T) {
	var s scripted
	url := s.serve(t, func(h icd.Header) [][]byte {
		return [][]byte{frame(t, icd.EventType_SPATIAL_PROFILE_DATA, 1), frame(t, icd.EventType_REGISTER_VIEWER_ACK, 2),
			frame(t, icd.EventType_REGISTER_VIEWER_ACK, h.RequestID)}
	})
	c := DialT(t, url, Options{})
	c.Send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{})
	c.Send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{})
	var ack icd.RegisterViewerAck
	m, others := c.Await(icd.EventType_REGISTER_VIEWER_ACK, func(m Message) bool { return m.Header.RequestID == 2 }, &ack)
	if ack.SessionId != 2 || len(others) != 1 || !others[0].Is(icd.EventType_SPATIAL_PROFILE_DATA) {
		t.Fatalf("await: %s (session %d) after %v", m, ack.SessionId, others)
	}
	// The first request's ack was not taken for the second's: it comes
	// next, then the second round.
	c.Expect(icd.EventType_REGISTER_VIEWER_ACK, &ack)
	if ack.SessionId != 1 {
		t.Errorf("first ack for request %d, want 1", ack.SessionId)
	}
	if _, others = c.Await(icd.EventType_REGISTER_VIEWER_ACK, nil, nil); len(others) != 1 {
		t.Errorf("second round: %v before the ack", others)
	}
	if m = c.Expect(icd.EventType_REGISTER_VIEWER_ACK, nil); m.Header.RequestID != 2 {
		t.Errorf("last ack %s, want request 2's", m)
	}
	c.Barrier()
}

func TestAwaitGivesUpAtTheDeadline(t *testing.T) {
	var s scripted
	url := s.serve(t, func(icd.Header) [][]byte { return nil })
	c, _, err := Dial(t.Context(), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, _, err = c.Await(ctx, icd.EventType_REGISTER_VIEWER_ACK, nil)
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("await on a silent server: %v, want a timeout", err)
	}
}

func TestReadCloseAndErrors(t *testing.T) {
	var s scripted
	url := s.serve(t, func(icd.Header) [][]byte { return nil })
	c, _, err := Dial(t.Context(), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendRaw([]byte{1}); err != nil {
		t.Fatal(err)
	}
	ce, err := c.ReadClose(t.Context())
	if err != nil || ce.Code != websocket.CloseUnsupportedData {
		t.Fatalf("close %v %v", ce, err)
	}
	e := Message{Header: icd.Header{Type: icd.EventType_ERROR_DATA}, Payload: mustFrame(t)}
	if got := e.String(); !strings.Contains(got, `"boom"`) {
		t.Errorf("ERROR_DATA shown as %s", got)
	}
}

func mustFrame(t *testing.T) []byte {
	b, err := Frame(icd.EventType_ERROR_DATA, icd.Version, 0, &icd.ErrorData{Message: "boom"})
	if err != nil {
		t.Fatal(err)
	}
	return b[8:]
}
