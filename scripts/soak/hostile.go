package main

import (
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/bench"
	"cartago/ws/wstest"
)

// hostileWait bounds how long a hostile request may go unanswered
// before it counts as hanging the server.
const hostileWait = 15 * time.Second

// Kinds of the hostile clients, in report order.
var hostileKinds = []string{"fifo-list", "fifo-info", "fifo-open", "fifo-ping", "oversized", "deflate"}

// every starts a round of f now and then every period until load ends,
// each under run, so that a round started near the end still counts
// (each is bounded by its own timeouts). With overlap the rounds run
// in their own goroutines, so that hung rounds do not delay the next;
// every returns once all have finished.
func every(load, run context.Context, period time.Duration, overlap bool, f func(context.Context)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for load.Err() == nil {
		if overlap {
			wg.Go(func() { f(run) })
		} else {
			f(run)
		}
		sleep(load, period)
	}
}

// fifoRound asks about the FIFO in the root on two fresh sessions: a
// listing, FILE_INFO_REQUEST and then PING on one, OPEN_FILE and then
// PING on the other. Each answer must come within hostileWait, and
// FILE_INFO and OPEN_FILE must refuse.
func fifoRound(ctx context.Context, url string, st *stats) {
	var wg sync.WaitGroup
	wg.Go(func() {
		hostileSession(ctx, url, st, func(ctx context.Context, c *wstest.Client) error {
			var l icd.FileListResponse
			err := hostileRequest(ctx, st, "fifo-list", c, icd.EventType_FILE_LIST_REQUEST, &icd.FileListRequest{Directory: "."},
				icd.EventType_FILE_LIST_RESPONSE, &l, func() error { return failed(l.Success, l.Message) })
			if err != nil {
				return err
			}
			var info icd.FileInfoResponse
			return hostileRequest(ctx, st, "fifo-info", c, icd.EventType_FILE_INFO_REQUEST, &icd.FileInfoRequest{Directory: ".", File: fifoName},
				icd.EventType_FILE_INFO_RESPONSE, &info, func() error { return refused(info.Success, "FILE_INFO") })
		})
	})
	wg.Go(func() {
		hostileSession(ctx, url, st, func(ctx context.Context, c *wstest.Client) error {
			var ack icd.OpenFileAck
			return hostileRequest(ctx, st, "fifo-open", c, icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: fifoName, FileId: 1},
				icd.EventType_OPEN_FILE_ACK, &ack, func() error { return refused(ack.Success, "OPEN_FILE") })
		})
	})
	wg.Wait()
}

// hostileSession registers a fresh session, runs do, and if it was
// answered checks that the same socket still answers PING.
func hostileSession(ctx context.Context, url string, st *stats, do func(context.Context, *wstest.Client) error) {
	rctx, cancel := context.WithTimeout(ctx, hostileWait)
	defer cancel()
	c, _, err := wstest.Dial(rctx, url, wstest.Options{})
	if err != nil {
		return // the probe reports a server that takes no connections
	}
	defer c.Close()
	if _, err := c.Register(rctx, 0); err != nil || do(ctx, c) != nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	err = c.ToPong(pctx, nil)
	if !ended(ctx) {
		st.done("fifo-ping", time.Since(start), err)
	}
}

// hostileRequest is request under hostileWait, recorded as kind. A
// request the server answered wrongly counts as failed, and so does
// one it never answered; only the latter stops the session.
func hostileRequest(ctx context.Context, st *stats, kind string, c *wstest.Client, et icd.EventType, m proto.Message, want icd.EventType, ans proto.Message, ok func() error) error {
	rctx, cancel := context.WithTimeout(ctx, hostileWait)
	defer cancel()
	start := time.Now()
	err := request(rctx, c, et, m, want, ans, nil)
	if ended(ctx) {
		return context.Canceled
	}
	if err != nil {
		st.done(kind, time.Since(start), fmt.Errorf("no answer within %v: %w", hostileWait, err))
		return err
	}
	st.done(kind, time.Since(start), ok())
	return nil
}

func refused(success bool, what string) error {
	if success {
		return fmt.Errorf("%s on a FIFO succeeded", what)
	}
	return nil
}

