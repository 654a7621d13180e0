// Package wstest is the one protocol client of the tests, benchmarks
// and the soak program: dial, register, send, and await messages with
// a deadline instead of sleeping. It speaks ICD frames over a gorilla
// websocket and does not import package ws, so ws's own tests can use
// it.
//
// Client returns errors (for programs); T wraps it for tests and fails
// the test on any error.
package wstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// DefaultTimeout bounds a read when the context has no deadline.
const DefaultTimeout = 10 * time.Second

// Options of Dial. The zero value dials as a browser would, without a
// token and without an Origin header.
type Options struct {
	Token  string // sent as ?token=, as the frontend does; "" for none
	Origin string // the Origin header; "" sends none, as scripts do
	// NoCompression turns permessage-deflate off; browsers offer it, so
	// it is on by default.
	NoCompression bool
	Header        http.Header // extra handshake headers
}

// Client is one websocket of the protocol. Like the connection under
// it, it allows one reader and one writer at a time.
type Client struct {
	Conn *websocket.Conn
	req  uint32       // the last request id NextID handed out
	buf  bytes.Buffer // the last message read; reused
}

// Dial opens a websocket to addr, which is host:port, a ws:// URL or
// the http:// page URL the server prints (its token is kept unless
// o.Token overrides it). The handshake response is returned also on
// error (nil if there was none), for tests of refusals.
func Dial(ctx context.Context, addr string, o Options) (*Client, *http.Response, error) {
	u, err := wsURL(addr, o.Token)
	if err != nil {
		return nil, nil, err
	}
	d := *websocket.DefaultDialer
	d.EnableCompression = !o.NoCompression
	h := o.Header.Clone()
	if o.Origin != "" {
		if h == nil {
			h = http.Header{}
		}
		h.Set("Origin", o.Origin)
	}
	c, resp, err := d.DialContext(ctx, u, h)
	if err != nil {
		return nil, resp, fmt.Errorf("dial %s: %w", u, err)
	}
	return Wrap(c), resp, nil
}

