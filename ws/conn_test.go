package ws

import (
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
	"cartago/session"
)

// TestPanicClosesOnlyThatConnection: a panic while serving one
// connection, in its read loop or its handler goroutine, ends it with
// 1011 and leaves the server and the other connections running.
func TestPanicClosesOnlyThatConnection(t *testing.T) {
	panicOn := func(data []byte) {
		if string(data) == "PANIC" {
			panic("test panic")
		}
	}
	for name, hooks := range map[string]*testHooks{
		"read loop": {onRead: panicOn},
		"handler":   {beforeHandle: panicOn},
	} {
		t.Run(name, func(t *testing.T) {
			mem := budget.NewMemory(1 << 30)
			ts := startServer(t, Config{AuthToken: testToken, Memory: mem, hooks: hooks})
			other := ts.dial(t, testToken)
			register(t, other, 0)

			victim := ts.dial(t, testToken)
			kind := websocket.TextMessage
			if hooks.beforeHandle != nil {
				kind = websocket.BinaryMessage // only binary messages reach the handler
			}
			if err := victim.WriteMessage(kind, []byte("PANIC")); err != nil {
				t.Fatal(err)
			}
			if code, text := closeCode(victim); code != websocket.CloseInternalServerErr {
				t.Fatalf("close = %d %q, want 1011", code, text)
			}
			sendMsg(t, other, icd.EventType_FILE_LIST_REQUEST, icd.Version, 7, &icd.FileListRequest{Directory: "."})
			var list icd.FileListResponse
			recv(t, other, icd.EventType_FILE_LIST_RESPONSE, 7, &list)
			register(t, ts.dial(t, testToken), 0) // and new connections are served
			waitIdle(t, mem)                      // the panicking message's charge was released
		})
	}
}

// TestPingAnsweredWhileHandlerBlocks: file work that blocks (here a
// handler held by a test hook, as a FIFO would hold an open) must not
// stop the read loop answering the frontend's PING.
func TestPingAnsweredWhileHandlerBlocks(t *testing.T) {
	release := make(chan struct{})
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // also when the test fails
	blocked := make(chan struct{}, 1)
	hooks := &testHooks{beforeHandle: func([]byte) {
		select {
		case blocked <- struct{}{}:
			<-release // only the first message blocks
		default:
		}
	}}
	ts := startServer(t, Config{AuthToken: testToken, hooks: hooks})
	c := ts.dial(t, testToken)
	sendMsg(t, c, icd.EventType_REGISTER_VIEWER, icd.Version, 1, &icd.RegisterViewer{SessionId: 0, ClientFeatureFlags: 5})
	<-blocked
	for range 3 {
		if err := c.WriteMessage(websocket.TextMessage, []byte("PING")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		kind, data, err := c.ReadMessage()
		if err != nil || kind != websocket.TextMessage || string(data) != "PONG" {
			t.Fatalf("while a handler blocks: got %d %q %v, want PONG", kind, data, err)
		}
	}
	unblock()
	var ack icd.RegisterViewerAck
	recv(t, c, icd.EventType_REGISTER_VIEWER_ACK, 1, &ack)
	if !ack.Success {
		t.Fatalf("register after the block: %+v", &ack)
	}
}

// writeBigCube writes a w×h×d float32 cube, big enough that raw tiles
// fill a small outgoing budget quickly.
func writeBigCube(t *testing.T, path string, w, h, d int) {
	t.Helper()
	data := make([]float32, w*h*d)
	for i := range data {
		data[i] = float32(i % 9973)
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, d}, Data: data}))
}

