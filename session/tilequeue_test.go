package session

import (
	"context"
	"testing"

	"cartago/icd"
	"cartago/imaging/tiles"
)

// stripClient opens a 65536×2 image, whose layer 8 has 256 tiles in a
// row, and returns the client, its recorder and the frame.
func stripClient(t *testing.T) (*Client, *recorder, *frame) {
	t.Helper()
	m := testCube(t, 256*256, 2, 1)
	rec := &recorder{}
	c := m.NewClient(rec, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	handle(t, c, icd.EventType_OPEN_FILE, 2, &icd.OpenFile{Directory: ".", File: "cube.fits", FileId: 0})
	// Not rec.last: the image histogram may already follow the ack.
	if ack := waitSent(t, rec, icd.EventType_OPEN_FILE_ACK, 1)[0].msg.(*icd.OpenFileAck); !ack.Success {
		t.Fatalf("open: %s", ack.Message)
	}
	return c, rec, c.session.frame(0)
}

// rowTiles names n ids over the 256 tiles of the strip's layer 8.
func rowTiles(n int) []int32 {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = tiles.Encode(i%256, 0, 8)
	}
	return ids
}

// TestRepeatedTileIDsSentOnce: 100,000 ids naming 256 distinct tiles used
// to render and send every id.
func TestRepeatedTileIDsSentOnce(t *testing.T) {
	c, rec, _ := stripClient(t)
	handle(t, c, icd.EventType_ADD_REQUIRED_TILES, 0, &icd.AddRequiredTiles{
		FileId: 0, Tiles: rowTiles(100_000), CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11})
	syncs := waitSent(t, rec, icd.EventType_RASTER_TILE_SYNC, 2)
	if start := syncs[0].msg.(*icd.RasterTileSync); start.TileCount != 256 {
		t.Errorf("tile_count = %d, want 256", start.TileCount)
	}
	if n := len(waitSent(t, rec, icd.EventType_RASTER_TILE_DATA, 0)); n != 256 {
		t.Errorf("%d tiles sent, want 256", n)
	}
}

// TestFloodedRequestsStayBounded: while the worker is busy, a flood of
// tile and requirement messages used to queue one job each. Each kind
// now costs one queued job, which answers with the newest request.
func TestFloodedRequestsStayBounded(t *testing.T) {
	c, rec, f := stripClient(t)
	release := make(chan struct{})
	started := make(chan struct{})
	f.work.add(job{kind: jobData, run: func(context.Context) { close(started); <-release }})
	<-started
	for i := range 2000 {
		ids := rowTiles(256)[i%200 : i%200+50] // overlapping views
		handle(t, c, icd.EventType_ADD_REQUIRED_TILES, 0, &icd.AddRequiredTiles{
			FileId: 0, Tiles: ids, CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11})
		handle(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 0, &icd.SetStatsRequirements{FileId: 0, RegionId: regionImage,
			StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType(1 + i%5)}}}})
		handle(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 0, &icd.SetHistogramRequirements{FileId: 0, RegionId: regionImage,
			Histograms: []*icd.HistogramConfig{{Coordinate: "z", Channel: -1, FixedNumBins: true, NumBins: int32(10 + i%7)}}})
	}
	f.work.mu.Lock()
	queued := len(f.work.queue)
	f.work.mu.Unlock()
	if queued > 3 {
		t.Errorf("%d jobs queued after the flood, want one each of tiles, statistics and histograms", queued)
	}
	close(release)
	syncs := waitSent(t, rec, icd.EventType_RASTER_TILE_SYNC, 2)
	if start := syncs[0].msg.(*icd.RasterTileSync); start.TileCount != 249 {
		t.Errorf("one group of %d tiles, want the 249 distinct ones asked for", start.TileCount)
	}
	if h := waitSent(t, rec, icd.EventType_REGION_HISTOGRAM_DATA, 2)[1].msg.(*icd.RegionHistogramData); h.Histograms.NumBins != 10+1999%7 {
		t.Errorf("histogram of %d bins, want the last request's %d", h.Histograms.NumBins, 10+1999%7)
	}
}
