package session

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cartago/icd"
	"cartago/imaging/fits"
)

var stokesTypes = [4]icd.PolarizationType{icd.PolarizationType_I, icd.PolarizationType_Q, icd.PolarizationType_U, icd.PolarizationType_V}

// writeStokesPart writes Stokes k (0 = I) of the polarization fixture
// (stokesValue) as its own polW×polH×polD file; with a degenerate
// STOKES axis naming its type when stokesAxis.
func writeStokesPart(t *testing.T, path string, k int, stokesAxis bool, extra ...fits.Card) {
	t.Helper()
	data := make([]float32, 0, polW*polH*polD)
	for c := range polD {
		for y := range polH {
			for x := range polW {
				data = append(data, stokesValue(x, y, c, k))
			}
		}
	}
	naxis := []int{polW, polH, polD}
	cards := []fits.Card{fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewFloatCard("CRVAL3", 1e9, ""), fits.NewFloatCard("CDELT3", 1e6, ""),
		fits.NewFloatCard("BMAJ", 0.001, ""), fits.NewFloatCard("BMIN", 0.001, ""), fits.NewFloatCard("BPA", 0, "")}
	if stokesAxis {
		naxis = append(naxis, 1)
		cards = append(cards, fits.NewStringCard("CTYPE4", "STOKES", ""), fits.NewFloatCard("CRVAL4", float64(k+1), ""),
			fits.NewFloatCard("CDELT4", 1, ""), fits.NewFloatCard("CRPIX4", 1, ""))
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: naxis, Cards: append(cards, extra...), Data: data}))
}

// concatRoot holds pol_I.fits ... pol_V.fits, with or without a
// degenerate Stokes axis, and an out folder.
func concatRoot(t *testing.T, stokesAxis bool) string {
	t.Helper()
	root := t.TempDir()
	for k, typ := range stokesTypes {
		writeStokesPart(t, filepath.Join(root, "pol_"+typ.String()+".fits"), k, stokesAxis)
	}
	must(t, os.Mkdir(filepath.Join(root, "out"), 0o755))
	return root
}

func stokesFiles(types ...icd.PolarizationType) []*icd.StokesFile {
	var out []*icd.StokesFile
	for _, typ := range types {
		out = append(out, &icd.StokesFile{Directory: ".", File: "pol_" + typ.String() + ".fits", PolarizationType: typ})
	}
	return out
}

func concat(t *testing.T, c *pipe, req uint32, id int32, files []*icd.StokesFile) *icd.ConcatStokesFilesAck {
	t.Helper()
	sendMsg(t, c, icd.EventType_CONCAT_STOKES_FILES, 30, req, &icd.ConcatStokesFiles{FileId: id, StokesFiles: files})
	var ack icd.ConcatStokesFilesAck
	skipTo(t, c, icd.EventType_CONCAT_STOKES_FILES_ACK, &ack)
	return &ack
}

// Four files sent in any order open as one image with Stokes I, Q, U, V
// (StokesFilesConnector.cc DoConcat: concatenated in the order I, Q, U,
// V; named prefix + "hypercube_" + types + suffix), and polarization
// work runs on it: the vector overlay sees Q and U of their own files,
// and a save writes the four files' planes as one cube.
func TestConcatStokesFilesIsOneImage(t *testing.T) {
	t.Run("no Stokes axis", func(t *testing.T) { testConcat(t, false) })
	t.Run("degenerate Stokes axis", func(t *testing.T) { testConcat(t, true) })
}

