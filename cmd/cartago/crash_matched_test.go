package main

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/store"
)

// TestKill9KeepsRegionOnMatchedImage: statistics asked for a region on
// another image than its own (file 2 for a region made on file 1, both
// sample files over one field with different grids) are part of the
// stored session: after SIGKILL and a restart, the RESUME_SESSION that
// lists the region on file 1 only brings back file 2's statistics, equal
// to those before the kill. The reference computes them through its
// RegionConverter (CARTAvis/carta-backend src/Region/RegionHandler.cc:
// 863-877).
func TestKill9KeepsRegionOnMatchedImage(t *testing.T) {
	r := newCrashRig(t)
	srv := r.start()
	c := dialServer(t, srv.url)
	sid := c.register(0).SessionId
	for i, name := range []string{crashCube, "cube-stokes.fits"} {
		c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: name, FileId: int32(i + 1)})
		c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	}
	rect := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 30.3, Y: 33.6}, {X: 40.2, Y: 36.4}}}
	c.send(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 1, RegionId: -1, RegionInfo: rect})
	var rack icd.SetRegionAck
	c.await(icd.EventType_SET_REGION_ACK, &rack)
	stats := []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_NumPixels, icd.StatsType_Sum}}}
	c.send(icd.EventType_SET_STATS_REQUIREMENTS, &icd.SetStatsRequirements{FileId: 2, RegionId: rack.RegionId, StatsConfigs: stats})
	var before icd.RegionStatsData
	c.await(icd.EventType_REGION_STATS_DATA, &before)
	if before.FileId != 2 || before.Statistics[0].Value < 8 {
		t.Fatalf("stats before the kill: %v", &before)
	}
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)
	var own *store.Image
	for _, img := range r.stored(sid).GetImages() {
		if img.GetFileId() == 1 {
			own = img
		}
	}
	if m := own.GetRegions()[rack.RegionId].GetMatched()[2]; len(m.GetStats()) != 1 {
		t.Fatalf("stored requirements on file 2: %v", m)
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	c.register(sid)
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: crashCube, FileId: 1, Regions: map[int32]*icd.RegionInfo{rack.RegionId: rect}},
		{Directory: ".", File: "cube-stokes.fits", FileId: 2}}})
	var after icd.RegionStatsData
	c.await(icd.EventType_REGION_STATS_DATA, &after)
	if !proto.Equal(&after, &before) {
		t.Fatalf("stats after restart %v, before the kill %v", &after, &before)
	}
}
