package ws

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/gorilla/websocket"
)

// writeLoop is the only writer. After Close it flushes what is queued,
// sends the close frame and returns.
func (c *conn) writeLoop(ctx context.Context) {
	defer c.recoverPanic("write loop")
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	stats := time.NewTicker(statsEvery)
	defer stats.Stop()
	for {
		select {
		case <-c.out.ready:
			if err := c.writeQueued(); err != nil {
				c.log.Info("write failed", "err", err)
				if isTimeout(err) { // the peer stopped reading for writeWait
					c.met.slowClose()
				}
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
		case <-stats.C:
			c.logOutStats(false)
		case <-c.done:
			c.flush()
			return
		}
	}
}

// writeQueued writes queued frames until the queue is empty or the
// connection is closing (then flush takes over, bounded in time).
func (c *conn) writeQueued() error {
	for f := c.out.front(); f != nil; f = c.out.front() {
		if err := c.write(f); err != nil {
			return err
		}
		c.out.pop()
		select {
		case <-c.done:
			return nil
		default:
		}
	}
	return nil
}

func (c *conn) write(f *outFrame) error {
	c.ws.SetWriteDeadline(time.Now().Add(c.writeWait()))
	c.ws.EnableWriteCompression(f.compress) // no-op unless negotiated
	if err := c.ws.WriteMessage(f.kind, f.data); err != nil {
		return err
	}
	if f.kind == websocket.BinaryMessage {
		c.met.sent(f.event, len(f.data))
	}
	return nil
}

// writeWait is how long one write may block before the peer counts as
// a slow consumer and is closed.
func (c *conn) writeWait() time.Duration {
	if c.hooks != nil && c.hooks.writeWait > 0 {
		return c.hooks.writeWait
	}
	return writeWait
}

// flush writes what is still queued (bounded by closeGrace), then the
// close frame, then waits briefly for the peer's close before dropping
// the socket so the read loop ends.
func (c *conn) flush() {
	deadline := time.Now().Add(closeGrace)
	for f := c.out.front(); f != nil && time.Now().Before(deadline); f = c.out.front() {
		if c.write(f) != nil {
			c.ws.Close()
			return
		}
		c.out.pop()
	}
	code := websocket.CloseNormalClosure
	switch c.closeReason() {
	case "":
	case reasonInternal:
		code = websocket.CloseInternalServerErr
	default:
		code = websocket.CloseGoingAway
	}
	msg := websocket.FormatCloseMessage(code, c.closeReason())
	c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
	// Give the peer closeGrace to answer; then the read loop gives up.
	c.ws.UnderlyingConn().SetReadDeadline(time.Now().Add(closeGrace))
}

// isTimeout reports whether a write failed on its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
