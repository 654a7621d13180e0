package main

import (
	"fmt"
	"math"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// TestBrowserNodeKilledResumesOnOtherNode: the real frontend, loaded
// through the rig's proxy, shows a cube with a rectangle region on node0
// of two nodes sharing etcd; node0 dies by SIGKILL; after Retry the
// frontend reconnects through the proxy to node1, which resumes the
// session from etcd (RESUMED, a successful RESUME_SESSION_ACK with
// nothing left out), sends the image's histogram, and keeps the region:
// node1's own checkpoint lists it, and node1 holds the session. (The
// frontend keeps its tiles across a resume, so it asks for none.)
func TestBrowserNodeKilledResumesOnOtherNode(t *testing.T) {
	skipIfShort(t)
	frontend := findFrontend(t, repoRoot(t))
	r := newEtcdRig(t, 2, "--frontend-folder", frontend)
	proxied := &serverProc{url: r.pageURL(), out: &lockedBuffer{}, done: make(chan struct{})}
	b := startBrowser(t, proxied)
	id := b.open("&file=" + crashCube)
	ack := b.waitMessage(false, ev(icd.EventType_OPEN_FILE_ACK), "a successful OPEN_FILE_ACK", func(p []byte) bool {
		var m icd.OpenFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	var opened icd.OpenFileAck
	_ = proto.Unmarshal(ack, &opened)
	waitTileGroup(b, 0)
	b.waitDrawn(drawTimeout)

	rv := imageView(b)
	cx, cy := rv.X+rv.W/2, rv.Y+rv.H/2
	b.clickUntilActive("the toolbar's rectangle region button", `[data-testid="rectangle-region-shortcut-button"]`, uiTimeout)
	rectID, _ := b.createRegion(icd.RegionType_RECTANGLE, func() { b.drag(cx-80, cy-60, cx-20, cy-20) })
	time.Sleep(crashInterval + crashSlack) // checkpointed in etcd
	if regions := r.stored(id).GetImages()[0].GetRegions(); regions[rectID].GetInfo().GetRegionType() != icd.RegionType_RECTANGLE {
		t.Fatalf("node0's checkpoint: regions %v, want rectangle %d", regions, rectID)
	}

	killed := time.Now()
	if err := r.nodes[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-r.nodes[0].done
	b.waitDisconnectDialog(disconnectTimeout)
	nHist := b.rec.frames(false, ev(icd.EventType_REGION_HISTOGRAM_DATA))
	clickRetry(b)
	b.waitMessage(false, ev(icd.EventType_REGISTER_VIEWER_ACK), fmt.Sprintf("REGISTER_VIEWER_ACK RESUMED for session %d", id), func(p []byte) bool {
		var m icd.RegisterViewerAck
		return proto.Unmarshal(p, &m) == nil && m.SessionType == icd.SessionType_RESUMED && m.SessionId == id && m.Success
	}, resumeTimeout)
	ra := b.waitMessage(false, ev(icd.EventType_RESUME_SESSION_ACK), "RESUME_SESSION_ACK", func(p []byte) bool {
		return proto.Unmarshal(p, &icd.ResumeSessionAck{}) == nil
	}, resumeTimeout)
	var resumeAck icd.ResumeSessionAck
	_ = proto.Unmarshal(ra, &resumeAck)
	t.Logf("SIGKILL of node0 to RESUME_SESSION_ACK from node1: %v (disconnect dialog and Retry click included)", time.Since(killed).Round(time.Millisecond))
	if !resumeAck.Success || strings.Contains(resumeAck.Message, "not restored") {
		t.Fatalf("RESUME_SESSION_ACK on node1: success %v, %q", resumeAck.Success, resumeAck.Message)
	}
	b.waitMessageFrom(false, ev(icd.EventType_REGION_HISTOGRAM_DATA), nHist,
		fmt.Sprintf("REGION_HISTOGRAM_DATA of file %d from node1", opened.FileId), func(p []byte) bool {
			var m icd.RegionHistogramData
			return proto.Unmarshal(p, &m) == nil && m.FileId == opened.FileId && m.Histograms != nil
		}, uiTimeout)
	time.Sleep(crashInterval + crashSlack)
	regions := r.stored(id).GetImages()[0].GetRegions()
	if rect := regions[rectID].GetInfo(); rect.GetRegionType() != icd.RegionType_RECTANGLE || len(rect.GetControlPoints()) != 2 ||
		math.IsNaN(float64(rect.ControlPoints[0].X)) {
		t.Fatalf("node1's session after the resume: regions %v, want rectangle %d", regions, rectID)
	}
	holders, err := r.holders()
	if err != nil || holders[id] != "node1" {
		t.Fatalf("session %d held by %q (%v), want node1", id, holders[id], err)
	}
	b.saveShot("-node1", b.waitDrawn(drawTimeout).png)
}
