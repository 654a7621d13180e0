package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/tiles"
	"cartago/ws/wstest"
)

// fitTiles are the 16 tiles of the fit view of a 4096² image: layer 2
// (mip 4) of 4, as the frontend asks for a window of about 1024 pixels.
func fitTiles() []int32 {
	var ids []int32
	for y := range 4 {
		for x := range 4 {
			ids = append(ids, tiles.Encode(x, y, 2))
		}
	}
	return ids
}

// session runs one short session on file and returns its duration.
func session(url, file string) (time.Duration, error) {
	begin := time.Now()
	d := websocket.Dialer{EnableCompression: true, HandshakeTimeout: time.Minute}
	conn, _, err := d.Dial(url, nil)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	c := &client{conn: conn}
	c.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{ClientFeatureFlags: 5})
	if err := c.await(icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{}); err != nil {
		return 0, err
	}
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{File: file, FileId: 0, Hdu: "0"})
	var ack icd.OpenFileAck
	if err := c.await(icd.EventType_OPEN_FILE_ACK, &ack); err != nil {
		return 0, err
	}
	if !ack.Success {
		return 0, fmt.Errorf("open %s: %s", file, ack.Message)
	}
	ids := fitTiles()
	c.send(icd.EventType_ADD_REQUIRED_TILES, &icd.AddRequiredTiles{FileId: 0, Tiles: ids,
		CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11})
	if err := c.awaitView(len(ids)); err != nil {
		return 0, err
	}
	return time.Since(begin), nil
}

type client struct {
	conn *websocket.Conn
	req  uint32
}

func (c *client) send(et icd.EventType, m proto.Message) {
	c.req++
	check(wstest.Wrap(c.conn).Send(et, c.req, m))
}

// next reads one message.
func (c *client) next() (icd.Header, []byte, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(5 * time.Minute)); err != nil {
		return icd.Header{}, nil, err
	}
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		return icd.Header{}, nil, err
	}
	return icd.DecodeFrame(data)
}

func (c *client) await(et icd.EventType, m proto.Message) error {
	for {
		h, payload, err := c.next()
		if err != nil {
			return err
		}
		if h.Type == et {
			return proto.Unmarshal(payload, m)
		}
	}
}

// awaitView reads until the image histogram, n tiles and the end of
// their group have come.
func (c *client) awaitView(n int) error {
	hist, got, ended := false, 0, false
	for !hist || got < n || !ended {
		h, payload, err := c.next()
		if err != nil {
			return err
		}
		switch h.Type {
		case icd.EventType_REGION_HISTOGRAM_DATA:
			hist = true
		case icd.EventType_RASTER_TILE_DATA:
			got++
		case icd.EventType_RASTER_TILE_SYNC:
			var s icd.RasterTileSync
			if err := proto.Unmarshal(payload, &s); err != nil {
				return err
			}
			ended = ended || s.EndSync
		case icd.EventType_ERROR_DATA:
			var e icd.ErrorData
			_ = proto.Unmarshal(payload, &e)
			return fmt.Errorf("ERROR_DATA: %s", e.Message)
		}
	}
	return nil
}

// images writes img0.fits (once) and copies it to img1..img(n-1).fits:
// distinct files of the same content.
func images(dir string, n int) []string {
	check(os.MkdirAll(dir, 0o755))
	first := filepath.Join(dir, "img0.fits")
	if _, err := os.Stat(first); err != nil {
		check(writeImage(first, imageSide, imageSide))
	}
	names := []string{"img0.fits"}
	for i := 1; i < n; i++ {
		name := fmt.Sprintf("img%d.fits", i)
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			check(copyFile(filepath.Join(dir, name), first))
		}
		names = append(names, name)
	}
	return names
}

// writeImage writes a w×h float32 image: smooth sources on noise, so
// tiles compress as sky images do.
func writeImage(path string, w, h int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	e := fits.NewEncoder(f)
	if err := e.WriteHeader(fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h}}); err != nil {
		return err
	}
	row := make([]float32, w)
	seed := uint32(1)
	for y := range h {
		for x := range row {
			seed = seed*1664525 + 1013904223
			noise := float64(seed>>8)/float64(1<<24) - 0.5
			row[x] = float32(math.Sin(float64(x)/97)*math.Cos(float64(y)/61) + noise*0.1)
		}
		if err := e.WriteData(row); err != nil {
			return err
		}
	}
	return e.Close()
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
