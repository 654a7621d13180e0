package ws

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/tiles"
	"cartago/ws/wstest"
)

// STOP_ANIMATION ends the animation: the reference sets _stop_called
// (Session::StopAnimation, CARTAvis/carta-backend src/Session/Session.cc:2280-2292),
// which ExecuteAnimationFrame checks before every frame (Session.cc:2215,
// 2228) and ExecuteAnimationFrameInner before every message (2127-2181).
// Unlike the reference we stop whatever file id the message names: a
// stop that leaves the animation running would play on unseen.
func TestAnimationPlaysLoopsAndStops(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	sendMsg(t, c, icd.EventType_START_ANIMATION, 30, 3, &icd.StartAnimation{
		FileId: 0, FirstFrame: &icd.AnimationFrame{}, StartFrame: &icd.AnimationFrame{Channel: 3},
		LastFrame: &icd.AnimationFrame{Channel: cubeD - 1}, DeltaFrame: &icd.AnimationFrame{Channel: 1},
		FrameRate: 30, Looping: true,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}, CompressionQuality: 9},
	})
	var ack icd.StartAnimationAck
	recv(t, c, icd.EventType_START_ANIMATION_ACK, 3, &ack)
	if !ack.Success || ack.AnimationId <= 0 {
		t.Fatalf("start ack %+v", &ack)
	}
	var channels []int32
	for len(channels) < 6 {
		h, p := next(t, c)
		if h.Type != icd.EventType_RASTER_TILE_SYNC {
			continue
		}
		var s icd.RasterTileSync
		must(t, proto.Unmarshal(p, &s))
		if s.AnimationId != ack.AnimationId {
			t.Fatalf("sync without the animation id: %+v", &s)
		}
		if s.EndSync {
			channels = append(channels, s.Channel)
			sendMsg(t, c, icd.EventType_ANIMATION_FLOW_CONTROL, 30, 4, &icd.AnimationFlowControl{FileId: 0,
				ReceivedFrame: &icd.AnimationFrame{Channel: s.Channel}})
		}
	}
	want := []int32{3, 4, 0, 1, 2, 3}
	for i := range want {
		if channels[i] != want[i] {
			t.Fatalf("frames %v, want %v", channels, want)
		}
	}
	sendMsg(t, c, icd.EventType_STOP_ANIMATION, 30, 5, &icd.StopAnimation{FileId: 0, EndFrame: &icd.AnimationFrame{Channel: 3}})
	// Drain what was in flight; afterwards, several frame intervals
	// later, nothing more has come.
	drainToPong(t, c)
	time.Sleep(150 * time.Millisecond)
	barrier(t, c)
}

// drainToPong sends PING and discards messages up to the PONG.
func drainToPong(t *testing.T, c *websocket.Conn) {
	t.Helper()
	readToPong(t, c, nil)
}

// readToPong sends PING and reads up to the PONG, passing each binary
// message on the way to each if it is not nil.
func readToPong(t *testing.T, c *websocket.Conn, each func(h icd.Header, payload []byte)) {
	t.Helper()
	wt := wstest.WrapT(t, c)
	wt.Timeout = 5 * time.Second
	wt.ToPong(func(m wstest.Message) {
		if each != nil {
			each(m.Header, m.Payload)
		}
	})
}
