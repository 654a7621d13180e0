package ws

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
)

func mustFrame(t *testing.T, et icd.EventType, req uint32, m proto.Message) *outFrame {
	t.Helper()
	f, err := frameFor(et, icd.Version, req, m)
	must(t, err)
	return f
}

func tile(sync, channel int32) *icd.RasterTileData {
	return &icd.RasterTileData{FileId: 1, Channel: channel, SyncId: sync,
		Tiles: []*icd.TileData{{ImageData: make([]byte, 1000)}}}
}

// TestOutboxPolicy fills a queue that has room for about three tiles and
// checks, per message class, what the policy drops to admit one more.
func TestOutboxPolicy(t *testing.T) {
	hist := func(ch int32) *icd.RegionHistogramData {
		return &icd.RegionHistogramData{FileId: 1, RegionId: -1, Channel: ch, Histograms: &icd.Histogram{Bins: make([]int32, 250)}}
	}
	cases := []struct {
		name    string
		queued  []*outFrame
		next    *outFrame
		dropped map[string]int // nil: the next frame must wait
	}{
		{"tiles of another channel make room",
			[]*outFrame{mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0)), mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0)), mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0))},
			mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(2, 1)), map[string]int{"tile": 1}},
		{"tiles of the same channel are kept",
			[]*outFrame{mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0)), mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0)), mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0))},
			mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(2, 0)), nil},
		{"a newer histogram of the same region replaces the old",
			[]*outFrame{mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0)), mustFrame(t, icd.EventType_REGION_HISTOGRAM_DATA, 0, hist(0)), mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0))},
			mustFrame(t, icd.EventType_REGION_HISTOGRAM_DATA, 0, hist(1)), map[string]int{"histogram": 1}},
		{"responses are never dropped",
			[]*outFrame{mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0)), mustFrame(t, icd.EventType_REGION_HISTOGRAM_DATA, 7, hist(0)), mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0))},
			mustFrame(t, icd.EventType_REGION_HISTOGRAM_DATA, 7, hist(1)), nil},
		{"a response waits rather than drop current tiles",
			[]*outFrame{mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0)), mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0)), mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0))},
			mustFrame(t, icd.EventType_OPEN_FILE_ACK, 0, &icd.OpenFileAck{Message: string(make([]byte, 1000))}), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := budget.NewMemory(1 << 20)
			q := newOutbox(100, 3100, mem, nil)
			ctx := context.Background()
			for _, f := range c.queued {
				q.stamp(ctx, f)
				if _, err := q.tryPush(f); err != nil {
					t.Fatalf("queueing: %v", err)
				}
			}
			q.stamp(ctx, c.next)
			_, err := q.tryPush(c.next)
			s, _ := q.snapshot(0)
			if c.dropped == nil {
				if err != errFull || len(s.dropped) != 0 {
					t.Fatalf("err %v, dropped %v; want to wait with nothing dropped", err, s.dropped)
				}
				return
			}
			if err != nil || len(s.dropped) != len(c.dropped) {
				t.Fatalf("err %v, dropped %v; want %v", err, s.dropped, c.dropped)
			}
			for class, n := range c.dropped {
				if s.dropped[class] != n {
					t.Fatalf("dropped %v, want %v", s.dropped, c.dropped)
				}
			}
			if q.bytes > q.maxBytes || mem.Stats().Used != q.bytes {
				t.Fatalf("queued %d bytes (budget %d), charged %d", q.bytes, q.maxBytes, mem.Stats().Used)
			}
		})
	}
}

// TestOutboxDropsStaleWork: frames whose producer's ctx was cancelled
// (the session moved on) go first when the queue is over budget.
func TestOutboxDropsStaleWork(t *testing.T) {
	met := NewMetrics()
	q := newOutbox(100, 3100, nil, met)
	stale, cancel := context.WithCancel(context.Background())
	for range 3 {
		f := mustFrame(t, icd.EventType_RASTER_TILE_DATA, 0, tile(1, 0))
		q.stamp(stale, f)
		if _, err := q.tryPush(f); err != nil {
			t.Fatal(err)
		}
	}
	next := mustFrame(t, icd.EventType_SPATIAL_PROFILE_DATA, 0, &icd.SpatialProfileData{FileId: 1, Profiles: []*icd.SpatialProfile{{RawValuesFp32: make([]byte, 1000)}}})
	q.stamp(context.Background(), next)
	if _, err := q.tryPush(next); err != errFull {
		t.Fatalf("with live producers: %v, want errFull", err)
	}
	cancel()
	if _, err := q.tryPush(next); err != nil {
		t.Fatalf("after the producer's work was cancelled: %v", err)
	}
	if s, _ := q.snapshot(0); s.dropped["tile"] != 1 {
		t.Fatalf("dropped %v, want one tile (the first is the writer's)", s.dropped)
	}
	if got := testutil.ToFloat64(met.drops.WithLabelValues("tile")); got != 1 {
		t.Fatalf("cartago_queue_drops_total{class=tile} = %g, want 1", got)
	}
}