// dialSlow opens a websocket whose socket buffers are tiny, so a client
// that stops reading is felt by the server soon.
func (ts *testServer) dialSlow(t *testing.T) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if err == nil {
			c.(*net.TCPConn).SetReadBuffer(64 << 10)
		}
		return c, err
	}}
	c, _, err := d.Dial("ws://"+ts.addr+"/?token="+testToken, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSlowConsumerStaysWithinQueueBudget: a client that stops reading
// while the server produces many tiles of changing channels. The queued
// bytes stay within the connection's budget (stale tiles are dropped,
// producers wait) and the response to a later request still arrives
// once the client reads again.
func TestSlowConsumerStaysWithinQueueBudget(t *testing.T) {
	const queueBytes = 1 << 20
	root := t.TempDir()
	writeBigCube(t, filepath.Join(root, "big.fits"), 1024, 1024, 4)
	folder, err := session.NewFolder(root, "")
	must(t, err)
	conns := make(chan *conn, 1)
	mem := budget.NewMemory(1 << 30)
	ts := startServerWith(t, Config{AuthToken: testToken, QueueBytes: queueBytes, Memory: mem,
		hooks: &testHooks{onConn: func(c *conn) {
			c.ws.UnderlyingConn().(*net.TCPConn).SetWriteBuffer(64 << 10) // feel the client at once
			conns <- c
		}}}, session.Config{Folder: folder, RawTiles: true})
	c := ts.dialSlow(t)
	register(t, c, 0)
	server := <-conns
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 2, &icd.OpenFile{Directory: ".", File: "big.fits", FileId: 0})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 2, &ack)
	if !ack.Success {
		t.Fatalf("open: %+v", &ack)
	}
	var view []int32 // 4×4 full-resolution tiles of 256 KiB each
	for y := range 4 {
		for x := range 4 {
			view = append(view, tiles.Encode(x, y, 2))
		}
	}
	// The client reads nothing meanwhile. Each channel change comes
	// once the tiles of the previous one have filled the queue.
	for i := range 6 {
		sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 0, &icd.SetImageChannels{FileId: 0, Channel: int32(i % 4),
			RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: view, CompressionType: icd.CompressionType_NONE}})
		pollStats(t, server, func(s outStats) bool { return s.waits > i })
	}
	sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, icd.Version, 99, &icd.FileListRequest{Directory: "."})
	pollStats(t, server, func(s outStats) bool { return s.dropped["tile"] > 0 })
	readUntil(t, c, icd.EventType_FILE_LIST_RESPONSE, 99)
	stats, _ := server.out.snapshot(0)
	if stats.peakBytes > queueBytes {
		t.Errorf("queued %d bytes, over the %d-byte budget", stats.peakBytes, queueBytes)
	}
	t.Logf("outgoing queue: dropped %v (%d bytes), %d producer waits (%v), peak %d bytes; budget %+v",
		stats.dropped, stats.droppedBytes, stats.waits, stats.waited, stats.peakBytes, mem.Stats())
}

// pollStats waits until the connection's outgoing counters satisfy ok.
func pollStats(t *testing.T, c *conn, ok func(outStats) bool) outStats {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		s, _ := c.out.snapshot(0)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("outgoing counters never got there: %+v", s)
		}
	}
}

// readUntil reads and discards messages until one of type want with
// request id req arrives.
func readUntil(t *testing.T, c *websocket.Conn, want icd.EventType, req uint32) {
	t.Helper()
	for {
		h, _ := next(t, c)
		if h.Type == want && h.RequestID == req {
			return
		}
	}
}

// PING stays a barrier: its PONG follows the answers to the messages
// sent before it when they are handled within pongFallback.
func TestPongFollowsEarlierMessages(t *testing.T) {
	var once sync.Once
	hooks := &testHooks{beforeHandle: func([]byte) {
		once.Do(func() { time.Sleep(100 * time.Millisecond) }) // slow, but within pongFallback
	}}
	ts := startServer(t, Config{AuthToken: testToken, hooks: hooks})
	c := ts.dial(t, testToken)
	sendMsg(t, c, icd.EventType_REGISTER_VIEWER, icd.Version, 1, &icd.RegisterViewer{SessionId: 0, ClientFeatureFlags: 5})
	if err := c.WriteMessage(websocket.TextMessage, []byte("PING")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	kind, _, err := c.ReadMessage()
	if err != nil || kind != websocket.BinaryMessage {
		t.Fatalf("first answer: kind %d, err %v; want REGISTER_VIEWER_ACK before PONG", kind, err)
	}
	kind, data, err := c.ReadMessage()
	if err != nil || kind != websocket.TextMessage || string(data) != "PONG" {
		t.Fatalf("second answer: %d %q %v, want PONG", kind, data, err)
	}
}
