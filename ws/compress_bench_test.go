package ws

import (
	"bytes"
	"compress/flate"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/bench"
)

// BenchmarkMessageCompression measures what permessage-deflate does to
// each message class, on messages our server really sent for the sample
// data (captureMessages): deflated/raw size ("ratio") and deflate speed
// (MB/s of raw input) at flate level 1 (gorilla's default, ours) and 6
// (zlib's default), each message compressed on its own as gorilla does
// without context takeover. The table in compress.go comes from it:
//
//	go test -run '^$' -bench MessageCompression ./ws/
func BenchmarkMessageCompression(b *testing.B) {
	for _, c := range captureMessages(b) {
		for _, level := range []int{flate.BestSpeed, flate.DefaultCompression} {
			b.Run(fmt.Sprintf("%s/level-%d", c.name, level), func(b *testing.B) {
				var buf bytes.Buffer
				fw, err := flate.NewWriter(&buf, level)
				if err != nil {
					b.Fatal(err)
				}
				raw, packed := 0, 0
				for _, m := range c.msgs {
					raw += len(m)
				}
				b.SetBytes(int64(raw))
				for b.Loop() {
					packed = 0
					for _, m := range c.msgs {
						buf.Reset()
						fw.Reset(&buf)
						fw.Write(m)
						fw.Flush()
						packed += buf.Len() - 4 // gorilla drops the 00 00 ff ff tail
					}
				}
				b.ReportMetric(float64(raw)/float64(len(c.msgs)), "raw-B/msg")
				b.ReportMetric(float64(packed)/float64(raw), "ratio")
				b.ReportMetric(float64(len(c.msgs)), "msgs")
			})
		}
	}
}

// capture is one message class: the frames (ICD header included) the
// server sent for it.
type capture struct {
	name string
	msgs [][]byte
}

// captureMessages asks a real server for one of each message class the
// frontend commonly receives and returns the frames as sent.
func captureMessages(b *testing.B) []capture {
	b.Helper()
	cl := benchClient(b)
	var out []capture
	add := func(name string, msgs [][]byte) {
		if len(msgs) == 0 {
			b.Fatalf("captured no %s", name)
		}
		out = append(out, capture{name, msgs})
	}
	info := cl.capture(icd.EventType_FILE_INFO_REQUEST, &icd.FileInfoRequest{Directory: ".", File: bench.Image}, icd.EventType_FILE_INFO_RESPONSE)
	add("FILE_INFO_RESPONSE", info[icd.EventType_FILE_INFO_RESPONSE])
	open := cl.capture(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: bench.Image, FileId: 0}, icd.EventType_REGION_HISTOGRAM_DATA)
	add("OPEN_FILE_ACK", open[icd.EventType_OPEN_FILE_ACK])
	add("REGION_HISTOGRAM_DATA", open[icd.EventType_REGION_HISTOGRAM_DATA])

	fit := bench.Encode(bench.FitView(benchImageSide, benchImageSide, 1600, 1000).Tiles(benchImageSide, benchImageSide))
	full := bench.Encode(bench.FullResView(benchImageSide, benchImageSide, 1920, 1080).Tiles(benchImageSide, benchImageSide))
	tiles := cl.captureTiles(tileRequest(0, fit))
	add("RASTER_TILE_DATA-zfp-fit", tiles[icd.EventType_RASTER_TILE_DATA])
	add("RASTER_TILE_SYNC", tiles[icd.EventType_RASTER_TILE_SYNC])
	add("RASTER_TILE_DATA-zfp-full", cl.captureTiles(tileRequest(0, full))[icd.EventType_RASTER_TILE_DATA])
	raw := tileRequest(0, fit)
	raw.CompressionType = icd.CompressionType_NONE
	add("RASTER_TILE_DATA-float32-fit", cl.captureTiles(raw)[icd.EventType_RASTER_TILE_DATA])

	cl.send(icd.EventType_SET_SPATIAL_REQUIREMENTS, &icd.SetSpatialRequirements{FileId: 0, RegionId: 0,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}, {Coordinate: "y"}}})
	spatial := cl.capture(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: 2000, Y: 1500}}, icd.EventType_SPATIAL_PROFILE_DATA)
	add("SPATIAL_PROFILE_DATA-4096", spatial[icd.EventType_SPATIAL_PROFILE_DATA])

	var hist icd.RegionHistogramData
	if err := proto.Unmarshal(open[icd.EventType_REGION_HISTOGRAM_DATA][0][icd.HeaderSize:], &hist); err != nil {
		b.Fatal(err)
	}
	for _, level := range []int32{0, 8} {
		contours := cl.captureContours(hist.Histograms, level)
		add(fmt.Sprint("CONTOUR_IMAGE_DATA-compression-", level), contours)
	}

	region := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 2000, Y: 2000}, {X: 400, Y: 400}}}
	set := cl.capture(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 0, RegionId: -1, RegionInfo: region}, icd.EventType_SET_REGION_ACK)
	add("SET_REGION_ACK", set[icd.EventType_SET_REGION_ACK])
	stats := cl.capture(icd.EventType_SET_STATS_REQUIREMENTS, &icd.SetStatsRequirements{FileId: 0, RegionId: 1,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{
			icd.StatsType_NumPixels, icd.StatsType_Sum, icd.StatsType_Mean, icd.StatsType_RMS, icd.StatsType_Sigma,
			icd.StatsType_Min, icd.StatsType_Max}}}}, icd.EventType_REGION_STATS_DATA)
	add("REGION_STATS_DATA", stats[icd.EventType_REGION_STATS_DATA])

	cl.openFile(bench.Cube, 1)
	cl.send(icd.EventType_SET_SPECTRAL_REQUIREMENTS, &icd.SetSpectralRequirements{FileId: 1, RegionId: 0,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum}}}})
	cl.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: 100, Y: 200}})
	spec := cl.collect(func(h icd.Header, p []byte) bool {
		var s icd.SpectralProfileData
		return h.Type == icd.EventType_SPECTRAL_PROFILE_DATA && proto.Unmarshal(p, &s) == nil && s.Progress >= 1
	})[icd.EventType_SPECTRAL_PROFILE_DATA]
	add("SPECTRAL_PROFILE_DATA-200ch", spec[len(spec)-1:])

	add("FILE_LIST_RESPONSE-1000", captureFileList(b, 1000))
	add("FILE_LIST_RESPONSE-3", captureFileList(b, 3)) // where the size threshold sits
	return out
}

