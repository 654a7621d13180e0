package main

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/tooltest"
)

// idiaFile converts the small sample cube to IDIA HDF5 (statistics and
// swizzled copy included) in dir with scripts/fits2hdf5.py.
func idiaFile(t *testing.T, dir, name string) {
	t.Helper()
	if err := exec.Command(tooltest.Python, "-c", "import h5py, astropy").Run(); err != nil {
		missingTool(t, tooltest.Python+" cannot import h5py and astropy (apt-get install python3-h5py python3-astropy)")
	}
	script := filepath.Join(repoRoot(t), "scripts", "fits2hdf5.py")
	if out, err := exec.Command(tooltest.Python, script, filepath.Join(dir, crashCube), filepath.Join(dir, name)).CombinedOutput(); err != nil {
		t.Fatalf("fits2hdf5.py: %v\n%s", err, out)
	}
}

// TestKill9ThenResumeHDF5: an IDIA HDF5 image open before a SIGKILL is
// in the snapshot (directory, file, image "0") and reopens on resume
// with its channel, cursor and profiles.
func TestKill9ThenResumeHDF5(t *testing.T) {
	r := newCrashRig(t)
	idiaFile(t, r.root, "cube.hdf5")
	srv := r.start()
	c := dialServer(t, srv.url)
	ack := c.register(0)
	open := c.open("cube.hdf5", 1)
	if !open.Success || open.FileInfo.Type != icd.FileType_HDF5 {
		t.Fatalf("open: %+v", open)
	}
	c.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 1, Channel: 5})
	c.send(icd.EventType_SET_SPECTRAL_REQUIREMENTS, &icd.SetSpectralRequirements{FileId: 1,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}}})
	c.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: 10, Y: 20}})
	var before icd.SpectralProfileData
	c.await(icd.EventType_SPECTRAL_PROFILE_DATA, &before)
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)

	snap := r.stored(ack.SessionId)
	if len(snap.Images) != 1 || snap.Images[0].File != "cube.hdf5" || snap.Images[0].Hdu != "0" || snap.Images[0].Channel != 5 ||
		snap.Images[0].Cursor.GetX() != 10 || len(snap.Images[0].CursorSpectral) != 1 {
		t.Fatalf("snapshot after kill: %v", snap)
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	if again := c.register(ack.SessionId); again.SessionType != icd.SessionType_RESUMED {
		t.Fatalf("register after restart: %+v", again)
	}
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: "cube.hdf5", Hdu: "0", FileId: 1, Channel: 5}}})
	var hist icd.RegionHistogramData
	c.await(icd.EventType_REGION_HISTOGRAM_DATA, &hist)
	var sp icd.SpectralProfileData
	c.await(icd.EventType_SPECTRAL_PROFILE_DATA, &sp)
	var rack icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &rack)
	if hist.Channel != 5 || !rack.Success || len(sp.Profiles) != 1 || string(sp.Profiles[0].RawValuesFp32) != string(before.Profiles[0].RawValuesFp32) {
		t.Fatalf("after restart: histogram channel %d, spectral profile %v (before %v), ack %+v", hist.Channel, sp.Profiles, before.Profiles, &rack)
	}
}
