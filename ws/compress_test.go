package ws

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/contour"
	"cartago/imaging/tiles"
	"cartago/session"
)

// rawClient speaks websocket by hand so that it can see the RSV1 bit of
// each message (set = deflated), which gorilla's client hides.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// dialDeflate connects offering permessage-deflate the way Chrome does
// and fails unless the server agreed.
func dialDeflate(t *testing.T, addr string) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	key := make([]byte, 16)
	rand.Read(key)
	fmt.Fprintf(conn, "GET /?token=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
		testToken, addr, base64.StdEncoding.EncodeToString(key))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	must(t, err)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: HTTP %d", resp.StatusCode)
	}
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("permessage-deflate not negotiated: %q", ext)
	}
	return &rawClient{t: t, conn: conn, r: r}
}

// send writes one ICD message as a single masked, uncompressed frame.
func (c *rawClient) send(et icd.EventType, req uint32, m proto.Message) {
	c.t.Helper()
	payload := icd.AppendHeader(nil, icd.Header{Type: et, Version: icd.Version, RequestID: req})
	payload, err := proto.MarshalOptions{}.MarshalAppend(payload, m)
	must(c.t, err)
	frame := []byte{0x82} // FIN, binary
	switch n := len(payload); {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n < 1<<16:
		frame = binary.BigEndian.AppendUint16(append(frame, 0x80|126), uint16(n))
	default:
		frame = binary.BigEndian.AppendUint64(append(frame, 0x80|127), uint64(n))
	}
	mask := []byte{1, 2, 3, 4}
	frame = append(frame, mask...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	_, err = c.conn.Write(frame)
	must(c.t, err)
}

// rawMsg is one message as received.
type rawMsg struct {
	deflated bool // RSV1 on its first frame
	hdr      icd.Header
	payload  []byte // inflated if it was deflated
}

// next reads the next binary message (skipping control frames), joining
// its fragments and inflating it if RSV1 says so.
func (c *rawClient) next() rawMsg {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var data []byte
	var first byte
	started := false
	for {
		b0, payload := c.frame()
		if op := b0 & 0x0f; op >= 8 {
			continue // ping/pong/close: not expected here, not data
		}
		if !started {
			first, started = b0, true
		}
		data = append(data, payload...)
		if b0&0x80 != 0 { // FIN
			break
		}
	}
	if op := first & 0x0f; op != 2 {
		c.t.Fatalf("message with opcode %d, want binary", op)
	}
	m := rawMsg{deflated: first&0x40 != 0}
	if m.deflated {
		fr := flate.NewReader(io.MultiReader(bytes.NewReader(data), strings.NewReader("\x00\x00\xff\xff\x01\x00\x00\xff\xff")))
		var err error
		data, err = io.ReadAll(fr)
		must(c.t, err)
	}
	hdr, payload, err := icd.DecodeFrame(data)
	must(c.t, err)
	m.hdr, m.payload = hdr, payload
	return m
}

// frame reads one unmasked server frame: its first byte and payload.
func (c *rawClient) frame() (byte, []byte) {
	c.t.Helper()
	var h [2]byte
	_, err := io.ReadFull(c.r, h[:])
	must(c.t, err)
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, err = io.ReadFull(c.r, l[:])
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		_, err = io.ReadFull(c.r, l[:])
		n = binary.BigEndian.Uint64(l[:])
	}
	must(c.t, err)
	if h[1]&0x80 != 0 || n > 64<<20 {
		c.t.Fatalf("bad server frame header % x (length %d)", h, n)
	}
	payload := make([]byte, n)
	_, err = io.ReadFull(c.r, payload)
	must(c.t, err)
	return h[0], payload
}

// expect reads messages up to the first of type want, decodes it into m
// and returns it as received.
func (c *rawClient) expect(want icd.EventType, m proto.Message) rawMsg {
	c.t.Helper()
	for {
		got := c.next()
		if got.hdr.Type == icd.EventType_ERROR_DATA {
			var e icd.ErrorData
			proto.Unmarshal(got.payload, &e)
			c.t.Fatalf("server error while waiting for %s: %s", want, e.Message)
		}
		if got.hdr.Type != want {
			continue
		}
		must(c.t, proto.Unmarshal(got.payload, m))
		return got
	}
}