// oversized sends one uncompressed message of mib MiB, in fragments,
// and expects the server to close the connection (1009) within
// hostileWait of the end of sending.
func oversized(ctx context.Context, url string, mib int, st *stats) {
	c, _, err := wstest.Dial(ctx, url, wstest.Options{NoCompression: true})
	if err != nil {
		return
	}
	defer c.Close()
	start := time.Now()
	werr := make(chan error, 1)
	go func() { werr <- writeZeros(c.Conn, mib) }() // fails once the server closes
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ce, err := c.ReadClose(rctx)
	c.Close()
	<-werr
	if ended(ctx) {
		return
	}
	if err == nil && ce.Code != websocket.CloseMessageTooBig {
		err = fmt.Errorf("closed with %d %q, want 1009", ce.Code, ce.Text)
	}
	st.done("oversized", time.Since(start), err)
}

// writeZeros writes one binary message of an ICD header and mib MiB of
// zeros in 1 MiB writes.
func writeZeros(c *websocket.Conn, mib int) error {
	w, err := c.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return err
	}
	hdr := icd.AppendHeader(nil, icd.Header{Type: icd.EventType_SET_REGION, Version: icd.Version, RequestID: 1})
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	zeros := make([]byte, 1<<20)
	for range mib {
		if _, err := w.Write(zeros); err != nil {
			return err
		}
	}
	return w.Close()
}

// deflateRound has n clients at once each send one message of mib MiB
// of zeros, compressed by permessage-deflate to a few hundred kB, then
// PING: the server must close the connection or answer within
// hostileWait after the sending.
func deflateRound(ctx context.Context, url string, n, mib int, st *stats) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { deflated(ctx, url, mib, st) })
	}
	wg.Wait()
}

func deflated(ctx context.Context, url string, mib int, st *stats) {
	c, _, err := wstest.Dial(ctx, url, wstest.Options{})
	if err != nil {
		return
	}
	defer c.Close()
	c.Conn.EnableWriteCompression(true)
	if err := c.Conn.SetCompressionLevel(flate.BestCompression); err != nil {
		return
	}
	start := time.Now()
	if err := writeZeros(c.Conn, mib); err != nil {
		if !ended(ctx) {
			st.done("deflate", time.Since(start), nil) // closed while we sent: refused
		}
		return
	}
	start = time.Now()
	rctx, cancel := context.WithTimeout(ctx, hostileWait)
	defer cancel()
	err = c.ToPong(rctx, nil)
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		err = nil // refused with a close frame: fine
	}
	if !ended(ctx) {
		st.done("deflate", time.Since(start), err)
	}
}

// nonReader opens the 4096² image and requests full-resolution views of
// it every 200 ms without ever reading, counting the requests it could
// send. A write blocked 2 s means the server stopped reading it; the
// connection is then held open, unread, until ctx ends.
type nonReader struct{ sent, blocked atomic.Int64 }

func (nr *nonReader) run(ctx context.Context, url string) {
	c, _, err := wstest.Dial(ctx, url, wstest.Options{})
	if err != nil {
		return
	}
	defer c.Close()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var ack icd.OpenFileAck
	if _, err := c.Register(rctx, 0); err != nil ||
		request(rctx, c, icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: bench.Image}, icd.EventType_OPEN_FILE_ACK, &ack, nil) != nil {
		return
	}
	w, h := int(ack.FileInfoExtended.Width), int(ack.FileInfoExtended.Height)
	rng := rand.New(rand.NewPCG(7, 7))
	for ctx.Err() == nil {
		v := bench.FullResView(w, h, 1920, 1080)
		v.CenterX, v.CenterY = float64(rng.IntN(w)), float64(rng.IntN(h))
		c.Conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if c.Send(icd.EventType_ADD_REQUIRED_TILES, c.NextID(), tileRequest(bench.Encode(v.Tiles(w, h)))) != nil {
			nr.blocked.Add(1)
			<-ctx.Done() // a timed-out write leaves the connection unusable; hold it
			return
		}
		nr.sent.Add(1)
		sleep(ctx, 200*time.Millisecond)
	}
}
