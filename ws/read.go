package ws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// firstChunk is the buffer a message is first read into; most frontend
// messages are far smaller. Larger messages grow it by doubling.
const firstChunk = 4 << 10

var (
	// errTooBig reports a message over the size limit (close 1009).
	errTooBig = errors.New("message too big")
	// errBusy reports that the server's memory budget refused the bytes
	// a message needs (close 1013, try again later).
	errBusy = errors.New("server memory budget exhausted")
)

// readLoop is the only reader. It hands binary messages, in order, to
// the handler goroutine and sees that PING is answered even while slow
// file work holds that goroutine (handleText).
func (c *conn) readLoop(ctx context.Context) {
	defer c.recoverPanic("read loop")
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		select {
		case <-c.done: // closing: stop reading, let run finish the close
			return
		default:
		}
		kind, m, err := c.readMessage()
		if err != nil {
			c.logReadEnd(err)
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(pongWait))
		if !c.route(ctx, kind, m) {
			return
		}
	}
}

// route answers a text message or hands a binary one to the handler
// goroutine; it releases m's charge unless it handed m on, even when it
// panics. It reports false once the connection is closing.
func (c *conn) route(ctx context.Context, kind int, m inMsg) bool {
	handed := false
	defer func() {
		if !handed {
			m.release()
		}
	}()
	if c.hooks != nil && c.hooks.onRead != nil {
		c.hooks.onRead(m.data)
	}
	switch kind {
	case websocket.TextMessage:
		c.handleText(ctx, m.data)
	case websocket.BinaryMessage:
		// Waits while the inbox is full: backpressure on the socket.
		// push releases m itself when it fails.
		handed = true
		return c.in.push(ctx, m) == nil
	}
	return true
}

// readMessage reads one whole message into a buffer that grows as the
// message does, charging each growth to the server's memory budget, and
// stops as soon as the message passes the size limit. gorilla inflates
// compressed messages as they are read, so a small compressed message
// costs no more than its inflated bytes up to the limit.
func (c *conn) readMessage() (int, inMsg, error) {
	kind, r, err := c.ws.NextReader()
	if err != nil {
		return 0, inMsg{}, err
	}
	m := inMsg{mem: c.mem}
	buf, err := m.grow(nil, min(firstChunk, c.maxMsg))
	if err != nil {
		err = c.refuseBusy(err)
	}
	for err == nil {
		switch {
		case len(buf) < cap(buf):
			var n int
			n, err = r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		case int64(cap(buf)) >= c.maxMsg:
			err = c.checkEnd(r)
		default:
			buf, err = m.grow(buf, min(2*int64(cap(buf)), c.maxMsg))
			if err != nil {
				err = c.refuseBusy(err)
			} else if c.hooks != nil && c.hooks.onGrow != nil {
				c.hooks.onGrow(int64(cap(buf)))
			}
		}
	}
	if err != io.EOF {
		m.release()
		return 0, inMsg{}, err
	}
	m.data = buf
	return kind, m, nil
}

// checkEnd is called with exactly MaxMessageSize bytes read: one more
// byte means the message is too big, io.EOF that it is complete.
func (c *conn) checkEnd(r io.Reader) error {
	var one [1]byte
	if n, err := io.ReadAtLeast(r, one[:], 1); n == 0 {
		return err
	}
	return c.refuse(websocket.CloseMessageTooBig, errTooBig,
		fmt.Sprintf("message larger than the %d-byte limit (--max-message-size)", c.maxMsg))
}

// refuse sends the close frame for a message the server will not read
// and returns the error that ends the read loop.
func (c *conn) refuse(code int, err error, reason string) error {
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeWait))
	return fmt.Errorf("%w: %s", err, reason)
}

// refuseBusy closes with 1013 when the memory budget cannot hold a
// message. The close reason must fit a control frame (123 bytes), so the
// budget's own message goes to the log.
func (c *conn) refuseBusy(err error) error {
	c.log.Warn("memory budget refused an incoming message", "err", err)
	return c.refuse(websocket.CloseTryAgainLater, errBusy, "server busy: memory limit reached (--memory-limit), try again later")
}

func (c *conn) logReadEnd(err error) {
	switch {
	case errors.Is(err, errTooBig), errors.Is(err, errBusy):
		c.log.Warn("closing connection", "reason", err)
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
		c.log.Info("client closed connection")
	default:
		c.log.Info("connection ended", "err", err)
	}
}

// pongFallback is how long a PING waits for the messages read before it
// to be handled. PONG normally follows them, so a client (or a test) can
// use PING as a barrier as it always could; but a handler stuck in slow
// file work must not stop the keep-alive, so after pongFallback the read
// side answers at once. The frontend pings every 5 s and never times out
// on PONG; scripts checking liveness wait a few seconds.
const pongFallback = 500 * time.Millisecond

// pingTicket is one PING whose PONG is sent once, by whichever of the
// handler goroutine (in order) and the fallback timer comes first.
type pingTicket struct {
	answered atomic.Bool
	timer    *time.Timer
}

// claim reports whether the caller is the one to answer.
func (p *pingTicket) claim() bool { return p.answered.CompareAndSwap(false, true) }

// handleText answers the frontend's keep-alive: PING goes through the
// inbox behind the binary messages read before it, with the fallback
// above. Other text is not part of the protocol and is logged only.
func (c *conn) handleText(ctx context.Context, data []byte) {
	if string(data) != "PING" {
		c.log.Debug("ignoring text frame", "len", len(data))
		return
	}
	p := &pingTicket{}
	// The timer's function must not read p.timer: it is set after.
	p.timer = time.AfterFunc(pongFallback, func() { c.pong(ctx, p) })
	if !c.in.tryPush(inMsg{ping: p}) { // full: answer now
		p.timer.Stop()
		c.pong(ctx, p)
	}
}

// pong sends PONG for p unless it was answered already.
func (c *conn) pong(ctx context.Context, p *pingTicket) {
	if p.claim() {
		_ = c.enqueue(ctx, &outFrame{kind: websocket.TextMessage, data: []byte("PONG"), class: "response"})
	}
}

// grow returns buf copied into a buffer of capacity size, charging the
// new buffer to the budget before it is allocated and releasing the old
// one after the copy.
func (m *inMsg) grow(buf []byte, size int64) ([]byte, error) {
	if err := m.mem.Acquire(size, "incoming message"); err != nil {
		return buf, err
	}
	bigger := make([]byte, len(buf), size)
	copy(bigger, buf)
	m.mem.Release(m.charged)
	m.charged = size
	return bigger, nil
}

// release returns the message's charge; call once, when done with data.
func (m *inMsg) release() {
	m.mem.Release(m.charged)
	m.charged = 0
}
