package ws

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
	"cartago/session"
	"cartago/ws/wstest"
)

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

// imageClient is a registered websocket client on a server whose root
// holds cube.fits and a corrupt file.
func imageClient(t *testing.T) *websocket.Conn {
	t.Helper()
	root := t.TempDir()
	writeCube(t, filepath.Join(root, "cube.fits"))
	good, err := os.ReadFile(filepath.Join(root, "cube.fits"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(root, "truncated.fits"), good[:5000], 0o644))
	folder, err := session.NewFolder(root, "")
	must(t, err)
	ts := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder})
	c := ts.dial(t, testToken)
	register(t, c, 0)
	return c
}

// next reads one binary message, skipping text, and returns its header
// and a payload of its own.
func next(t *testing.T, c *websocket.Conn) (icd.Header, []byte) {
	t.Helper()
	wt := wstest.WrapT(t, c)
	for {
		if m := wt.Next(); !m.IsText {
			return m.Header, slices.Clone(m.Payload)
		}
	}
}

// expect reads the next binary message, which must be of type want.
func expect[M proto.Message](t *testing.T, c *websocket.Conn, want icd.EventType, m M) M {
	t.Helper()
	h, p := next(t, c)
	if msg := (wstest.Message{Header: h, Payload: p}); !msg.Is(want) {
		t.Fatalf("got %s, want %s", msg, want)
	}
	must(t, proto.Unmarshal(p, m))
	return m
}

