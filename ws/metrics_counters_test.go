package ws

import (
	"crypto/sha256"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cartago/icd"
	"cartago/imaging/tiles"
	"cartago/store"
)

// TestMetricsCountSlowConsumerClose: a client that stops reading while
// the server sends it a full-resolution raw image is closed once a write
// has waited the write wait (shortened here), and the close is counted.
func TestMetricsCountSlowConsumerClose(t *testing.T) {
	ms := startMetricsServerHooks(t, &testHooks{
		writeWait: 300 * time.Millisecond,
		onConn: func(c *conn) {
			c.ws.UnderlyingConn().(*net.TCPConn).SetWriteBuffer(4 << 10) // feel the client at once
		},
	})
	d := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if err == nil {
			c.(*net.TCPConn).SetReadBuffer(4 << 10)
		}
		return c, err
	}}
	c, _, err := d.Dial("ws://"+ms.addr+"/?token="+testToken, nil)
	must(t, err)
	defer c.Close()
	register(t, c, 0)
	openCube(t, c, 0)
	waitValue(t, ms.metrics, "cartago_slow_consumer_closes_total", nil, 0)
	// Two raw tiles of the 300×200 image at layer 1: 60,000 bytes, far
	// more than the two 4 KiB socket buffers hold. The client reads
	// nothing from now on.
	view := []int32{tiles.Encode(0, 0, 1), tiles.Encode(1, 0, 1)}
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 6, &icd.AddRequiredTiles{FileId: 0, Tiles: view, CompressionType: icd.CompressionType_NONE})
	waitValue(t, ms.metrics, "cartago_slow_consumer_closes_total", nil, 1)
	waitValue(t, ms.metrics, "cartago_connections", nil, 0)
}

// TestMetricsCountRefusedResume: REGISTER_VIEWER for a session stored
// for another owner (another token) is refused and counted as refused,
// not as any other outcome.
func TestMetricsCountRefusedResume(t *testing.T) {
	ms := startMetricsServer(t)
	other := sha256.Sum256([]byte("another user's token"))
	must(t, ms.db.Put(&store.Snapshot{SessionId: 4242, Owner: other[:], CreatedUnixMs: time.Now().UnixMilli(), LastActiveUnixMs: time.Now().UnixMilli()}))
	c := ms.dial(t, testToken)
	ack := register(t, c, 4242)
	if ack.Success || !strings.Contains(ack.Message, "cannot be resumed with this access token") {
		t.Fatalf("register of another owner's session: %+v", ack)
	}
	fams := waitValue(t, ms.metrics, "cartago_resumes_total", map[string]string{"outcome": "refused"}, 1)
	for _, o := range []string{"live", "stored", "unknown"} {
		if got := value(t, fams, "cartago_resumes_total", map[string]string{"outcome": o}); got != 0 {
			t.Errorf("resumes{outcome=%q} = %g after a refusal", o, got)
		}
	}
	// The session is still its owner's: it stays stored, untouched.
	if snap, err := ms.db.Get(4242); err != nil || string(snap.Owner) != string(other[:]) {
		t.Errorf("the refused session after the attempt: %v, %v", snap, err)
	}
}
