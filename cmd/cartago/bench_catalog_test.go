package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/catalog"
)

// catalogRowsFlag sizes TestCatalogOverWebsocket's tables;
// scripts/bench-catalog.sh passes -catalog-rows=1000000.
var catalogRowsFlag = flag.Int("catalog-rows", 20000, "rows of TestCatalogOverWebsocket's tables")

// TestCatalogOverWebsocket opens a survey-like VOTable (TABLEDATA) and
// the same table as FITS in the real server over its websocket, then
// filters (flux > 5) and sorts (RA) every row, as the catalog widget
// does, and logs how long each took from the client's side (timings are
// logged, not asserted). It checks the row counts: the ACK's data_size,
// the 50 preview rows, and that the streamed subset holds every match,
// in RA order.
func TestCatalogOverWebsocket(t *testing.T) {
	rows := *catalogRowsFlag
	root := t.TempDir()
	spec := catalog.SurveySpec(rows)
	write := map[string]func(*os.File) error{
		"survey.vot":  func(f *os.File) error { return catalog.WriteVOTable(f, spec, catalog.TableData) },
		"survey.fits": func(f *os.File) error { return catalog.WriteFITSTable(f, spec) },
	}
	matches := 0
	for _, v := range spec.Columns[2].Values {
		if float64(float32(v)) > 5 {
			matches++
		}
	}
	for name, w := range write {
		f, err := os.Create(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := w(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	srv := startProcess(t, "--root", root, "--no-frontend", "--port", freePort(t))
	c := dialServer(t, srv.url)
	c.register(0)
	for i, name := range []string{"survey.vot", "survey.fits"} {
		id := int32(i + 1)
		start := time.Now()
		c.send(icd.EventType_OPEN_CATALOG_FILE, &icd.OpenCatalogFile{Directory: ".", Name: name, FileId: id, PreviewDataSize: 50})
		var ack icd.OpenCatalogFileAck
		c.await(icd.EventType_OPEN_CATALOG_FILE_ACK, &ack)
		open := time.Since(start)
		if !ack.Success || ack.DataSize != int32(rows) || len(ack.PreviewData[3].GetBinaryData()) != 4*min(50, rows) {
			t.Fatalf("%s: ack %v %q", name, ack.DataSize, ack.Message)
		}
		start = time.Now()
		c.send(icd.EventType_CATALOG_FILTER_REQUEST, &icd.CatalogFilterRequest{FileId: id, ColumnIndices: []int32{0, 1, 2, 3, 4, 5},
			SubsetDataSize: int32(rows), SortColumn: "RA",
			FilterConfigs: []*icd.FilterConfig{{ColumnName: "flux", ComparisonOperator: icd.ComparisonOperator_Greater, Value: 5}}})
		got, last := 0, -1.0
		for {
			var resp icd.CatalogFilterResponse
			c.await(icd.EventType_CATALOG_FILTER_RESPONSE, &resp)
			for _, ra := range floatsLE(resp.Columns[0].GetBinaryData()) {
				if ra < last {
					t.Fatalf("%s: RA %v after %v", name, ra, last)
				}
				last = ra
			}
			got += int(resp.SubsetDataSize)
			if resp.Progress >= 1 {
				break
			}
		}
		if got != matches {
			t.Fatalf("%s: %d rows streamed, want %d", name, got, matches)
		}
		fmt.Printf("websocket file=%s rows=%d open_preview_s=%.3f filter_sort_stream_s=%.3f rows_streamed=%d\n",
			name, rows, open.Seconds(), time.Since(start).Seconds(), got)
	}
}

func floatsLE(b []byte) []float64 {
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}