// TestDeflatePerMessage: with permessage-deflate negotiated, tiles (ZFP
// and float32) and small messages go out uncompressed, file lists and
// histograms deflated, and all of them decode to the right contents.
// Before the rule every data message was deflated (perf.md (g)).
func TestDeflatePerMessage(t *testing.T) {
	root := t.TempDir()
	writeCube(t, filepath.Join(root, "cube.fits"))
	const files = 300
	for i := range files {
		must(t, os.WriteFile(filepath.Join(root, fmt.Sprintf("field%03d_band%d.fits", i/4, i%4)), fitsHeaderOnly(), 0o644))
	}
	folder, err := session.NewFolder(root, "")
	must(t, err)
	ts := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder})
	c := dialDeflate(t, ts.addr)

	c.send(icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{ClientFeatureFlags: 5})
	if ack := c.expect(icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{}); ack.deflated != (len(ack.payload)+icd.HeaderSize >= compressMinBytes) {
		t.Errorf("REGISTER_VIEWER_ACK of %d bytes deflated %v; only those of at least %d should be",
			len(ack.payload)+icd.HeaderSize, ack.deflated, compressMinBytes)
	}

	c.send(icd.EventType_FILE_LIST_REQUEST, 2, &icd.FileListRequest{Directory: "."})
	var list icd.FileListResponse
	if !c.expect(icd.EventType_FILE_LIST_RESPONSE, &list).deflated {
		t.Error("FILE_LIST_RESPONSE sent raw; file lists should be deflated")
	}
	if !list.Success || len(list.Files) != files+1 {
		t.Fatalf("file list: success %v, %d files, want %d", list.Success, len(list.Files), files+1)
	}

	c.send(icd.EventType_OPEN_FILE, 3, &icd.OpenFile{Directory: ".", File: "cube.fits", FileId: 0})
	var ack icd.OpenFileAck
	c.expect(icd.EventType_OPEN_FILE_ACK, &ack)
	if !ack.Success {
		t.Fatalf("open: %s", ack.Message)
	}
	var hist icd.RegionHistogramData
	if !c.expect(icd.EventType_REGION_HISTOGRAM_DATA, &hist).deflated {
		t.Error("REGION_HISTOGRAM_DATA sent raw; histograms should be deflated")
	}
	checkImageHistogram(t, &hist, 0, 0)

	// The full-resolution tile at the origin: 256×200 pixels.
	first := tiles.Tile{X: 0, Y: 0, Layer: tiles.Layers(cubeW, cubeH)}
	r, err := tiles.Locate(first, cubeW, cubeH)
	must(t, err)
	for _, ct := range []icd.CompressionType{icd.CompressionType_ZFP, icd.CompressionType_NONE} {
		c.send(icd.EventType_ADD_REQUIRED_TILES, 4, &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{first.Encode()},
			CompressionType: ct, CompressionQuality: 11})
		var td icd.RasterTileData
		if c.expect(icd.EventType_RASTER_TILE_DATA, &td).deflated {
			t.Errorf("%s tile deflated; tiles should go raw", ct)
		}
		tile := td.Tiles[0]
		if r.Mip != 1 || int(tile.Width) != r.Width || int(tile.Height) != r.Height || len(tile.ImageData) == 0 {
			t.Fatalf("%s tile %dx%d with %d bytes, want %dx%d at mip 1 (got %d)", ct, tile.Width, tile.Height,
				len(tile.ImageData), r.Width, r.Height, r.Mip)
		}
		if ct == icd.CompressionType_NONE {
			checkCubeTile(t, floats(tile.ImageData), r.Width, r.Height)
		}
		var end icd.RasterTileSync
		if c.expect(icd.EventType_RASTER_TILE_SYNC, &end).deflated || !end.EndSync {
			t.Errorf("end sync %+v (deflated or not the end)", &end)
		}
	}
}

// checkCubeTile compares a full-resolution raw tile at the origin of the
// test cube's channel 0 (NaN sent as -FLT_MAX, as the frontend wants).
func checkCubeTile(t *testing.T, got []float32, w, h int) {
	t.Helper()
	if len(got) != w*h {
		t.Fatalf("tile of %d values, want %d", len(got), w*h)
	}
	for y := range h {
		for x := range w {
			v, want := got[y*w+x], cubeValue(x, y, 0)
			if x < 4 && y < 4 {
				want = -math.MaxFloat32
			}
			if v != want {
				t.Fatalf("pixel (%d,%d) = %g, want %g", x, y, v, want)
			}
		}
	}
}

// TestCompressWorthIt: the rule on real contour encodings and sizes.
func TestCompressWorthIt(t *testing.T) {
	vertices := make([]float32, 2000)
	for i := range vertices {
		vertices[i] = float32(i%97) + 0.5
	}
	contours := func(level int) *icd.ContourImageData {
		enc := contour.Encode(vertices, level, 4)
		return &icd.ContourImageData{ContourSets: []*icd.ContourSet{{RawCoordinates: enc.Coordinates,
			DecimationFactor: int32(enc.Decimation), UncompressedCoordinatesSize: int32(enc.UncompressedSize)}}}
	}
	big := compressMinBytes
	for _, tc := range []struct {
		t    icd.EventType
		m    proto.Message
		n    int
		want bool
	}{
		{icd.EventType_RASTER_TILE_DATA, &icd.RasterTileData{}, 1 << 20, false},
		{icd.EventType_VECTOR_OVERLAY_TILE_DATA, &icd.VectorOverlayTileData{}, 1 << 20, false},
		{icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{}, 1 << 16, false},
		{icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{}, 1 << 16, false},
		{icd.EventType_REGION_STATS_DATA, &icd.RegionStatsData{}, 1 << 10, false},
		{icd.EventType_CONTOUR_IMAGE_DATA, contours(8), big, false},
		{icd.EventType_CONTOUR_IMAGE_DATA, contours(0), big, true},
		{icd.EventType_FILE_LIST_RESPONSE, &icd.FileListResponse{}, big, true},
		{icd.EventType_FILE_LIST_RESPONSE, &icd.FileListResponse{}, big - 1, false},
		{icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}, 1 << 14, true},
		{icd.EventType_CATALOG_FILTER_RESPONSE, &icd.CatalogFilterResponse{}, 1 << 14, true},
	} {
		if got := compressWorthIt(tc.t, tc.m, tc.n); got != tc.want {
			t.Errorf("compressWorthIt(%s, %d bytes) = %v, want %v", tc.t, tc.n, got, tc.want)
		}
	}
}