// wsURL turns addr into a ws:// URL carrying token.
func wsURL(addr, token string) (string, error) {
	if !strings.Contains(addr, "://") {
		addr = "ws://" + addr + "/"
	}
	u, err := url.Parse(addr)
	if err != nil {
		return "", fmt.Errorf("server address %q: %w", addr, err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	if token != "" {
		q := u.Query()
		q.Set("token", token)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// Wrap makes a Client of an open connection. Clients are cheap: the
// helpers of older tests wrap their connection on every call.
func Wrap(c *websocket.Conn) *Client { return &Client{Conn: c} }

// Close closes the connection without a close handshake.
func (c *Client) Close() error { return c.Conn.Close() }

// NextID returns the next request id, counting from 1.
func (c *Client) NextID() uint32 {
	c.req++
	return c.req
}

// Frame is the ICD frame of m: the 8-byte header, then m encoded.
func Frame(et icd.EventType, version uint16, requestID uint32, m proto.Message) ([]byte, error) {
	b := icd.AppendHeader(nil, icd.Header{Type: et, Version: version, RequestID: requestID})
	b, err := proto.MarshalOptions{}.MarshalAppend(b, m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", et, err)
	}
	return b, nil
}

// Send writes m as event et with requestID, in the current ICD version.
func (c *Client) Send(et icd.EventType, requestID uint32, m proto.Message) error {
	return c.SendVersion(et, icd.Version, requestID, m)
}

// SendVersion is Send with another ICD version in the header.
func (c *Client) SendVersion(et icd.EventType, version uint16, requestID uint32, m proto.Message) error {
	b, err := Frame(et, version, requestID, m)
	if err != nil {
		return err
	}
	if err := c.SendRaw(b); err != nil {
		return fmt.Errorf("send %s: %w", et, err)
	}
	return nil
}

// SendRaw writes frame as one binary message, unchecked.
func (c *Client) SendRaw(frame []byte) error {
	return c.Conn.WriteMessage(websocket.BinaryMessage, frame)
}

// Message is one message from the server: an ICD frame, or text (the
// PONG of the keep-alive).
type Message struct {
	Header  icd.Header
	Payload []byte // the protobuf after the header
	Text    string // set for a text message; Header is zero then
	IsText  bool
}

// Decode decodes the payload into m.
func (m Message) Decode(pm proto.Message) error {
	if err := proto.Unmarshal(m.Payload, pm); err != nil {
		return fmt.Errorf("decode %s: %w", m.Header.Type, err)
	}
	return nil
}

// Is reports whether m is a frame of event et.
func (m Message) Is(et icd.EventType) bool { return !m.IsText && m.Header.Type == et }

// String names the message for failure reports; ERROR_DATA shows its
// text.
func (m Message) String() string {
	if m.IsText {
		return fmt.Sprintf("text %q", m.Text)
	}
	if m.Header.Type == icd.EventType_ERROR_DATA {
		var e icd.ErrorData
		if proto.Unmarshal(m.Payload, &e) == nil {
			return fmt.Sprintf("ERROR_DATA %q (req %d)", e.Message, m.Header.RequestID)
		}
	}
	return fmt.Sprintf("%s (req %d)", m.Header.Type, m.Header.RequestID)
}

// clone copies the payload out of the client's reused buffer.
func (m Message) clone() Message {
	m.Payload = bytes.Clone(m.Payload)
	return m
}

// Next reads the next message. Its payload is valid until the next read
// (big tiles are read into one reused buffer). The read gives up at
// ctx's deadline, or after DefaultTimeout without one; a connection
// that timed out is unusable, as gorilla's are.
func (c *Client) Next(ctx context.Context) (Message, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	c.Conn.SetReadDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.Conn.SetReadDeadline(time.Now()) })
	defer stop()
	kind, r, err := c.Conn.NextReader()
	if err == nil {
		c.buf.Reset()
		_, err = io.Copy(&c.buf, r)
	}
	if err != nil {
		if ctx.Err() != nil {
			return Message{}, fmt.Errorf("read: %w", ctx.Err())
		}
		if ok && !time.Now().Before(deadline) {
			// The socket's deadline fired before ctx's timer did.
			return Message{}, fmt.Errorf("read: %w (%w)", context.DeadlineExceeded, err)
		}
		return Message{}, fmt.Errorf("read: %w", err)
	}
	if kind == websocket.TextMessage {
		return Message{Text: c.buf.String(), IsText: true}, nil
	}
	h, p, err := icd.DecodeFrame(c.buf.Bytes())
	if err != nil {
		return Message{}, fmt.Errorf("read: %w", err)
	}
	return Message{Header: h, Payload: p}, nil
}

// Match selects messages in Await; nil matches every message of the
// awaited type.
type Match func(Message) bool

// Await reads up to the first frame of event et that match accepts and
// returns it (payload valid until the next read) and copies of the
// messages read before it, in order.
func (c *Client) Await(ctx context.Context, et icd.EventType, match Match) (Message, []Message, error) {
	var others []Message
	m, err := c.Skip(ctx, et, match, func(o Message) { others = append(others, o.clone()) })
	return m, others, err
}

// Skip is Await without keeping what it passes: each (if not nil) sees
// every other message, valid only during the call.
func (c *Client) Skip(ctx context.Context, et icd.EventType, match Match, each func(Message)) (Message, error) {
	for {
		m, err := c.Next(ctx)
		if err != nil {
			return Message{}, fmt.Errorf("awaiting %s: %w", et, err)
		}
		if m.Is(et) && (match == nil || match(m)) {
			return m, nil
		}
		if each != nil {
			each(m)
		}
	}
}

// Expect reads the next frame, which must be of event et, into pm
// (unless nil). Text messages on the way are an error too.
func (c *Client) Expect(ctx context.Context, et icd.EventType, pm proto.Message) (Message, error) {
	m, err := c.Next(ctx)
	if err != nil {
		return m, fmt.Errorf("expecting %s: %w", et, err)
	}
	if !m.Is(et) {
		return m, fmt.Errorf("got %s, want %s", m, et)
	}
	if pm != nil {
		return m, m.Decode(pm)
	}
	return m, nil
}

// Register sends REGISTER_VIEWER for sessionID (0: a new session) with
// the frontend's feature flags and returns the ack, successful or not.
func (c *Client) Register(ctx context.Context, sessionID uint32) (*icd.RegisterViewerAck, error) {
	req := c.NextID()
	if err := c.Send(icd.EventType_REGISTER_VIEWER, req, &icd.RegisterViewer{SessionId: sessionID, ClientFeatureFlags: 5}); err != nil {
		return nil, err
	}
	var ack icd.RegisterViewerAck
	m, _, err := c.Await(ctx, icd.EventType_REGISTER_VIEWER_ACK, nil)
	if err == nil {
		err = m.Decode(&ack)
	}
	return &ack, err
}

// Ping sends the frontend's text keep-alive "PING". The server answers
// "PONG" in order with its other messages.
func (c *Client) Ping() error {
	return c.Conn.WriteMessage(websocket.TextMessage, []byte("PING"))
}

// ToPong sends PING and reads up to the PONG, passing each frame on the
// way to each (unless nil; valid only during the call). It proves the
// server read everything sent before and answered in order.
func (c *Client) ToPong(ctx context.Context, each func(Message)) error {
	if err := c.Ping(); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	for {
		m, err := c.Next(ctx)
		if err != nil {
			return fmt.Errorf("awaiting PONG: %w", err)
		}
		if m.IsText && m.Text == "PONG" {
			return nil
		}
		if each != nil && !m.IsText {
			each(m)
		}
	}
}

// ReadClose reads until the server's close frame and returns it; any
// other end of the connection is an error.
func (c *Client) ReadClose(ctx context.Context) (*websocket.CloseError, error) {
	for {
		_, err := c.Next(ctx)
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			return nil, fmt.Errorf("want a close frame, got %w", err)
		}
		return ce, nil
	}
}
