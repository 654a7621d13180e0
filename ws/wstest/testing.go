package wstest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// T is a Client for tests: every method fails tb on an error, ERROR_DATA
// where another message was awaited included, and each read waits at
// most Timeout.
type T struct {
	*Client
	TB      testing.TB
	Timeout time.Duration // per read; DefaultTimeout unless changed
	// AllowErrors lets Await pass ERROR_DATA by like any other message.
	AllowErrors bool
}

// DialT dials as Dial does and closes the connection when the test
// ends.
func DialT(tb testing.TB, addr string, o Options) *T {
	tb.Helper()
	c, resp, err := Dial(tb.Context(), addr, o)
	if err != nil {
		tb.Fatalf("%v (HTTP %d)", err, status(resp))
	}
	tb.Cleanup(func() { c.Close() })
	return &T{Client: c, TB: tb, Timeout: DefaultTimeout}
}

// WrapT makes a T of an open connection.
func WrapT(tb testing.TB, c *websocket.Conn) *T {
	return &T{Client: Wrap(c), TB: tb, Timeout: DefaultTimeout}
}

func status(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// ctx bounds one read by Timeout.
func (t *T) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), t.Timeout)
}

func (t *T) check(err error) {
	t.TB.Helper()
	if err != nil {
		t.TB.Fatal(err)
	}
}

// Send sends m with the next request id and returns the id.
func (t *T) Send(et icd.EventType, m proto.Message) uint32 {
	t.TB.Helper()
	id := t.NextID()
	t.check(t.Client.Send(et, id, m))
	return id
}

// SendReq sends m with the given request id and ICD version.
func (t *T) SendReq(et icd.EventType, version uint16, requestID uint32, m proto.Message) {
	t.TB.Helper()
	t.check(t.SendVersion(et, version, requestID, m))
}

// Next reads the next message (payload valid until the next read).
func (t *T) Next() Message {
	t.TB.Helper()
	ctx, cancel := t.ctx()
	defer cancel()
	m, err := t.Client.Next(ctx)
	t.check(err)
	return m
}

// Await reads up to the first frame of et that match accepts (nil: any),
// decodes it into pm (unless nil) and returns it with copies of the
// messages before it. An ERROR_DATA on the way fails the test unless
// AllowErrors is set.
func (t *T) Await(et icd.EventType, match Match, pm proto.Message) (Message, []Message) {
	t.TB.Helper()
	var others []Message
	m := t.SkipTo(et, match, pm, func(o Message) { others = append(others, o.clone()) })
	return m, others
}

// SkipTo is Await handing each other message to each (unless nil; valid
// during the call only) instead of keeping it: nothing is copied.
func (t *T) SkipTo(et icd.EventType, match Match, pm proto.Message, each func(Message)) Message {
	t.TB.Helper()
	ctx, cancel := t.ctx()
	defer cancel()
	m, err := t.Skip(ctx, et, match, func(o Message) {
		if o.Is(icd.EventType_ERROR_DATA) && !t.AllowErrors {
			t.TB.Fatalf("awaiting %s: server sent %s", et, o)
		}
		if each != nil {
			each(o)
		}
	})
	t.check(err)
	if pm != nil {
		t.check(m.Decode(pm))
	}
	return m
}

// Expect reads the next frame, which must be of et, into pm (unless nil).
func (t *T) Expect(et icd.EventType, pm proto.Message) Message {
	t.TB.Helper()
	ctx, cancel := t.ctx()
	defer cancel()
	m, err := t.Client.Expect(ctx, et, pm)
	t.check(err)
	return m
}

// Register registers sessionID (0: new) and fails the test unless the
// server accepted it.
func (t *T) Register(sessionID uint32) *icd.RegisterViewerAck {
	t.TB.Helper()
	ack := t.RegisterAck(sessionID)
	if !ack.Success {
		t.TB.Fatalf("register %d: %s", sessionID, ack.Message)
	}
	return ack
}

// RegisterAck registers sessionID and returns the ack as it is.
func (t *T) RegisterAck(sessionID uint32) *icd.RegisterViewerAck {
	t.TB.Helper()
	ctx, cancel := t.ctx()
	defer cancel()
	ack, err := t.Client.Register(ctx, sessionID)
	t.check(err)
	return ack
}

// ToPong sends PING and reads up to the PONG, passing each frame on the
// way to each (unless nil).
func (t *T) ToPong(each func(Message)) {
	t.TB.Helper()
	ctx, cancel := t.ctx()
	defer cancel()
	t.check(t.Client.ToPong(ctx, each))
}

// Barrier proves that nothing else is queued: the answer to a PING is
// the PONG itself.
func (t *T) Barrier() {
	t.TB.Helper()
	t.check(t.Ping())
	m := t.Next()
	if !m.IsText || m.Text != "PONG" {
		t.TB.Fatalf("expected only PONG, got %s", m)
	}
}

// ReadClose reads until the server's close frame and returns it.
func (t *T) ReadClose() *websocket.CloseError {
	t.TB.Helper()
	ctx, cancel := t.ctx()
	defer cancel()
	ce, err := t.Client.ReadClose(ctx)
	t.check(err)
	return ce
}
