package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/fit"
	"cartago/imaging/fits"
)

// writeGaussImage writes a w×h float image of p with noise (seed 7) as
// our FITS generator writes one, and returns its pixels.
func writeGaussImage(t *testing.T, path string, w, h int, p fit.Params, noise float64, cards ...fits.Card) []float32 {
	t.Helper()
	data := fit.Synthesize(w, h, p, noise, 7)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h}, Data: data, Cards: cards}); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestKill9ThenResumeFitModel: a fit's model and residual images made
// before a SIGKILL are in the stored snapshot as a recipe, and
// RESUME_SESSION naming them after a restart makes them again, so their
// file ids answer the cursor with the same values.
func TestKill9ThenResumeFitModel(t *testing.T) {
	r := newCrashRig(t)
	truth := fit.Params{Components: []fit.Gaussian{{X: 40, Y: 30, Amp: 3, FWHMX: 10, FWHMY: 6, PA: 40}}, Offset: 0.2}
	data := writeGaussImage(t, filepath.Join(r.root, "gauss.fits"), 80, 64, truth, 0.02)

	srv := r.start()
	c := dialServer(t, srv.url)
	c.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{})
	var ack icd.RegisterViewerAck
	c.await(icd.EventType_REGISTER_VIEWER_ACK, &ack)
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: "gauss.fits", FileId: 0})
	c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	c.send(icd.EventType_FITTING_REQUEST, &icd.FittingRequest{FileId: 0, RegionId: -1, FixedParams: make([]bool, 7),
		InitialValues: []*icd.GaussianComponent{{Center: &icd.DoublePoint{X: 42, Y: 29}, Amp: 2.5,
			Fwhm: &icd.DoublePoint{X: 12, Y: 5}, Pa: 30}}, CreateModelImage: true, CreateResidualImage: true})
	var resp icd.FittingResponse
	c.await(icd.EventType_FITTING_RESPONSE, &resp)
	if !resp.Success || resp.ModelImage.GetFileId() != 1 || resp.ResidualImage.GetFileId() != 2 {
		t.Fatalf("fit: %+v", &resp)
	}
	cursor := func(id int32) float32 {
		c.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: id, Point: &icd.Point{X: 41, Y: 31}})
		var sp icd.SpatialProfileData
		for sp.FileId != id {
			c.await(icd.EventType_SPATIAL_PROFILE_DATA, &sp)
		}
		return sp.Value
	}
	model, residual := cursor(1), cursor(2)
	if math.Abs(float64(model+residual-data[31*80+41])) > 1e-5 {
		t.Fatalf("model %g + residual %g ≠ data %g", model, residual, data[31*80+41])
	}
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)

	snap := r.stored(ack.SessionId)
	if len(snap.Images) != 3 || snap.Images[1].Fit == nil || snap.Images[2].Fit == nil || !snap.Images[2].Fit.Residual {
		t.Fatalf("snapshot after kill: %v", snap.Images)
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	c.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{SessionId: ack.SessionId})
	c.await(icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{})
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: "gauss.fits", FileId: 0},
		{Directory: ".", File: "gauss_model.fits", FileId: 1},
		{Directory: ".", File: "gauss_residual.fits", FileId: 2},
	}})
	var rack icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &rack)
	if !rack.Success || strings.Contains(rack.Message, "not restored") {
		t.Fatalf("resume: %+v", &rack)
	}
	if m, res := cursor(1), cursor(2); m != model || res != residual {
		t.Fatalf("after restart: model %g residual %g, want %g and %g", m, res, model, residual)
	}
}
