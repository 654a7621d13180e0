package ws

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
	"cartago/session"
)

// clientOn serves root and returns a registered client.
func clientOn(t *testing.T, root string) *websocket.Conn {
	t.Helper()
	folder, err := session.NewFolder(root, "")
	must(t, err)
	ts := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder})
	c := ts.dial(t, testToken)
	register(t, c, 0)
	return c
}

func writeFITS(t *testing.T, path string, naxis []int, data []float32, cards ...fits.Card) {
	t.Helper()
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: naxis, Data: data, Cards: cards}))
}

// TestChannelChangeCancelsStaleTiles: a large tile request for channel 0
// followed at once by a channel change must not deliver channel-0 tiles
// after the channel-1 group has started.
func TestChannelChangeCancelsStaleTiles(t *testing.T) {
	const w, h = 2048, 2048
	root := t.TempDir()
	data := make([]float32, w*h*2)
	for i := range data {
		data[i] = float32(i / (w * h)) // channel number
	}
	writeFITS(t, filepath.Join(root, "big.fits"), []int{w, h, 2}, data)
	c := clientOn(t, root)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 2, &icd.OpenFile{Directory: ".", File: "big.fits", FileId: 0})
	expect(t, c, icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})

	var all []int32
	for y := range 8 {
		for x := range 8 {
			all = append(all, tiles.Encode(x, y, 3))
		}
	}
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 3, &icd.AddRequiredTiles{FileId: 0, Tiles: all})
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 4, &icd.SetImageChannels{FileId: 0, Channel: 1,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: all[:2]}})

	newStarted, open := false, false
	for {
		h, p := next(t, c)
		switch h.Type {
		case icd.EventType_RASTER_TILE_SYNC:
			var s icd.RasterTileSync
			must(t, proto.Unmarshal(p, &s))
			if open == !s.EndSync {
				t.Fatalf("sync %+v while a group open=%v", &s, open)
			}
			open = !s.EndSync
			if s.Channel == 1 && !s.EndSync {
				newStarted = true
			}
			if s.Channel == 1 && s.EndSync {
				return
			}
		case icd.EventType_RASTER_TILE_DATA:
			var td icd.RasterTileData
			must(t, proto.Unmarshal(p, &td))
			if newStarted && td.Channel == 0 {
				t.Fatal("a channel-0 tile arrived after the channel-1 group started")
			}
			if v := floats(td.Tiles[0].ImageData)[0]; v != float32(td.Channel) {
				t.Fatalf("tile of channel %d holds %g", td.Channel, v)
			}
		}
	}
}

func TestStokesChange(t *testing.T) {
	const w, h, d, s = 16, 8, 2, 4
	root := t.TempDir()
	data := make([]float32, w*h*d*s)
	for i := range data {
		data[i] = float32(100*(i/(w*h*d)) + (i/(w*h))%d) // 100·stokes + channel
	}
	writeFITS(t, filepath.Join(root, "iquv.fits"), []int{w, h, d, s}, data,
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("CTYPE4", "STOKES", ""),
		fits.NewFloatCard("CRVAL4", 1, ""), fits.NewFloatCard("CDELT4", 1, ""), fits.NewFloatCard("CRPIX4", 1, ""))
	c := clientOn(t, root)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 2, &icd.OpenFile{Directory: ".", File: "iquv.fits", FileId: 0})
	ack := expect(t, c, icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	if got := strings.Join(ack.FileInfoExtended.StokesVals, ","); got != "I,Q,U,V" || ack.FileInfoExtended.Stokes != s {
		t.Fatalf("Stokes %q", got)
	}
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 3, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: 2, Y: 3}})
	expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	// Profiles of another polarization than the one shown.
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 4, &icd.SetSpatialRequirements{FileId: 0,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "Ux"}}})
	sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if v := floats(sp.Profiles[0].RawValuesFp32)[0]; v != 200 || sp.Value != 0 {
		t.Fatalf("U profile starts with %g (want 200), value %g (want I = 0)", v, sp.Value)
	}
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 5, &icd.SetImageChannels{FileId: 0, Channel: 1, Stokes: 3,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}}})
	hist := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	if hist.Stokes != 3 || hist.Channel != 1 || math.Abs(hist.Histograms.Mean-301) > 1e-9 {
		t.Fatalf("histogram stokes %d channel %d mean %g, want V channel 1 (301)", hist.Stokes, hist.Channel, hist.Histograms.Mean)
	}
	sp = expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if sp.Stokes != 3 || sp.Value != 301 {
		t.Fatalf("cursor after Stokes change %+v", sp)
	}
	group := readTileGroup(t, c, 0, 1)
	if v := floats(group[tiles.Tile{}].ImageData)[0]; v != 301 {
		t.Fatalf("V tile holds %g, want 301", v)
	}
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 6, &icd.SetImageChannels{FileId: 0, Channel: 0, Stokes: 4})
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); !strings.Contains(e.Message, "Stokes 4") {
		t.Fatalf("Stokes out of range: %q", e.Message)
	}
}
