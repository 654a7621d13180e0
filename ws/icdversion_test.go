package ws

import (
	"path/filepath"
	"testing"

	"cartago/icd"
	"cartago/imaging/tiles"
	"cartago/session"
	"cartago/ws/wstest"
)

// versionServer serves a folder holding cube.fits.
func versionServer(t *testing.T) *testServer {
	t.Helper()
	root := t.TempDir()
	writeCube(t, filepath.Join(root, "cube.fits"))
	folder, err := session.NewFolder(root, "")
	must(t, err)
	return startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder})
}

// registerAs registers sessionID speaking ICD version v and returns the
// ack, whose header must carry v.
func registerAs(t *testing.T, c *wstest.T, v uint16, sessionID uint32) *icd.RegisterViewerAck {
	t.Helper()
	c.SendReq(icd.EventType_REGISTER_VIEWER, v, 1, &icd.RegisterViewer{SessionId: sessionID, ClientFeatureFlags: 5})
	var ack icd.RegisterViewerAck
	if m := c.Expect(icd.EventType_REGISTER_VIEWER_ACK, &ack); m.Header.Version != v || !ack.Success {
		t.Fatalf("ICD %d: register ack with version %d: %+v", v, m.Header.Version, &ack)
	}
	return &ack
}

// versionChecker reads messages and fails on one whose header does not
// carry want; it counts the types it saw.
type versionChecker struct {
	t    *testing.T
	c    *wstest.T
	want uint16
	seen map[icd.EventType]int
}

func (vc *versionChecker) check(m wstest.Message) {
	vc.t.Helper()
	if m.IsText {
		return
	}
	if m.Header.Version != vc.want {
		vc.t.Fatalf("%s with ICD version %d, want %d", m, m.Header.Version, vc.want)
	}
	vc.seen[m.Header.Type]++
}

// await reads up to a message of et, checking every message on the way.
func (vc *versionChecker) await(et icd.EventType) {
	vc.t.Helper()
	for {
		m := vc.c.Next()
		vc.check(m)
		if m.Is(et) {
			return
		}
	}
}

// The reference writes its own ICD_VERSION into every header it sends
// (CARTAvis/carta-backend src/Session/Session.cc:1976, SendEvent) and
// refuses any other version at REGISTER_VIEWER (Session.cc:345). We serve
// 28 to 30, so a client that registered with 28 or 29 must get that
// version back in every header: acks, tiles, histograms, errors and
// background data (streamed spectral profiles, animation frames), also
// after it resumes on a new connection and after another connection takes
// the session over. Line numbers: reference commit 66c7d752.
func TestRepliesCarryTheRegisteredICDVersion(t *testing.T) {
	for _, v := range []uint16{28, 29, 30} {
		t.Run(itoa(v), func(t *testing.T) {
			ts := versionServer(t)
			c := ts.client(t, testToken)
			id := registerAs(t, c, v, 0).SessionId
			vc := &versionChecker{t: t, c: c, want: v, seen: map[icd.EventType]int{}}
			exerciseVersion(t, vc, v)
			for _, want := range []icd.EventType{icd.EventType_OPEN_FILE_ACK, icd.EventType_REGION_HISTOGRAM_DATA,
				icd.EventType_RASTER_TILE_DATA, icd.EventType_ERROR_DATA, icd.EventType_SPECTRAL_PROFILE_DATA,
				icd.EventType_START_ANIMATION_ACK, icd.EventType_RASTER_TILE_SYNC} {
				if vc.seen[want] == 0 {
					t.Errorf("no %s seen (saw %v)", want, vc.seen)
				}
			}

			// Resume on a new connection speaking another accepted version:
			// the session's messages follow the new client's version.
			c.Close()
			other := map[uint16]uint16{28: 29, 29: 30, 30: 28}[v]
			c2 := ts.client(t, testToken)
			registerAs(t, c2, other, id)
			resumed := &versionChecker{t: t, c: c2, want: other, seen: map[icd.EventType]int{}}
			c2.SendReq(icd.EventType_RESUME_SESSION, other, 2, &icd.ResumeSession{Images: []*icd.ImageProperties{
				{Directory: ".", File: "cube.fits", FileId: 0, Channel: 1}}})
			resumed.await(icd.EventType_RESUME_SESSION_ACK)
			cursorProfile(c2, other, 3)
			resumed.await(icd.EventType_SPECTRAL_PROFILE_DATA)

			// A third connection takes the live session over in v.
			c3 := ts.client(t, testToken)
			registerAs(t, c3, v, id)
			taken := &versionChecker{t: t, c: c3, want: v, seen: map[icd.EventType]int{}}
			cursorProfile(c3, v, 4)
			taken.await(icd.EventType_SPECTRAL_PROFILE_DATA)
			c3.ToPong(taken.check)
		})
	}
}