func testConcat(t *testing.T, stokesAxis bool) {
	root := concatRoot(t, stokesAxis)
	c := folderPipe(t, root)
	ack := concat(t, c, 2, 0, stokesFiles(icd.PolarizationType_V, icd.PolarizationType_I, icd.PolarizationType_U, icd.PolarizationType_Q))
	if !ack.Success || ack.OpenFileAck == nil || !ack.OpenFileAck.Success {
		t.Fatalf("concat: %+v", ack)
	}
	o := ack.OpenFileAck
	if o.FileId != 0 || o.FileInfo.Name != "pol_hypercube_IQUV.fits" || o.FileInfoExtended.Stokes != 4 || o.FileInfoExtended.Depth != polD {
		t.Fatalf("open ack: id %d name %q ext %+v", o.FileId, o.FileInfo.Name, o.FileInfoExtended)
	}
	if len(o.BeamTable) != 1 {
		t.Errorf("beam table %v", o.BeamTable)
	}
	skipTo(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})

	set := &icd.SetVectorOverlayParameters{FileId: 0, ImageBounds: &icd.ImageBounds{XMax: polW, YMax: polH},
		SmoothingFactor: 2, Threshold: math.NaN(), StokesIntensity: 1, StokesAngle: 1, CompressionType: icd.CompressionType_NONE}
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 3, set)
	msgs := readVectorOverlay(t, c)
	ivals := floats(msgs[0].IntensityTiles[0].ImageData)
	for by := range polH / 2 {
		if got, want := float64(ivals[by*polW/2]), 5*(1.5+2*float64(by)); math.Abs(got-want) > 1e-5*want {
			t.Fatalf("linear polarized intensity of block row %d = %g, want %g", by, got, want)
		}
	}

	sv := save(t, c, 4, &icd.SaveFile{FileId: 0, OutputFileDirectory: "out", OutputFileName: "cube.fits", OutputFileType: icd.FileType_FITS})
	if !sv.Success {
		t.Fatalf("save: %+v", sv)
	}
	_, im := readSaved(t, filepath.Join(root, "out", "cube.fits"))
	if !slices.Equal(im.Layout.StokesValues, []int{1, 2, 3, 4}) || im.Layout.Depth != polD {
		t.Fatalf("saved Stokes %v depth %d", im.Layout.StokesValues, im.Layout.Depth)
	}
	for k := range 4 {
		p, err := im.Plane(2, k)
		must(t, err)
		if got, want := p.Data[7*polW+3], stokesValue(3, 7, 2, k); got != want {
			t.Fatalf("saved Stokes %d = %v, want %v", k, got, want)
		}
	}
	snap := c.client.session.snapshot()
	if len(snap.Images) != 1 || len(snap.Images[0].StokesFiles) != 4 || snap.Images[0].File != "pol_hypercube_IQUV.fits" {
		t.Fatalf("snapshot %+v", snap.Images)
	}
}

// Refusals with the reference's texts (StokesFilesConnector.cc
// OpenStokesFiles, StokesFilesValid); a WCS mismatch is refused too,
// which the reference does not check.
func TestConcatStokesFilesRefusals(t *testing.T) {
	root := concatRoot(t, false)
	writeStokesPart(t, filepath.Join(root, "axis_U.fits"), 2, true)
	writeStokesPart(t, filepath.Join(root, "moved_U.fits"), 2, false, fits.NewFloatCard("CRVAL1", 10, ""))
	c := folderPipe(t, root)
	moved := stokesFiles(icd.PolarizationType_I, icd.PolarizationType_Q)
	moved = append(moved, &icd.StokesFile{Directory: ".", File: "moved_U.fits", PolarizationType: icd.PolarizationType_U})
	dup := stokesFiles(icd.PolarizationType_I, icd.PolarizationType_Q)
	dup[1].PolarizationType = icd.PolarizationType_I
	for i, tc := range []struct {
		files []*icd.StokesFile
		text  string
	}{
		{stokesFiles(icd.PolarizationType_I), "Need at least two files to concatenate!"},
		{dup, "Duplicate Stokes type found!"},
		{stokesFiles(icd.PolarizationType_I, icd.PolarizationType_Q, icd.PolarizationType_V), "Hypercube IQV is not allowed!"},
		{moved, "Image shapes or axes are not consistent! (CRVAL1 differs)"},
		{append(stokesFiles(icd.PolarizationType_I), &icd.StokesFile{Directory: ".", File: "axis_U.fits", PolarizationType: icd.PolarizationType_U}), "Image shapes or axes are not consistent!"},
		{append(stokesFiles(icd.PolarizationType_I), &icd.StokesFile{Directory: ".", File: "nope.fits", PolarizationType: icd.PolarizationType_Q}), "does not exist"},
		{append(stokesFiles(icd.PolarizationType_I), &icd.StokesFile{Directory: "..", File: "x.fits", PolarizationType: icd.PolarizationType_Q}), ""},
	} {
		ack := concat(t, c, uint32(2+i), 1, tc.files)
		if ack.Success || !strings.Contains(ack.Message, tc.text) || ack.Message == "" {
			t.Errorf("case %d: %+v, want a refusal containing %q", i, ack, tc.text)
		}
	}
	if snap := c.client.session.snapshot(); len(snap.Images) != 0 {
		t.Fatalf("refused hypercubes left images: %+v", snap.Images)
	}
}
