package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/casa/casatest"
	"cartago/imaging/fits"
)

// TestKill9ThenResumeCasa: a session showing a CASA image comes back
// after SIGKILL and a restart, reading the image again: its histogram
// and the cursor's value (checked against the FITS file it was made of).
func TestKill9ThenResumeCasa(t *testing.T) {
	r := newCrashRig(t)
	const image = "cube.im"
	casatest.Convert(t, filepath.Join(r.root, crashCube), filepath.Join(r.root, image), "--endian", "big", "--tile", "16,16,4")
	srv := r.start()
	c := dialServer(t, srv.url)
	ack := c.register(0)
	open := c.open(image, 1)
	if !open.Success || open.FileInfo.Type != icd.FileType_CASA {
		t.Fatalf("open: %+v", open)
	}
	c.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 1, Channel: 5})
	c.send(icd.EventType_SET_SPATIAL_REQUIREMENTS, &icd.SetSpatialRequirements{FileId: 1,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}}})
	c.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: 10, Y: 20}})
	c.await(icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)

	snap := r.stored(ack.SessionId)
	if len(snap.Images) != 1 || snap.Images[0].File != image || snap.Images[0].Channel != 5 || snap.Images[0].Cursor.GetX() != 10 {
		t.Fatalf("snapshot after kill: %v", snap)
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	if again := c.register(ack.SessionId); again.SessionType != icd.SessionType_RESUMED {
		t.Fatalf("register after restart: %+v", again)
	}
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: image, FileId: 1, Channel: 5}}})
	var hist icd.RegionHistogramData
	c.await(icd.EventType_REGION_HISTOGRAM_DATA, &hist)
	var sp icd.SpatialProfileData
	c.await(icd.EventType_SPATIAL_PROFILE_DATA, &sp)
	var rack icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &rack)
	if hist.Channel != 5 || sp.X != 10 || sp.Y != 20 || !rack.Success || strings.Contains(rack.Message, image) {
		t.Fatalf("after restart: histogram channel %d, cursor (%d,%d), ack %+v", hist.Channel, sp.X, sp.Y, &rack)
	}
	if want := fitsPixel(t, filepath.Join(r.root, crashCube), 10, 20, 5); sp.Value != want {
		t.Fatalf("cursor value %v after restart, FITS %v", sp.Value, want)
	}
}

// fitsPixel reads one pixel of a FITS cube.
func fitsPixel(t *testing.T, path string, x, y, channel int) float32 {
	t.Helper()
	f, err := fits.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := f.Image("0")
	if err != nil {
		t.Fatal(err)
	}
	spec := make([]float32, 1)
	if err := im.ReadSpectrum(spec, x, y, 0, channel); err != nil {
		t.Fatal(err)
	}
	return spec[0]
}
