package main

import (
	"math"
	"testing"
	"time"

	"cartago/icd"
)

// pvCursor reads the PV image's value at (x, y) with the cursor.
func pvCursor(c *wsClient, id int32, x, y float32) float32 {
	c.t.Helper()
	c.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: id, Point: &icd.Point{X: x, Y: y}})
	var sp icd.SpatialProfileData
	for sp.FileId != id {
		c.await(icd.EventType_SPATIAL_PROFILE_DATA, &sp)
	}
	return sp.Value
}

// TestKill9ThenResumePV: a PV image survives a SIGKILL as its recipe;
// after a restart, RESUME_SESSION naming it samples the cube again under
// the same file id, with the same pixels, though the line has moved
// since it was made.
func TestKill9ThenResumePV(t *testing.T) {
	r := newCrashRig(t)
	srv := r.start()
	c := dialServer(t, srv.url)
	ack := c.register(0)
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: crashCube, FileId: 1})
	c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	line := &icd.RegionInfo{RegionType: icd.RegionType_LINE, ControlPoints: []*icd.Point{{X: 10, Y: 12}, {X: 50, Y: 40}}}
	c.send(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 1, RegionInfo: line})
	var rack icd.SetRegionAck
	c.await(icd.EventType_SET_REGION_ACK, &rack)
	c.send(icd.EventType_PV_REQUEST, &icd.PvRequest{FileId: 1, RegionId: rack.RegionId, Width: 3, SpectralRange: &icd.IntBounds{Min: 1, Max: 6}})
	var resp icd.PvResponse
	c.await(icd.EventType_PV_RESPONSE, &resp)
	pvAck := resp.OpenFileAck
	if !resp.Success || pvAck.GetFileId() != 2 || pvAck.FileInfoExtended.Height != 6 {
		t.Fatalf("PV response: %+v", &resp)
	}
	w := pvAck.FileInfoExtended.Width
	before := []float32{pvCursor(c, 2, 0, 0), pvCursor(c, 2, float32(w/2), 3), pvCursor(c, 2, float32(w-1), 5)}
	if math.IsNaN(float64(before[1])) || math.IsNaN(float64(before[2])) {
		t.Fatalf("PV values %v: NaN where the sample cube has data", before)
	}
	line.ControlPoints[1] = &icd.Point{X: 20, Y: 12} // moved after the image was made
	c.send(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 1, RegionId: rack.RegionId, RegionInfo: line})
	c.await(icd.EventType_SET_REGION_ACK, &rack)
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)

	snap := r.stored(ack.SessionId)
	if len(snap.Images) != 2 || snap.Images[1].Pv.GetName() != pvAck.FileInfo.Name || snap.Images[1].FileId != 2 {
		t.Fatalf("snapshot after kill: %v", snap)
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	if again := c.register(ack.SessionId); again.SessionType != icd.SessionType_RESUMED {
		t.Fatalf("register after restart: %+v", again)
	}
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: crashCube, FileId: 1},
		{Directory: ".", File: pvAck.FileInfo.Name, FileId: 2}}})
	var resumed icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &resumed)
	if !resumed.Success {
		t.Fatalf("resume: %+v", &resumed)
	}
	after := []float32{pvCursor(c, 2, 0, 0), pvCursor(c, 2, float32(w/2), 3), pvCursor(c, 2, float32(w-1), 5)}
	for i := range before {
		if math.Float32bits(after[i]) != math.Float32bits(before[i]) {
			t.Fatalf("PV values after restart %v, before %v", after, before)
		}
	}
}
