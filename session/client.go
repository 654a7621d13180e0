package session

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// Client serves one websocket connection. Handle and Close must be called
// from the connection's handler goroutine only.
type Client struct {
	// Immutable after NewClient. Background work (workers, animation)
	// reaches the client through Session.send and may use only these.
	mgr   *Manager
	out   Sender
	owner []byte // hash of the access token the socket presented

	// Owned by the connection's handler goroutine.
	log     *slog.Logger // gains the session id at REGISTER_VIEWER
	session *Session
}

// request is one decoded frame handed to a handler.
type request struct {
	ctx     context.Context
	hdr     icd.Header
	payload []byte
}

// Handle runs the handler for one frame. Every failure, including a panic,
// is logged and answered with ERROR_DATA; the connection stays up.
func (c *Client) Handle(ctx context.Context, hdr icd.Header, payload []byte) {
	err := c.dispatch(request{ctx: ctx, hdr: hdr, payload: payload})
	if err != nil {
		c.reportError(ctx, hdr, err)
	}
}

// HandleShortFrame answers a binary frame too short to carry a header.
func (c *Client) HandleShortFrame(ctx context.Context, n int) {
	err := fmt.Errorf("%w: got %d bytes", icd.ErrShortFrame, n)
	c.reportError(ctx, icd.Header{}, err)
}

// Close detaches the client from its session; the session itself stays
// in memory for the idle timeout.
func (c *Client) Close() {
	if c.session != nil {
		c.session.stopAnimation()  // nobody left to watch it
		c.session.moments.stop(-1) // nor to receive its images
		c.session.fits.stop(-1)
		c.session.pv.runs.stop(-1)
		c.session.previews.remove(-1)
		c.mgr.detach(c, c.session)
		c.session = nil
	}
}

// SessionID returns the registered session id, or 0 before REGISTER_VIEWER.
func (c *Client) SessionID() uint32 {
	if c.session == nil {
		return 0
	}
	return c.session.ID
}

func (c *Client) dispatch(r request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("handler panic", "event", r.hdr.Type.String(), "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w handling %s", errInternal, r.hdr.Type)
		}
	}()
	h, ok := handlers[r.hdr.Type]
	switch {
	case !ok:
		return fmt.Errorf("%w %d", ErrUnknownEvent, uint16(r.hdr.Type))
	case h.needsSession && c.session == nil:
		return fmt.Errorf("%s: %w", r.hdr.Type, ErrNotRegistered)
	}
	if s := c.session; s != nil {
		s.touch()
		// Checkpoint even after a failure: a handler may have changed
		// part of the state before failing.
		defer func() {
			if h.changes {
				s.markDirty()
			}
		}()
	}
	return h.fn(c, r)
}

// reportError is the one place where handler errors become ERROR_DATA,
// by the rule in errors.go.
func (c *Client) reportError(ctx context.Context, hdr icd.Header, err error) {
	msg := errorData(hdr.Type, "", err, c.mgr.folder.Redact)
	level := slog.LevelWarn
	if msg.Severity == icd.ErrorSeverity_DEBUG {
		level = slog.LevelDebug // routine, e.g. a message for a file just closed
	}
	c.log.Log(ctx, level, "request failed", "event", hdr.Type.String(), "request", hdr.RequestID, "session", c.SessionID(), "err", err)
	c.send(ctx, icd.EventType_ERROR_DATA, hdr.RequestID, msg)
}

// send queues m; a failure means the socket is going away, which the read
// loop notices by itself, so it is only logged. Read loop only: it uses
// c.log; background work uses stream.
func (c *Client) send(ctx context.Context, t icd.EventType, requestID uint32, m proto.Message) {
	if err := c.out.Send(ctx, t, requestID, m); err != nil {
		c.log.Debug("send dropped", "event", t.String(), "err", err)
	}
}

// stream queues m for the background work of a session, logging failures
// to that session's log. It reads only immutable fields, so it is safe
// for concurrent use, also while the handler goroutine re-registers the
// client.
func (c *Client) stream(ctx context.Context, log *slog.Logger, t icd.EventType, m proto.Message) {
	if err := c.out.Send(ctx, t, 0, m); err != nil {
		log.Debug("send dropped", "event", t.String(), "err", err)
	}
}

// decode unmarshals a payload, wrapping failures in ErrBadPayload.
func decode(r request, m proto.Message) error {
	if err := proto.Unmarshal(r.payload, m); err != nil {
		return fmt.Errorf("%s: %w: %v", r.hdr.Type, ErrBadPayload, err)
	}
	return nil
}