func floats(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func openCube(t *testing.T, c *websocket.Conn, id int32) {
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
func readTileGroup(t *testing.T, c *websocket.Conn, id, channel int32) map[tiles.Tile]*icd.TileData {
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

func TestFileInfo(t *testing.T) {
	c := imageClient(t)
	sendMsg(t, c, icd.EventType_FILE_INFO_REQUEST, 30, 2, &icd.FileInfoRequest{Directory: ".", File: "cube.fits"})
	var resp icd.FileInfoResponse
	recv(t, c, icd.EventType_FILE_INFO_RESPONSE, 2, &resp)
	ext := resp.FileInfoExtended["0"]
	if !resp.Success || ext == nil || ext.Width != cubeW || ext.Depth != cubeD || resp.FileInfo.Size == 0 {
		t.Fatalf("file info %+v", &resp)
	}
	cards := map[string]string{}
	for _, e := range ext.HeaderEntries {
		cards[e.Name] = e.Value
	}
	if cards["CTYPE3"] != "FREQ" || cards["NAXIS1"] != "300" {
		t.Errorf("header entries %v", cards)
	}
	// No EXTNAME, no "Extension name" entry (the reference's
	// FileExtInfoLoader.cc:392); the frontend labels HDUs from entry 2
	// only when it is one.
	if len(ext.ComputedEntries) < 3 || ext.ComputedEntries[1].Name != "HDU" || ext.ComputedEntries[2].Name == "Extension name" {
		t.Errorf("computed entries %v: want Name, HDU, then no extension name", ext.ComputedEntries)
	}
	for i, bad := range []string{"truncated.fits", "missing.fits", "../cube.fits"} {
		req := uint32(10 + i)
		sendMsg(t, c, icd.EventType_FILE_INFO_REQUEST, 30, req, &icd.FileInfoRequest{Directory: ".", File: bad})
		recv(t, c, icd.EventType_FILE_INFO_RESPONSE, req, &resp)
		if resp.Success || resp.Message == "" || strings.Contains(resp.Message, os.TempDir()) {
			t.Errorf("%s: %+v, want a failure that names no server path", bad, &resp)
		}
	}
}

func TestOpenTilesCursorChannel(t *testing.T) {
	c := imageClient(t)
	sendMsg(t, c, icd.EventType_CLOSE_FILE, 30, 4, &icd.CloseFile{FileId: -1}) // as before every load
	openCube(t, c, 0)

	// Tiles: 300×200 has two full-resolution tiles (layer 1) and one
	// 2×-downsampled tile (layer 0); an id outside the image is skipped.
	req := []int32{tiles.Encode(0, 0, 1), tiles.Encode(1, 0, 1), tiles.Encode(0, 0, 0), tiles.Encode(1, 1, 1)}
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 6, &icd.AddRequiredTiles{FileId: 0, Tiles: req, CompressionType: icd.CompressionType_NONE})
	got := readTileGroup(t, c, 0, 0)
	if len(got) != 3 {
		t.Fatalf("got %d tiles, want 3", len(got))
	}
	edge := got[tiles.Tile{X: 1, Y: 0, Layer: 1}]
	if edge.Width != cubeW-256 || edge.Height != cubeH {
		t.Fatalf("edge tile %dx%d", edge.Width, edge.Height)
	}
	v := floats(edge.ImageData)
	if v[7*int(edge.Width)+3] != cubeValue(256+3, 7, 0) {
		t.Errorf("edge tile pixel (3,7) = %g, want %g", v[7*int(edge.Width)+3], cubeValue(259, 7, 0))
	}
	first := floats(got[tiles.Tile{X: 0, Y: 0, Layer: 1}].ImageData)
	if first[0] != -math.MaxFloat32 || first[5] != cubeValue(5, 0, 0) {
		t.Errorf("blank pixel sent as %g (want -FLT_MAX), pixel 5 = %g", first[0], first[5])
	}
	low := got[tiles.Tile{X: 0, Y: 0, Layer: 0}]
	if low.Width != 150 || low.Height != 100 {
		t.Errorf("layer-0 tile %dx%d, want 150x100", low.Width, low.Height)
	}
	if lv := floats(low.ImageData); lv[1*150+3] != (cubeValue(6, 2, 0)+cubeValue(7, 2, 0)+cubeValue(6, 3, 0)+cubeValue(7, 3, 0))/4 {
		t.Errorf("downsampled pixel = %g", lv[1*150+3])
	}

	// Cursor: the value comes even without profile requirements.
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 7, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: 10.4, Y: 20.6}})
	sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if sp.X != 10 || sp.Y != 21 || sp.Value != cubeValue(10, 21, 0) || len(sp.Profiles) != 0 {
		t.Fatalf("cursor data %+v", sp)
	}
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 8, &icd.SetSpatialRequirements{FileId: 0, RegionId: 0,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}, {Coordinate: "y", Start: 10, End: 20}}})
	sp = expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if len(sp.Profiles) != 2 {
		t.Fatalf("profiles %v", sp.Profiles)
	}
	if xs := floats(sp.Profiles[0].RawValuesFp32); len(xs) != cubeW || xs[299] != cubeValue(299, 21, 0) {
		t.Errorf("x profile: %d values", len(xs))
	}
	if ys := floats(sp.Profiles[1].RawValuesFp32); len(ys) != 10 || ys[0] != cubeValue(10, 10, 0) || sp.Profiles[1].Start != 10 {
		t.Errorf("y profile %v", ys)
	}
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 9, &icd.SetSpectralRequirements{FileId: 0, RegionId: 0,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Mean}}}})
	spec := expect(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{})
	zs := floats(spec.Profiles[0].RawValuesFp32)
	if spec.Progress != 1 || len(zs) != cubeD || zs[4] != cubeValue(10, 21, 4) {
		t.Fatalf("spectrum %v progress %g", zs, spec.Progress)
	}

	// Channel change: histogram, cursor profile, then the tiles.
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 10, &icd.SetImageChannels{FileId: 0, Channel: 3,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 1)}, CompressionQuality: 11}})
	checkImageHistogram(t, expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}), 0, 3)
	sp = expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if sp.Channel != 3 || sp.Value != cubeValue(10, 21, 3) {
		t.Fatalf("cursor after channel change %+v", sp)
	}
	got = readTileGroup(t, c, 0, 3)
	if v := floats(got[tiles.Tile{X: 0, Y: 0, Layer: 1}].ImageData); v[5] != cubeValue(5, 0, 3) {
		t.Errorf("channel 3 tile pixel = %g", v[5])
	}

	// After the close, tiles for the file are dropped silently (carta-backend
	// src/Session/Session.cc:670) and a cursor on it gets the reference's
	// DEBUG "File id 0 not found" tagged "cursor" (Session.cc:780).
	sendMsg(t, c, icd.EventType_CLOSE_FILE, 30, 11, &icd.CloseFile{FileId: 0})
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 12, &icd.AddRequiredTiles{FileId: 0, Tiles: req})
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 13, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: 1, Y: 1}})
	e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{})
	if e.Message != "File id 0 not found" || e.Severity != icd.ErrorSeverity_DEBUG || !slices.Equal(e.Tags, []string{"cursor"}) {
		t.Errorf("cursor after close: %v", e)
	}
}

func TestImageErrorsKeepSessionWorking(t *testing.T) {
	c := imageClient(t)
	for i, name := range []string{"missing.fits", "truncated.fits", "../cube.fits"} {
		req := uint32(20 + i)
		sendMsg(t, c, icd.EventType_OPEN_FILE, 30, req, &icd.OpenFile{Directory: ".", File: name, FileId: 1})
		var ack icd.OpenFileAck
		recv(t, c, icd.EventType_OPEN_FILE_ACK, req, &ack)
		if ack.Success || ack.FileId != 1 || ack.Message == "" {
			t.Errorf("open %s: %+v, want a failure with a message", name, &ack)
		}
		// The reference's text for a missing file (carta-backend
		// src/Util/Casacore.cc:118), which clients match on.
		if want := "File missing.fits does not exist."; name == "missing.fits" && ack.Message != want {
			t.Errorf("open %s: message %q, want %q", name, ack.Message, want)
		}
	}
	openCube(t, c, 2)
	bad := []struct {
		et   icd.EventType
		msg  proto.Message
		want string
	}{
		{icd.EventType_SET_STATS_REQUIREMENTS, &icd.SetStatsRequirements{FileId: 9, RegionId: -1}, "File id 9 not found"},
		{icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 2, Channel: 99}, "Channel 99 or Stokes 0 is invalid in image"},
		{icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 2}, "no point"},
		{icd.EventType_SET_SPATIAL_REQUIREMENTS, &icd.SetSpatialRequirements{FileId: 2, RegionId: 0,
			SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "Qx"}}}, ""},
	}
	for i, b := range bad {
		sendMsg(t, c, b.et, 30, uint32(40+i), b.msg)
		if b.want == "" {
			continue // accepted; errors appear once a cursor exists
		}
		if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); !strings.Contains(e.Message, b.want) {
			t.Errorf("%s: %q, want %q", b.et, e.Message, b.want)
		}
	}
	// A Stokes the image lacks is reported once the cursor needs it.
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 50, &icd.SetCursor{FileId: 2, Point: &icd.Point{X: 1, Y: 1}})
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); !strings.Contains(e.Message, "no Q plane") {
		t.Errorf("Qx profile: %q", e.Message)
	}
	sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if !math.IsNaN(float64(sp.Value)) {
		t.Errorf("cursor on a blank pixel: %g, want NaN", sp.Value)
	}
	// Still working.
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 51, &icd.AddRequiredTiles{FileId: 2, Tiles: []int32{tiles.Encode(0, 0, 0)}})
	if got := readTileGroup(t, c, 2, 0); len(got) != 1 {
		t.Fatalf("tiles after errors: %d", len(got))
	}
}

