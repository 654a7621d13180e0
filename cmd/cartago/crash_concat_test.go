package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/fits"
)

// writeStokesFiles writes pol_I.fits ... pol_V.fits, 32×32×4 each,
// value 10·(k+1) + x for Stokes k: the mean of a plane names its file.
func writeStokesFiles(t *testing.T, dir string) []*icd.StokesFile {
	t.Helper()
	var out []*icd.StokesFile
	for k, typ := range []icd.PolarizationType{icd.PolarizationType_I, icd.PolarizationType_Q, icd.PolarizationType_U, icd.PolarizationType_V} {
		data := make([]float32, 32*32*4)
		for i := range data {
			data[i] = float32(10*(k+1) + i%32)
		}
		name := "pol_" + typ.String() + ".fits"
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		err = fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{32, 32, 4}, Data: data, Cards: []fits.Card{
			fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""), fits.NewStringCard("CTYPE3", "FREQ", "")}})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &icd.StokesFile{Directory: ".", File: name, PolarizationType: typ})
	}
	return out
}

// TestKill9KeepsAHypercube: a Stokes hypercube survives a SIGKILL as
// one image with its source files; the frontend's RESUME_SESSION (which
// carries stokes_files, as the reference's resume concatenates again,
// Session.cc OnResumeSession) brings back its channel and Stokes, read
// from the right file.
func TestKill9KeepsAHypercube(t *testing.T) {
	r := newCrashRig(t)
	files := writeStokesFiles(t, r.root)
	srv := r.start()
	c := dialServer(t, srv.url)
	ack := c.register(0)
	c.send(icd.EventType_CONCAT_STOKES_FILES, &icd.ConcatStokesFiles{FileId: 1, StokesFiles: files})
	var cack icd.ConcatStokesFilesAck
	c.await(icd.EventType_CONCAT_STOKES_FILES_ACK, &cack)
	if !cack.Success || cack.OpenFileAck.GetFileInfoExtended().GetStokes() != 4 {
		t.Fatalf("concat: %+v", &cack)
	}
	name := cack.OpenFileAck.FileInfo.Name
	c.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 1, Channel: 2, Stokes: 2})
	var h icd.RegionHistogramData
	for h.Stokes != 2 {
		c.await(icd.EventType_REGION_HISTOGRAM_DATA, &h)
	}
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)

	snap := r.stored(ack.SessionId)
	if len(snap.Images) != 1 || len(snap.Images[0].StokesFiles) != 4 || snap.Images[0].Stokes != 2 || snap.Images[0].File != name {
		t.Fatalf("snapshot after kill: %v", snap)
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	if again := c.register(ack.SessionId); again.SessionType != icd.SessionType_RESUMED {
		t.Fatalf("register after restart: %+v", again)
	}
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: name, FileId: 1, Channel: 2, Stokes: 2, StokesFiles: files}}})
	var hist icd.RegionHistogramData
	c.await(icd.EventType_REGION_HISTOGRAM_DATA, &hist)
	var rack icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &rack)
	// Stokes U is pol_U.fits: 30 + x, mean 45.5.
	if !rack.Success || rack.Message != "session resumed" || hist.Stokes != 2 || hist.Channel != 2 || math.Abs(hist.Histograms.Mean-45.5) > 1e-6 {
		t.Fatalf("after restart: ack %+v, histogram Stokes %d channel %d mean %v", &rack, hist.Stokes, hist.Channel, hist.Histograms.GetMean())
	}
}