// exerciseVersion drives acks, tiles, histograms, an error and background
// work, all sent by the client in ICD version v.
func exerciseVersion(t *testing.T, vc *versionChecker, v uint16) {
	t.Helper()
	c := vc.c
	c.SendReq(icd.EventType_OPEN_FILE, v, 2, &icd.OpenFile{Directory: ".", File: "cube.fits", FileId: 0})
	vc.await(icd.EventType_REGION_HISTOGRAM_DATA)
	c.SendReq(icd.EventType_ADD_REQUIRED_TILES, v, 3, &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}, CompressionQuality: 11})
	vc.await(icd.EventType_RASTER_TILE_DATA)
	c.SendReq(icd.EventType(60000), v, 4, &icd.RegisterViewer{}) // unknown type: ERROR_DATA
	vc.await(icd.EventType_ERROR_DATA)
	cursorProfile(c, v, 5)
	vc.await(icd.EventType_SPECTRAL_PROFILE_DATA)
	c.SendReq(icd.EventType_START_ANIMATION, v, 6, &icd.StartAnimation{
		FileId: 0, FirstFrame: &icd.AnimationFrame{}, StartFrame: &icd.AnimationFrame{Channel: 1},
		LastFrame: &icd.AnimationFrame{Channel: cubeD - 1}, DeltaFrame: &icd.AnimationFrame{Channel: 1},
		FrameRate: 30, Looping: true,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}, CompressionQuality: 9},
	})
	vc.await(icd.EventType_START_ANIMATION_ACK)
	vc.await(icd.EventType_RASTER_TILE_SYNC)
	c.SendReq(icd.EventType_STOP_ANIMATION, v, 7, &icd.StopAnimation{FileId: 0, EndFrame: &icd.AnimationFrame{Channel: 1}})
	c.ToPong(vc.check)
}

// cursorProfile asks for the cursor's spectral profile of file 0, which
// the server streams from a background worker.
func cursorProfile(c *wstest.T, v uint16, req uint32) {
	c.SendReq(icd.EventType_SET_SPECTRAL_REQUIREMENTS, v, req, &icd.SetSpectralRequirements{FileId: 0, RegionId: 0,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum}}}})
	c.SendReq(icd.EventType_SET_CURSOR, v, 0, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: float32(10 + req), Y: 21}})
}

// A refused version is answered in ours: the server cannot speak it
// (the reference answers every header with its own, Session.cc:1976).
func TestRefusedICDVersionIsAnsweredInOurs(t *testing.T) {
	c := versionServer(t).client(t, testToken)
	c.SendReq(icd.EventType_REGISTER_VIEWER, 27, 1, &icd.RegisterViewer{})
	var ack icd.RegisterViewerAck
	if m := c.Expect(icd.EventType_REGISTER_VIEWER_ACK, &ack); ack.Success || m.Header.Version != icd.Version {
		t.Fatalf("ICD 27: ack %+v in version %d, want a refusal in %d", &ack, m.Header.Version, icd.Version)
	}
}
