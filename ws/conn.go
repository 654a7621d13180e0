package ws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/session"
)

const (
	// writeWait bounds one write; a peer that does not read for this
	// long is treated as dead.
	writeWait = 10 * time.Second
	// pongWait is how long the read loop waits for any frame, pong
	// included, before declaring the peer dead.
	pongWait = 60 * time.Second
	// pingPeriod sends protocol pings well inside pongWait; browsers
	// answer them without involving the page.
	pingPeriod = pongWait * 9 / 10
	// closeGrace is how long Close waits for the write loop to flush.
	closeGrace = 2 * time.Second
)

// outFrame is one queued websocket message.
type outFrame struct {
	kind int // websocket.BinaryMessage or websocket.TextMessage
	data []byte
}

// conn is one websocket connection.
type conn struct {
	// Immutable after newConn.
	ws     *websocket.Conn
	log    *slog.Logger
	maxMsg int64
	out    chan outFrame // bounded; producers block while full

	closeOnce sync.Once
	done      chan struct{} // closed by Close; stops producers and the write loop
	mu        sync.Mutex
	reason    string // guarded by mu; close reason sent to the peer
}

func newConn(ws *websocket.Conn, log *slog.Logger, maxMsg int64, queue int) *conn {
	return &conn{ws: ws, log: log, maxMsg: maxMsg, out: make(chan outFrame, queue), done: make(chan struct{})}
}

// Send frames m behind an ICD header and queues it. Safe for concurrent use.
func (c *conn) Send(ctx context.Context, t icd.EventType, requestID uint32, m proto.Message) error {
	frame := icd.AppendHeader(make([]byte, 0, icd.HeaderSize+proto.Size(m)), icd.Header{Type: t, Version: icd.Version, RequestID: requestID})
	frame, err := proto.MarshalOptions{}.MarshalAppend(frame, m)
	if err != nil {
		return fmt.Errorf("marshal %s: %w", t, err)
	}
	return c.enqueue(ctx, outFrame{kind: websocket.BinaryMessage, data: frame})
}

func (c *conn) enqueue(ctx context.Context, f outFrame) error {
	select {
	case c.out <- f:
		return nil
	case <-c.done:
		return errors.New("connection closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close asks the write loop to send a close frame with reason and end the
// connection. Safe for concurrent use; only the first reason counts.
func (c *conn) Close(reason string) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.reason = reason
		c.mu.Unlock()
		close(c.done)
	})
}

func (c *conn) closeReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// run serves the connection until the peer leaves, ctx ends or Close is
// called. It returns after both loops have stopped.
func (c *conn) run(ctx context.Context, client *session.Client) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.writeLoop(ctx)
	}()
	go func() { // ctx ends on server shutdown: close politely
		select {
		case <-ctx.Done():
			c.Close("server shutting down")
		case <-c.done:
		}
	}()
	c.readLoop(ctx, client)
	client.Close()
	c.Close("")
	wg.Wait()
	c.ws.Close()
}

// readLoop is the only reader. It handles each frame to completion before
// reading the next, so a session sees its messages in order.
func (c *conn) readLoop(ctx context.Context, client *session.Client) {
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		select {
		case <-c.done: // closing: stop handling, let run finish the close
			return
		default:
		}
		kind, data, err := c.readMessage()
		if err != nil {
			c.logReadEnd(err)
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(pongWait))
		switch kind {
		case websocket.TextMessage:
			c.handleText(ctx, data)
		case websocket.BinaryMessage:
			c.handleBinary(ctx, client, data)
		}
	}
}

// errTooBig reports a message over the size limit.
var errTooBig = errors.New("message too big")

// readMessage reads one whole message, refusing to buffer more than the
// limit. gorilla's own limit closes without saying why; ours names it.
func (c *conn) readMessage() (int, []byte, error) {
	kind, r, err := c.ws.NextReader()
	if err != nil {
		return 0, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, c.maxMsg+1))
	if err != nil {
		return 0, nil, err
	}
	if int64(len(data)) > c.maxMsg {
		reason := fmt.Sprintf("message larger than the %d-byte limit (--max-message-size)", c.maxMsg)
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseMessageTooBig, reason), time.Now().Add(writeWait))
		return 0, nil, fmt.Errorf("%w: %s", errTooBig, reason)
	}
	return kind, data, nil
}

func (c *conn) logReadEnd(err error) {
	switch {
	case errors.Is(err, errTooBig):
		c.log.Warn("closing connection", "reason", err)
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
		c.log.Info("client closed connection")
	default:
		c.log.Info("connection ended", "err", err)
	}
}

// handleText answers the frontend's keep-alive. Other text is not part of
// the protocol and is logged only.
func (c *conn) handleText(ctx context.Context, data []byte) {
	if string(data) != "PING" {
		c.log.Debug("ignoring text frame", "len", len(data))
		return
	}
	_ = c.enqueue(ctx, outFrame{kind: websocket.TextMessage, data: []byte("PONG")})
}

func (c *conn) handleBinary(ctx context.Context, client *session.Client, data []byte) {
	hdr, payload, err := icd.DecodeFrame(data)
	if err != nil {
		client.HandleShortFrame(ctx, len(data))
		return
	}
	c.log.Debug("received", "event", hdr.Type.String(), "request", hdr.RequestID, "bytes", len(payload))
	client.Handle(ctx, hdr, payload)
}

// writeLoop is the only writer. After Close it flushes what is queued,
// sends the close frame and returns.
func (c *conn) writeLoop(ctx context.Context) {
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case f := <-c.out:
			if err := c.write(f); err != nil {
				c.log.Info("write failed", "err", err)
				c.Close("")
				c.ws.Close() // unblocks the read loop
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.Close("")
				c.ws.Close()
				return
			}
		case <-c.done:
			c.flush()
			return
		}
	}
}

func (c *conn) write(f outFrame) error {
	c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	return c.ws.WriteMessage(f.kind, f.data)
}

// flush writes what is still queued (bounded by closeGrace), then the
// close frame, then waits briefly for the peer's close before dropping
// the socket so the read loop ends.
func (c *conn) flush() {
	deadline := time.Now().Add(closeGrace)
	for time.Now().Before(deadline) {
		select {
		case f := <-c.out:
			if c.write(f) != nil {
				c.ws.Close()
				return
			}
			continue
		default:
		}
		break
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, c.closeReason())
	if c.closeReason() != "" {
		msg = websocket.FormatCloseMessage(websocket.CloseGoingAway, c.closeReason())
	}
	c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
	// Give the peer closeGrace to answer; then the read loop gives up.
	c.ws.UnderlyingConn().SetReadDeadline(time.Now().Add(closeGrace))
}
