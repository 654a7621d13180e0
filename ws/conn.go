package ws

import (
	"compress/flate"
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
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
	// statsEvery rate-limits the outgoing-queue policy log per connection.
	statsEvery = 10 * time.Second
	// inboxLength bounds the messages read but not yet handled.
	inboxLength = 64
)

// reasonInternal closes a connection after a panic (close code 1011).
const reasonInternal = "internal server error"

// testHooks lets tests reach inside a connection; nil in production.
type testHooks struct {
	onRead       func(data []byte) // read loop, after each message
	beforeHandle func(data []byte) // handler goroutine, before each binary message
	onConn       func(c *conn)     // after the connection is set up
	onGrow       func(size int64)  // read loop, after a message's buffer grew
	writeWait    time.Duration     // replaces writeWait when not 0
}

// conn is one websocket connection: a read loop (the only reader), a
// handler goroutine (the only caller of the session client) and a write
// loop (the only writer), all owned by run.
type conn struct {
	// Immutable after newConn.
	ws     *websocket.Conn
	log    *slog.Logger
	maxMsg int64
	mem    *budget.Memory
	in     *inbox
	out    *outbox
	hooks  *testHooks
	met    *Metrics // nil counts nothing

	// version is the ICD version headers carry: the one the client
	// registered with, icd.Version before that (0 stands for it). Every
	// message goes out through this connection, background data
	// included, so a resumed or taken-over session answers in the
	// version of the client now attached.
	version atomic.Uint32

	closeOnce sync.Once
	done      chan struct{} // closed by Close; stops producers and the write loop
	mu        sync.Mutex
	reason    string // guarded by mu; close reason sent to the peer
}

func newConn(ws *websocket.Conn, log *slog.Logger, cfg Config) *conn {
	// Level 1 (gorilla's default, said here on purpose): see compress.go.
	ws.SetCompressionLevel(flate.BestSpeed)
	return &conn{
		ws: ws, log: log, maxMsg: cfg.MaxMessageSize, mem: cfg.Memory, hooks: cfg.hooks, met: cfg.Metrics,
		// The inbox holds up to MaxMessageSize (or one message), so a
		// connection holds at most three messages' worth of input: one
		// being read, the inbox, one being handled.
		in:   newInbox(inboxLength, cfg.MaxMessageSize),
		out:  newOutbox(cfg.QueueLength, cfg.QueueBytes, cfg.Memory, cfg.Metrics),
		done: make(chan struct{}),
	}
}

// Send frames m behind an ICD header and queues it under the outgoing
// policy (outbox.go). Safe for concurrent use.
func (c *conn) Send(ctx context.Context, t icd.EventType, requestID uint32, m proto.Message) error {
	f, err := frameFor(t, c.icdVersion(), requestID, m)
	if err != nil {
		return err
	}
	if err := c.enqueue(ctx, f); err != nil {
		f.recycle() // never queued
		return err
	}
	return nil
}

// icdVersion returns the version to write into headers.
func (c *conn) icdVersion() uint16 {
	if v := c.version.Load(); v != 0 {
		return uint16(v)
	}
	return icd.Version
}

func (c *conn) enqueue(ctx context.Context, f *outFrame) error {
	select {
	case <-c.done:
		return errClosed
	default:
	}
	return c.out.push(ctx, c.done, f)
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

// recoverPanic ends the connection (only this one) after a panic in one
// of its goroutines, logging the stack. Use as a deferred call.
func (c *conn) recoverPanic(where string) {
	if p := recover(); p != nil {
		c.log.Error("connection panic", "in", where, "panic", p, "stack", string(debug.Stack()))
		c.Close(reasonInternal)
	}
}

// run serves the connection until the peer leaves, ctx ends or Close is
// called. It returns after the read loop, the handler goroutine and the
// write loop have stopped.
func (c *conn) run(ctx context.Context, client *session.Client) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		c.writeLoop(ctx)
	}()
	hctx, stopHandler := context.WithCancel(ctx)
	handler := make(chan struct{})
	go func() {
		defer close(handler)
		c.handleLoop(hctx, client)
	}()
	go func() { // ctx ends on server shutdown: close politely
		select {
		case <-ctx.Done():
			c.Close("server shutting down")
		case <-c.done:
		}
	}()
	if c.hooks != nil && c.hooks.onConn != nil {
		c.hooks.onConn(c)
	}
	c.readLoop(ctx)
	// The peer is gone or the connection is closing: what is still
	// queued is not handled; the handler finishes its current message.
	c.in.close()
	stopHandler()
	<-handler
	c.Close("")
	writer.Wait()
	c.out.discard()
	c.logOutStats(true)
	c.ws.Close()
}

// handleLoop is the handler goroutine: it hands binary messages to the
// session in the order they were read, one at a time, so the session
// sees its messages in order while the read loop keeps answering PING.
func (c *conn) handleLoop(ctx context.Context, client *session.Client) {
	defer client.Close()
	defer c.in.close() // unblocks the read loop if this loop ends first
	defer c.recoverPanic("handler")
	for {
		m, ok := c.in.pop(ctx)
		if !ok {
			return
		}
		c.handle(ctx, client, m)
	}
}

// handle runs one message and releases its charge, panic or not.
func (c *conn) handle(ctx context.Context, client *session.Client, m inMsg) {
	defer m.release()
	if m.ping != nil { // the inbox ordered it after the messages before it
		m.ping.timer.Stop()
		c.pong(ctx, m.ping)
		return
	}
	if c.hooks != nil && c.hooks.beforeHandle != nil {
		c.hooks.beforeHandle(m.data)
	}
	c.handleBinary(ctx, client, m.data)
}

func (c *conn) handleBinary(ctx context.Context, client *session.Client, data []byte) {
	hdr, payload, err := icd.DecodeFrame(data)
	if err != nil {
		client.HandleShortFrame(ctx, len(data))
		return
	}
	c.met.received(hdr.Type)
	c.log.Debug("received", "event", hdr.Type.String(), "request", hdr.RequestID, "bytes", len(payload))
	if hdr.Type == icd.EventType_REGISTER_VIEWER && icd.Accepts(hdr.Version) {
		// Before the handler runs, so the ack carries it too. A refused
		// version is answered in ours: we cannot speak it.
		c.version.Store(uint32(hdr.Version))
	}
	client.Handle(ctx, hdr, payload)
}

// logOutStats logs what the outgoing policy dropped or waited for: at
// most every statsEvery while the connection runs, and once at the end.
func (c *conn) logOutStats(final bool) {
	s, due := c.out.snapshot(statsEvery)
	if !due && !(final && (len(s.dropped) > 0 || s.waits > 0)) {
		return
	}
	c.log.Info("slow consumer", "dropped", fmt.Sprint(s.dropped), "dropped_bytes", s.droppedBytes,
		"producer_waits", s.waits, "waited", s.waited.Round(time.Millisecond), "peak_queued_bytes", s.peakBytes, "final", final)
}
