package main

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/ws/wstest"
)

// TestKill9ThenResumeMoment: a moment image is session state (issue 13
// item 4). Moment 0 over a region is made, the server is killed with
// SIGKILL, and after a restart the RESUME_SESSION that names the
// moment image's id brings it back from its stored recipe: its image
// histogram and its raw tile equal those before the kill.
func TestKill9ThenResumeMoment(t *testing.T) {
	r := newCrashRig(t)
	srv := r.start()
	c := dialServer(t, srv.url)
	sid := c.register(0).SessionId
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: crashCube, FileId: 1})
	c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	rect := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 14.2, Y: 15.7}, {X: 17, Y: 11}}}
	c.send(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 1, RegionId: -1, RegionInfo: rect})
	var rack icd.SetRegionAck
	c.await(icd.EventType_SET_REGION_ACK, &rack)
	c.send(icd.EventType_MOMENT_REQUEST, &icd.MomentRequest{FileId: 1, RegionId: rack.RegionId,
		Moments: []icd.Moment{icd.Moment_INTEGRATED_OF_THE_SPECTRUM}, SpectralRange: &icd.IntBounds{Min: 1, Max: 6}})
	var resp icd.MomentResponse
	c.await(icd.EventType_MOMENT_RESPONSE, &resp)
	if !resp.Success || len(resp.OpenFileAcks) != 1 {
		t.Fatalf("moments: %+v", &resp)
	}
	ack := resp.OpenFileAcks[0]
	id, name := ack.FileId, ack.FileInfo.Name
	before := momentHistogram(c, id)
	tileBefore := momentTile(c, id)
	if n := len(before.GetHistograms().GetBins()); n == 0 || len(tileBefore.Tiles) != 1 || tileBefore.Tiles[0].Width >= 32 || len(tileBefore.Tiles[0].ImageData) == 0 {
		t.Fatalf("before the kill: histogram of %d bins, tile %v (want the region's box, narrower than the cube)", n, tileBefore)
	}
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)

	snap := r.stored(sid)
	if len(snap.Images) != 2 || snap.Images[1].GetMoment().GetSourceFileId() != 1 || snap.Images[1].FileId != id {
		t.Fatalf("snapshot after kill: %v", snap)
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	if again := c.register(sid); again.SessionType != icd.SessionType_RESUMED {
		t.Fatalf("register after restart: %+v", again)
	}
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: crashCube, FileId: 1, Regions: map[int32]*icd.RegionInfo{rack.RegionId: rect}},
		{Directory: ".", File: name, FileId: id}}})
	var after icd.RegionHistogramData
	c.SkipTo(icd.EventType_REGION_HISTOGRAM_DATA, func(m wstest.Message) bool {
		var h icd.RegionHistogramData
		return proto.Unmarshal(m.Payload, &h) == nil && h.FileId == id
	}, &after, nil)
	var resumed icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &resumed)
	if !resumed.Success {
		t.Fatalf("resume: %+v", &resumed)
	}
	if !proto.Equal(after.Histograms, before.Histograms) {
		t.Fatalf("histogram after restart %v, before the kill %v", after.Histograms, before.Histograms)
	}
	if tileAfter := momentTile(c, id); !proto.Equal(tileAfter, tileBefore) {
		t.Fatalf("tile after restart differs from before the kill:\n%v\n%v", tileAfter, tileBefore)
	}
}

// momentHistogram awaits the image histogram of file id.
func momentHistogram(c *wsClient, id int32) *icd.RegionHistogramData {
	c.t.Helper()
	var h icd.RegionHistogramData
	c.SkipTo(icd.EventType_REGION_HISTOGRAM_DATA, func(m wstest.Message) bool {
		var h icd.RegionHistogramData
		return proto.Unmarshal(m.Payload, &h) == nil && h.FileId == id
	}, &h, nil)
	return &h
}

// momentTile asks for tile 0 of file id, uncompressed, and returns it
// without its sync ids.
func momentTile(c *wsClient, id int32) *icd.RasterTileData {
	c.t.Helper()
	c.send(icd.EventType_ADD_REQUIRED_TILES, &icd.AddRequiredTiles{FileId: id, Tiles: []int32{0}, CompressionType: icd.CompressionType_NONE})
	var tile icd.RasterTileData
	c.SkipTo(icd.EventType_RASTER_TILE_DATA, func(m wstest.Message) bool {
		var td icd.RasterTileData
		return proto.Unmarshal(m.Payload, &td) == nil && td.FileId == id
	}, &tile, nil)
	tile.SyncId, tile.AnimationId = 0, 0
	return &tile
}
