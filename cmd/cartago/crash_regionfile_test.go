package main

import (
	"testing"
	"time"

	"cartago/icd"
)

// TestKill9KeepsImportedRegions: regions imported from a region file
// are session state like drawn ones. After a SIGKILL they are in the
// stored snapshot, and after a restart their statistics are served for
// the ids the import gave (the frontend keeps those ids:
// addRegionsInBatch in the 6.0.0 bundle sends no SET_REGION for them).
func TestKill9KeepsImportedRegions(t *testing.T) {
	r := newCrashRig(t)
	srv := r.start()
	c := dialServer(t, srv.url)
	c.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{})
	var ack icd.RegisterViewerAck
	c.await(icd.EventType_REGISTER_VIEWER_ACK, &ack)
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: crashCube, FileId: 1})
	c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	c.send(icd.EventType_IMPORT_REGION, &icd.ImportRegion{GroupId: 1, Type: icd.FileType_DS9_REG, Contents: []string{
		"# Region file format: DS9 version 4.1", "image",
		"box(11, 11, 4, 2, 0) # text={b}", "circle(30, 30, 5)", "# text(5, 5) text={note}"}})
	var imp icd.ImportRegionAck
	c.await(icd.EventType_IMPORT_REGION_ACK, &imp)
	if !imp.Success || len(imp.Regions) != 3 {
		t.Fatalf("import: %+v", &imp)
	}
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)

	snap := r.stored(ack.SessionId)
	if len(snap.Images) != 1 || len(snap.Images[0].Regions) != 3 {
		t.Fatalf("snapshot after kill: %v", snap)
	}
	for id, info := range imp.Regions {
		got := snap.Images[0].Regions[id].GetInfo()
		if got.GetRegionType() != info.RegionType || len(got.GetControlPoints()) != len(info.ControlPoints) {
			t.Errorf("stored region %d: %v, want %v", id, got, info)
		}
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	if again := c.register(ack.SessionId); again.SessionType != icd.SessionType_RESUMED {
		t.Fatalf("register after restart: %+v", again)
	}
	var box int32
	for id, info := range imp.Regions {
		if info.RegionType == icd.RegionType_RECTANGLE {
			box = id
		}
	}
	// The box, centred on 0-based (10, 10), 4×2, has its edges through
	// pixel centres, which count: pixels 8..12 × 9..11.
	c.send(icd.EventType_SET_STATS_REQUIREMENTS, &icd.SetStatsRequirements{FileId: 1, RegionId: box,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_NumPixels}}}})
	var st icd.RegionStatsData
	c.await(icd.EventType_REGION_STATS_DATA, &st)
	if st.RegionId != box || len(st.Statistics) != 1 || st.Statistics[0].Value != 15 {
		t.Fatalf("stats of imported region %d after restart: %+v", box, &st)
	}
}
