package ws

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cartago/imaging/budget"
	"cartago/session"
)

// dialCompressed opens a websocket that negotiates permessage-deflate.
func (ts *testServer) dialCompressed(t testing.TB) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{EnableCompression: true}
	c, _, err := d.Dial("ws://"+ts.addr+"/?token="+testToken, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sendZeros streams one compressed binary message of n zero bytes
// without holding it in memory. Write errors are expected once the
// server refuses the message, so they only end the stream.
func sendZeros(c *websocket.Conn, n int64) {
	w, err := c.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return
	}
	chunk := make([]byte, 64<<10)
	for sent := int64(0); sent < n; sent += int64(len(chunk)) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	w.Close()
}

// closeCode reads until the server's close frame and returns its code
// and text, or -1 when the connection ended without one.
func closeCode(c *websocket.Conn) (int, string) {
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Text
			}
			return -1, err.Error()
		}
	}
}

// waitIdle polls until nothing is charged to mem any more.
func waitIdle(t testing.TB, mem *budget.Memory) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); mem.Stats().Used != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("budget still charged after every connection ended: %+v", mem.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCompressedOversizedMessageStopsAtLimit(t *testing.T) {
	const limit = 1 << 20
	mem := budget.NewMemory(1 << 30)
	ts := startServer(t, Config{AuthToken: testToken, MaxMessageSize: limit, Memory: mem})
	c := ts.dialCompressed(t)
	go sendZeros(c, 64<<20) // ~64 kB on the wire, 64 MiB inflated
	code, text := closeCode(c)
	if code != websocket.CloseMessageTooBig || !strings.Contains(text, "--max-message-size") {
		t.Fatalf("close = %d %q, want 1009 naming the limit", code, text)
	}
	// Growing by doubling holds at most the old and the new buffer.
	if peak := mem.Stats().Peak; peak > limit+limit/2 {
		t.Errorf("peak charge %d bytes for a %d-byte limit", peak, limit)
	}
	waitIdle(t, mem)
}

// TestCompressedFloodStaysWithinBudget is the attack of issue 9, scaled
// down: many connections each send one small compressed message that
// inflates far past what the server can hold together.
func TestCompressedFloodStaysWithinBudget(t *testing.T) {
	const conns, limit, total = 24, 4 << 20, 16 << 20
	mem := budget.NewMemory(total)
	// Each message pauses half-read until all are half-read or the
	// budget has refused one, so the connections overlap whatever the
	// scheduling: 24 half-read messages need three times the budget.
	var arrived atomic.Int32
	hooks := &testHooks{onGrow: func(size int64) {
		if size != limit/2 {
			return
		}
		arrived.Add(1)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if arrived.Load() == conns || mem.Stats().Refused > 0 {
				return
			}
		}
	}}
	ts := startServer(t, Config{AuthToken: testToken, MaxMessageSize: limit, Memory: mem, hooks: hooks})
	codes := floodCompressed(t, ts, conns, 16<<20)
	if codes[websocket.CloseTryAgainLater] == 0 {
		t.Errorf("no connection was refused with 1013 (close codes %v): the budget did not bound the flood", codes)
	}
	if codes[websocket.CloseTryAgainLater]+codes[websocket.CloseMessageTooBig] != conns {
		t.Errorf("close codes %v, want every connection closed with 1009 or 1013", codes)
	}
	if s := mem.Stats(); s.Peak > total {
		t.Errorf("peak %d over the %d-byte budget", s.Peak, total)
	}
	t.Logf("budget after the flood: %+v", mem.Stats())
	waitIdle(t, mem)
}

// floodCompressed has conns clients send one n-byte compressed zero
// message each and counts the close codes they get back.
func floodCompressed(t testing.TB, ts *testServer, conns int, n int64) map[int]int {
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
	)
	for range conns {
		c := ts.dialCompressed(t)
		wg.Go(func() {
			go sendZeros(c, n)
			code, _ := closeCode(c)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return codes
}

// BenchmarkCompressedFlood runs the attack at full size (24
// connections × 250 MiB of zeros, default --max-message-size) against
// budgets of 256 MiB and 1 GiB, with the Go soft limit at 1.5× the
// budget as --memory-limit sets both, and reports the budget's peak and
// the process's peak RSS (client side included).
func BenchmarkCompressedFlood(b *testing.B) {
	for _, limit := range []int64{256 << 20, 1 << 30} {
		b.Run(budget.Bytes(limit), func(b *testing.B) {
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit * 3 / 2))
			os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM
			for range b.N {
				mem := budget.NewMemory(limit)
				ts := startBenchServer(b, Config{AuthToken: testToken, Memory: mem, Logger: quietLogger()})
				codes := floodCompressed(b, ts, 24, 250<<20)
				b.ReportMetric(float64(mem.Stats().Peak)/(1<<20), "peak-budget-MiB")
				b.ReportMetric(float64(codes[websocket.CloseTryAgainLater]), "refused-1013")
			}
			b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
		})
	}
}

// peakRSS is VmHWM of this process in bytes (Linux), 0 if unknown.
func peakRSS() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(string(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// startBenchServer is startServer for benchmarks: a real server on a
// loopback port, shut down when b ends.
func startBenchServer(b *testing.B, cfg Config) *testServer {
	mgr := session.NewManager(session.Config{IdleTimeout: time.Minute, Logger: cfg.Logger})
	srv, err := New(cfg, mgr)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		mgr.Close("benchmark over")
	})
	return &testServer{srv: srv, mgr: mgr, addr: l.Addr().String()}
}
