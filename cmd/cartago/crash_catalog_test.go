package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/catalog"
)

// TestKill9ThenResumeCatalog: a catalog open before a SIGKILL is in the
// stored snapshot, and RESUME_SESSION's catalog_files reopen it after a
// restart (carta-backend src/Session/Session.cc:1173-1176), so the
// catalog widget can keep filtering it.
func TestKill9ThenResumeCatalog(t *testing.T) {
	r := newCrashRig(t)
	spec := &catalog.Spec{Columns: []catalog.SpecColumn{
		{Name: "RA", Unit: "deg", Type: catalog.Double, Values: []float64{1, 2, 3}},
		{Name: "id", Type: catalog.Int32, Values: []float64{30, 10, 20}},
	}}
	f, err := os.Create(filepath.Join(r.root, "stars.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := catalog.WriteVOTable(f, spec, catalog.TableData); err != nil {
		t.Fatal(err)
	}
	f.Close()

	srv := r.start()
	c := dialServer(t, srv.url)
	c.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{})
	var ack icd.RegisterViewerAck
	c.await(icd.EventType_REGISTER_VIEWER_ACK, &ack)
	open := &icd.OpenCatalogFile{Directory: ".", Name: "stars.xml", FileId: 4, PreviewDataSize: 2}
	c.send(icd.EventType_OPEN_CATALOG_FILE, open)
	var oack icd.OpenCatalogFileAck
	c.await(icd.EventType_OPEN_CATALOG_FILE_ACK, &oack)
	if !oack.Success || oack.DataSize != 3 {
		t.Fatalf("open catalog: %+v", &oack)
	}
	time.Sleep(crashInterval + crashSlack)
	r.kill(srv)

	snap := r.stored(ack.SessionId)
	if len(snap.Catalogs) != 1 || snap.Catalogs[0].Name != "stars.xml" || snap.Catalogs[0].FileId != 4 {
		t.Fatalf("snapshot after kill: %v", snap.Catalogs)
	}

	srv = r.start()
	c = dialServer(t, srv.url)
	c.send(icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{SessionId: ack.SessionId})
	c.await(icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{})
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{CatalogFiles: snap.Catalogs})
	var rack icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &rack)
	if !rack.Success || strings.Contains(rack.Message, "not restored") {
		t.Fatalf("resume: %+v", &rack)
	}
	c.send(icd.EventType_CATALOG_FILTER_REQUEST, &icd.CatalogFilterRequest{FileId: 4, ColumnIndices: []int32{1},
		SubsetDataSize: 3, SortColumn: "id"})
	var resp icd.CatalogFilterResponse
	c.await(icd.EventType_CATALOG_FILTER_RESPONSE, &resp)
	b := resp.Columns[1].GetBinaryData()
	if len(b) != 12 || binary.LittleEndian.Uint32(b) != 10 || binary.LittleEndian.Uint32(b[8:]) != 30 {
		t.Fatalf("filter after restart: %+v", &resp)
	}
}