// capture sends m and returns every frame read up to and including the
// first of type until, by type.
func (cl *wsBench) capture(et icd.EventType, m proto.Message, until icd.EventType) map[icd.EventType][][]byte {
	cl.send(et, m)
	return cl.collect(func(h icd.Header, _ []byte) bool { return h.Type == until })
}

// collect reads frames until done says the last one ends the capture.
func (cl *wsBench) collect(done func(icd.Header, []byte) bool) map[icd.EventType][][]byte {
	got := map[icd.EventType][][]byte{}
	for {
		h, p := cl.read()
		got[h.Type] = append(got[h.Type], append(icd.AppendHeader(nil, h), p...)) // the frame as sent
		if done(h, p) {
			return got
		}
	}
}

// captureTiles requests tiles and returns the frames up to the end sync.
func (cl *wsBench) captureTiles(req *icd.AddRequiredTiles) map[icd.EventType][][]byte {
	cl.send(icd.EventType_ADD_REQUIRED_TILES, req)
	return cl.collect(func(h icd.Header, p []byte) bool {
		var s icd.RasterTileSync
		return h.Type == icd.EventType_RASTER_TILE_SYNC && proto.Unmarshal(p, &s) == nil && s.EndSync
	})
}

// captureContours asks for five contour levels between 2 and 20 σ above
// the image's mean, at the given compression (0 = float32 vertices, else
// the frontend's zstd level), and returns the CONTOUR_IMAGE_DATA frames
// until every level is complete.
func (cl *wsBench) captureContours(h *icd.Histogram, level int32) [][]byte {
	var levels []float64
	for _, k := range []float64{2, 3, 5, 10, 20} {
		levels = append(levels, h.Mean+k*h.StdDev)
	}
	cl.send(icd.EventType_SET_CONTOUR_PARAMETERS, &icd.SetContourParameters{FileId: 0, ReferenceFileId: 0,
		Levels: levels, SmoothingMode: icd.SmoothingMode_BlockAverage, SmoothingFactor: 4, DecimationFactor: 4,
		CompressionLevel: level, ContourChunkSize: 100000})
	finished := 0
	got := cl.collect(func(h icd.Header, p []byte) bool {
		var m icd.ContourImageData
		if h.Type == icd.EventType_CONTOUR_IMAGE_DATA && proto.Unmarshal(p, &m) == nil && m.Progress >= 1 {
			finished++
		}
		return finished == len(levels)
	})
	return got[icd.EventType_CONTOUR_IMAGE_DATA]
}

// captureFileList lists a folder of n FITS files named like a survey's.
func captureFileList(b *testing.B, n int) [][]byte {
	dir := b.TempDir()
	header := fitsHeaderOnly()
	for i := range n {
		name := fmt.Sprintf("survey-field%03d_band%d_2024-%02d-%02dT%02d%02d.fits", i/4, i%4+1, i%12+1, i%28+1, i%24, i%60)
		if err := os.WriteFile(filepath.Join(dir, name), header, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	cl := benchClientDial(b, dir, websocket.DefaultDialer)
	got := cl.capture(icd.EventType_FILE_LIST_REQUEST, &icd.FileListRequest{Directory: "."}, icd.EventType_FILE_LIST_RESPONSE)
	return got[icd.EventType_FILE_LIST_RESPONSE]
}
