package session

// Fixtures of the session's behaviour tests, which drive a Client
// through a pipe (pipe_test.go): images with known pixel values, and
// the steps every test starts with. They were ws's, from when these
// tests went through a socket; ws keeps its own copies for its tests.

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
)

// recv reads the next message and checks its type and request id.
func recv(t *testing.T, p *pipe, want icd.EventType, wantReq uint32, m proto.Message) {
	t.Helper()
	h, b := next(t, p)
	if h.Type != want || h.RequestID != wantReq {
		t.Fatalf("got %s/req %d, want %s/req %d", describe(h, b), h.RequestID, want, wantReq)
	}
	must(t, proto.Unmarshal(b, m))
}

// Test cube: 300×200×5, value x + 1000·y + 1e5·channel (exact in
// float32), with a NaN block at x,y in [0,4).
const cubeW, cubeH, cubeD = 300, 200, 5

func cubeValue(x, y, c int) float32 { return float32(x + 1000*y + 100000*c) }

func writeCube(t *testing.T, path string) {
	t.Helper()
	data := make([]float32, cubeW*cubeH*cubeD)
	for c := range cubeD {
		for y := range cubeH {
			for x := range cubeW {
				v := cubeValue(x, y, c)
				if x < 4 && y < 4 {
					v = float32(math.NaN())
				}
				data[(c*cubeH+y)*cubeW+x] = v
			}
		}
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{cubeW, cubeH, cubeD}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("BUNIT", "Jy/beam", ""),
		fits.NewFloatCard("BMAJ", 0.001, ""), fits.NewFloatCard("BMIN", 0.0005, ""), fits.NewFloatCard("BPA", 30, ""),
	}}))
}

// imageClient is a registered client of a session whose root
// holds cube.fits and a corrupt file.
func imageClient(t *testing.T) *pipe {
	t.Helper()
	root := t.TempDir()
	writeCube(t, filepath.Join(root, "cube.fits"))
	good, err := os.ReadFile(filepath.Join(root, "cube.fits"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(root, "truncated.fits"), good[:5000], 0o644))
	c := folderPipe(t, root)
	return c
}

func openCube(t *testing.T, c *pipe, id int32) {
	t.Helper()
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 5, &icd.OpenFile{Directory: ".", File: "cube.fits", FileId: id})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 5, &ack)
	if !ack.Success || ack.FileId != id {
		t.Fatalf("open: %+v", &ack)
	}
	ext := ack.FileInfoExtended
	if ext.Width != cubeW || ext.Height != cubeH || ext.Depth != cubeD || ext.Stokes != 1 || ext.AxesNumbers.Spectral != 3 {
		t.Fatalf("extended info %+v", ext)
	}
	if len(ack.BeamTable) != 1 || math.Abs(float64(ack.BeamTable[0].MajorAxis)-3.6) > 1e-4 {
		t.Errorf("beam table %v, want one beam of 3.6 arcsec", ack.BeamTable)
	}
	h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	checkImageHistogram(t, h, id, 0)
}

func checkImageHistogram(t *testing.T, h *icd.RegionHistogramData, id int32, channel int32) {
	t.Helper()
	if h.FileId != id || h.RegionId != -1 || h.Channel != channel || h.Progress != 1 {
		t.Fatalf("histogram header %+v", h)
	}
	wantBins := int32(math.Sqrt(cubeW * cubeH))
	var total int32
	for _, n := range h.Histograms.Bins {
		total += n
	}
	if h.Histograms.NumBins != wantBins || total != cubeW*cubeH-16 {
		t.Fatalf("histogram: %d bins counting %d pixels, want %d bins over %d finite pixels", h.Histograms.NumBins, total, wantBins, cubeW*cubeH-16)
	}
	lo := float64(cubeValue(4, 0, int(channel)))
	if got := h.Histograms.FirstBinCenter - h.Histograms.BinWidth/2; math.Abs(got-lo) > 1e-3*math.Abs(lo)+1e-3 {
		t.Errorf("histogram starts at %g, want the finite minimum %g", got, lo)
	}
}

// readTileGroup reads a sync start, its tiles and the sync end.
func readTileGroup(t *testing.T, c *pipe, id, channel int32) map[tiles.Tile]*icd.TileData {
	t.Helper()
	start := expect(t, c, icd.EventType_RASTER_TILE_SYNC, &icd.RasterTileSync{})
	if start.EndSync || start.SyncId <= 0 || start.FileId != id || start.Channel != channel {
		t.Fatalf("sync start %+v", start)
	}
	got := map[tiles.Tile]*icd.TileData{}
	for range start.TileCount {
		td := expect(t, c, icd.EventType_RASTER_TILE_DATA, &icd.RasterTileData{})
		if td.SyncId != start.SyncId || td.Channel != channel || td.FileId != id || len(td.Tiles) != 1 {
			t.Fatalf("tile message %+v", td)
		}
		tile := td.Tiles[0]
		got[tiles.Tile{X: int(tile.X), Y: int(tile.Y), Layer: int(tile.Layer)}] = tile
	}
	end := expect(t, c, icd.EventType_RASTER_TILE_SYNC, &icd.RasterTileSync{})
	if !end.EndSync || end.SyncId != start.SyncId || end.TileCount != start.TileCount {
		t.Fatalf("sync end %+v for start %+v", end, start)
	}
	return got
}

// setRegion sends SET_REGION and returns the ack.
func setRegion(t *testing.T, c *pipe, req uint32, file, id int32, info *icd.RegionInfo) *icd.SetRegionAck {
	t.Helper()
	sendMsg(t, c, icd.EventType_SET_REGION, 30, req, &icd.SetRegion{FileId: file, RegionId: id, RegionInfo: info})
	var ack icd.SetRegionAck
	recv(t, c, icd.EventType_SET_REGION_ACK, req, &ack)
	return &ack
}

// noErrorsToPong reads what was sent so far, failing on any
// ERROR_DATA.
func noErrorsToPong(t *testing.T, c *pipe) {
	t.Helper()
	readToPong(t, c, func(h icd.Header, p []byte) {
		if h.Type == icd.EventType_ERROR_DATA {
			var e icd.ErrorData
			must(t, proto.Unmarshal(p, &e))
			t.Errorf("ERROR_DATA: %q", e.Message)
		}
	})
}

// The Stokes test cube: 20×10 pixels, 3 channels, Stokes I, Q, U, V with
// I = 100 + x, Q = 3·s, U = 4·s, V = 12·s for s = 1 + y + channel, so
// Ptotal = 13·s, Plinear = 5·s, PFtotal = 1300·s/I.
const polW, polH, polD = 20, 10, 3

func stokesValue(x, y, c, k int) float32 {
	s := float32(1 + y + c)
	return [4]float32{float32(100 + x), 3 * s, 4 * s, 12 * s}[k]
}

// stokesClient opens the Stokes cube (and a Q/U-less copy) as file 0.
func stokesClient(t *testing.T, withV bool) *pipe {
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
	c := folderPipe(t, root)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 2, &icd.OpenFile{Directory: ".", File: "stokes.fits", FileId: 0})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 2, &ack)
	if !ack.Success || ack.FileInfoExtended.Stokes != int32(nst) {
		t.Fatalf("open: %+v", &ack)
	}
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	return c
}
