package ws

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
	"cartago/session"
)

// The Stokes test cube: 20×10 pixels, 3 channels, Stokes I, Q, U, V with
// I = 100 + x, Q = 3·s, U = 4·s, V = 12·s for s = 1 + y + channel, so
// Ptotal = 13·s, Plinear = 5·s, PFtotal = 1300·s/I.
const polW, polH, polD = 20, 10, 3

func stokesValue(x, y, c, k int) float32 {
	s := float32(1 + y + c)
	return [4]float32{float32(100 + x), 3 * s, 4 * s, 12 * s}[k]
}

// stokesClient opens the Stokes cube (and a Q/U-less copy) as file 0.
func stokesClient(t *testing.T, withV bool) *websocket.Conn {
	t.Helper()
	nst := 4
	if !withV {
		nst = 3
	}
	data := make([]float32, polW*polH*polD*nst)
	for k := range nst {
		for c := range polD {
			for y := range polH {
				for x := range polW {
					data[((k*polD+c)*polH+y)*polW+x] = stokesValue(x, y, c, k)
				}
			}
		}
	}
	root := t.TempDir()
	f, err := os.Create(filepath.Join(root, "stokes.fits"))
	must(t, err)
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{polW, polH, polD, nst}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("CTYPE4", "STOKES", ""),
		fits.NewFloatCard("CRVAL4", 1, ""), fits.NewFloatCard("CDELT4", 1, ""), fits.NewFloatCard("CRPIX4", 1, ""),
	}}))
	f.Close()
	folder, err := session.NewFolder(root, "")
	must(t, err)
	ts := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder})
	c := ts.dial(t, testToken)
	register(t, c, 0)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 2, &icd.OpenFile{Directory: ".", File: "stokes.fits", FileId: 0})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 2, &ack)
	if !ack.Success || ack.FileInfoExtended.Stokes != int32(nst) {
		t.Fatalf("open: %+v", &ack)
	}
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	return c
}

// TestDerivedPolarizations: the frontend offers Ptotal, Plinear, PFtotal,
// PFlinear and Pangle for images with Stokes Q and U (and I, V) and asks
// for them with their PolarizationType numbers as the Stokes index; the
// server derives them from the planes for tiles, the histogram, the
// cursor and the spectrum.
func TestDerivedPolarizations(t *testing.T) {
	c := stokesClient(t, true)
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 3, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: 7, Y: 2}})
	expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 4, &icd.SetSpectralRequirements{FileId: 0,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "Ptotalz"}, {Coordinate: "z"}}})
	spec := expect(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{})
	if len(spec.Profiles) != 2 {
		t.Fatalf("%d spectra, want Ptotalz and z", len(spec.Profiles))
	}
	zs := floats(spec.Profiles[0].RawValuesFp32)
	for ch, v := range zs {
		if want := 13 * float32(1+2+ch); v != want {
			t.Fatalf("Ptotal spectrum %v, want 13·(3+channel)", zs)
		}
	}

	// Channel 1 in PFtotal: histogram, cursor value, then the tile; the
	// Ptotal spectrum does not depend on the Stokes shown and is not
	// sent again.
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 5, &icd.SetImageChannels{FileId: 0, Channel: 1, Stokes: 15,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}, CompressionType: icd.CompressionType_NONE}})
	h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	pf := func(x, y, ch int) float32 { return float32(1300 * float64(1+y+ch) / float64(100+x)) }
	var mean float64
	for y := range polH {
		for x := range polW {
			mean += float64(pf(x, y, 1)) / (polW * polH)
		}
	}
	if h.Stokes != 15 || h.Channel != 1 || math.Abs(h.Histograms.Mean-mean) > 1e-6*mean {
		t.Fatalf("PFtotal histogram %+v, want mean %g", h, mean)
	}
	sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if sp.Stokes != 15 || math.Abs(float64(sp.Value-pf(7, 2, 1))) > 1e-5 {
		t.Fatalf("cursor in PFtotal: %+v, want %g", sp, pf(7, 2, 1))
	}
	spec = expect(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{})
	if len(spec.Profiles) != 1 || spec.Profiles[0].Coordinate != "z" || spec.Stokes != 15 {
		t.Fatalf("spectra after the Stokes change: %+v, want only z, of PFtotal", spec)
	}
	if zs := floats(spec.Profiles[0].RawValuesFp32); math.Abs(float64(zs[2]-pf(7, 2, 2))) > 1e-5 {
		t.Errorf("PFtotal spectrum %v, want %g in channel 2", zs, pf(7, 2, 2))
	}
	got := readTileGroup(t, c, 0, 1)
	tile := floats(got[tiles.Tile{X: 0, Y: 0, Layer: 0}].ImageData)
	if math.Abs(float64(tile[3*polW+5]-pf(5, 3, 1))) > 1e-5 {
		t.Errorf("PFtotal tile pixel (5, 3) = %g, want %g", tile[3*polW+5], pf(5, 3, 1))
	}

	// Pangle, and a profile coordinate naming it.
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 6, &icd.SetSpatialRequirements{FileId: 0,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "Panglex"}}})
	var sp2 icd.SpatialProfileData
	skipTo(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &sp2)
	want := float32(math.Atan2(4, 3) * 90 / math.Pi)
	if xs := floats(sp2.Profiles[0].RawValuesFp32); len(xs) != polW || math.Abs(float64(xs[0]-want)) > 1e-5 {
		t.Errorf("Pangle x profile %v, want %g everywhere", xs, want)
	}
	noErrorsToPong(t, c)
}

// Without Stokes V there is no Ptotal; the error says why and the
// session goes on.
func TestDerivedPolarizationNeedsPlanes(t *testing.T) {
	c := stokesClient(t, false)
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 3, &icd.SetImageChannels{FileId: 0, Stokes: 13})
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); !strings.Contains(e.Message, "Stokes planes the image does not have") {
		t.Fatalf("Ptotal without V: %q", e.Message)
	}
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 4, &icd.SetImageChannels{FileId: 0, Stokes: 14})
	h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	if h.Stokes != 14 || h.Histograms.Mean != 5*5.5 { // 5·(1+y) over y = 0..9
		t.Fatalf("Plinear histogram %+v, want mean 27.5", h)
	}
}