func TestHistogramRequirements(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)

	// The frontend's cube histogram request: region -2, channel -2, auto.
	cube := &icd.HistogramConfig{Channel: -2, NumBins: -1, Bounds: &icd.DoubleBounds{}}
	sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 30, 3, &icd.SetHistogramRequirements{FileId: 0, RegionId: -2,
		Histograms: []*icd.HistogramConfig{cube}})
	h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	var total int64
	for _, n := range h.Histograms.Bins {
		total += int64(n)
	}
	if h.RegionId != -2 || h.Channel != -2 || h.Progress != 1 || total != cubeD*(cubeW*cubeH-16) {
		t.Fatalf("cube histogram region %d channel %d progress %g counting %d pixels", h.RegionId, h.Channel, h.Progress, total)
	}
	lo := float64(cubeValue(4, 0, 0))
	if got := h.Histograms.FirstBinCenter - h.Histograms.BinWidth/2; math.Abs(got-lo) > 1 {
		t.Errorf("cube histogram starts at %g, want %g", got, lo)
	}

	// An extra image histogram with fixed bins and bounds.
	fixed := &icd.HistogramConfig{Coordinate: "z", Channel: -1, FixedNumBins: true, NumBins: 10, FixedBounds: true, Bounds: &icd.DoubleBounds{Min: 0, Max: 1000}}
	sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 30, 4, &icd.SetHistogramRequirements{FileId: 0, RegionId: -1,
		Histograms: []*icd.HistogramConfig{fixed}})
	h = expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	if h.RegionId != -1 || h.Histograms.NumBins != 10 || h.Histograms.BinWidth != 100 || !h.Config.FixedBounds {
		t.Fatalf("fixed histogram %+v", h.Histograms)
	}
	var counted int32
	for _, n := range h.Histograms.Bins {
		counted += n
	}
	want := int32(0)
	for y := range cubeH {
		for x := range cubeW {
			if v := cubeValue(x, y, 0); v <= 1000 && !(x < 4 && y < 4) {
				want++
			}
		}
	}
	if counted != want {
		t.Errorf("fixed-bounds histogram counts %d pixels, want %d", counted, want)
	}
	// A region that does not exist: the reference's error
	// (carta-backend src/Session/Session.cc:999).
	sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 30, 5, &icd.SetHistogramRequirements{FileId: 0, RegionId: 7,
		Histograms: []*icd.HistogramConfig{fixed}})
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); e.Message != "Histogram requirements not valid for region id 7" ||
		!slices.Equal(e.Tags, []string{"histogram"}) || e.Severity != icd.ErrorSeverity_ERROR {
		t.Errorf("region histogram: %v", e)
	}
}

// TestChannelMap: one channel-map message asks for a block of channels
// and gets a histogram and a tile group for each.
func TestChannelMap(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 3, &icd.SetImageChannels{FileId: 0, Channel: 1,
		ChannelMapEnabled: true, ChannelRange: &icd.IntBounds{Min: 1, Max: 3}, CurrentRange: &icd.IntBounds{Min: 0, Max: 4},
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}, CurrentTiles: []int32{tiles.Encode(0, 0, 0)}}})
	for ch := int32(1); ch <= 3; ch++ {
		checkImageHistogram(t, expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}), 0, ch)
		got := readTileGroup(t, c, 0, ch)
		if v := floats(got[tiles.Tile{}].ImageData)[300]; v == 0 {
			t.Fatalf("channel %d tile empty", ch)
		}
	}
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 4, &icd.SetImageChannels{FileId: 0, Channel: 0,
		ChannelMapEnabled: true, ChannelRange: &icd.IntBounds{Min: 0, Max: 9999},
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{0}}})
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); !strings.Contains(e.Message, "channel range") {
		t.Fatalf("bad range: %q", e.Message)
	}
}
