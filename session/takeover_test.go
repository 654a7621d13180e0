package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
)

// goneSender is a socket already going away: every Send fails, which
// makes the sender log the drop. It counts the streamed messages only:
// counting the read loop's ack too would order the read loop before the
// streaming goroutine and hide the race the test looks for.
type goneSender struct{ streamed atomic.Int32 }

func (g *goneSender) Send(_ context.Context, _ icd.EventType, req uint32, _ proto.Message) error {
	if req == 0 {
		g.streamed.Add(1)
	}
	return errors.New("connection closed")
}

func (g *goneSender) Close(string) {}

// testCube writes a small cube into a new root and returns its manager.
func testCube(t *testing.T, w, h, depth int) *Manager {
	t.Helper()
	root := t.TempDir()
	data := make([]float32, w*h*depth)
	for i := range data {
		data[i] = float32(i % 977)
	}
	f, err := os.Create(filepath.Join(root, "cube.fits"))
	must(t, err)
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, depth}, Data: data}))
	must(t, f.Close())
	folder, err := NewFolder(root, "")
	must(t, err)
	m := NewManager(Config{Folder: folder, Logger: newTestManager(time.Minute).log})
	t.Cleanup(func() { m.Close("test over") })
	return m
}

// TestTakeoverWhileAnimationSends: a second socket takes a session over
// while its animation streams frames. The player sends through the new
// client at once, while the new client's read loop is still finishing
// REGISTER_VIEWER; under -race this reported the read loop rewriting
// Client.log while the player read it.
func TestTakeoverWhileAnimationSends(t *testing.T) {
	m := testCube(t, 64, 64, 8)
	rec := &recorder{}
	c1 := m.NewClient(rec, "first", nil)
	handle(t, c1, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	handle(t, c1, icd.EventType_OPEN_FILE, 2, &icd.OpenFile{Directory: ".", File: "cube.fits", FileId: 0})
	handle(t, c1, icd.EventType_START_ANIMATION, 3, &icd.StartAnimation{
		FileId: 0, FirstFrame: &icd.AnimationFrame{}, StartFrame: &icd.AnimationFrame{},
		LastFrame: &icd.AnimationFrame{Channel: 7}, DeltaFrame: &icd.AnimationFrame{Channel: 1},
		FrameRate: 60, Looping: true,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}, CompressionQuality: 9},
	})
	waitSent(t, rec, icd.EventType_RASTER_TILE_DATA, 1) // playing

	gone := &goneSender{}
	c2 := m.NewClient(gone, "second", nil)
	handle(t, c2, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{SessionId: c1.SessionID()})
	// Frames of the animation go to the new client, fail and are logged.
	deadline := time.Now().Add(10 * time.Second)
	for gone.streamed.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages streamed to the new client, want frames of the animation", gone.streamed.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	c2.Close()
}
