package session

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/catalog"
	"cartago/imaging/sample"
)

// Line numbers cite CARTAvis/carta-backend at commit 66c7d752.

func catalogSpec(n int) *catalog.Spec {
	s := &catalog.Spec{Description: "sources", Coosys: catalog.Coosys{System: "ICRS", Equinox: "J2000"},
		Columns: []catalog.SpecColumn{
			{Name: "RA", Unit: "deg", Type: catalog.Double},
			{Name: "DEC", Unit: "deg", Type: catalog.Double},
			{Name: "id", Type: catalog.Int32},
			{Name: "name", Type: catalog.String},
		}}
	for r := range n {
		s.Columns[0].Values = append(s.Columns[0].Values, 10+float64(r%7))
		s.Columns[1].Values = append(s.Columns[1].Values, -30+float64(r)/float64(n))
		s.Columns[2].Values = append(s.Columns[2].Values, float64(r))
		s.Columns[3].Strings = append(s.Columns[3].Strings, "src"+string(rune('a'+r%26)))
	}
	return s
}

func writeCatalog(t *testing.T, path string, s *catalog.Spec, fitsTable bool) {
	t.Helper()
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	if fitsTable {
		must(t, catalog.WriteFITSTable(f, s))
	} else {
		must(t, catalog.WriteVOTable(f, s, catalog.TableData))
	}
}

// catalogPipe serves a folder holding a VOTable (t.vot), the same
// table as FITS (t.fits), a VOTable named .txt and a plain text file.
func catalogPipe(t *testing.T, rows int) (*pipe, string) {
	t.Helper()
	root := t.TempDir()
	writeCatalog(t, filepath.Join(root, "t.vot"), catalogSpec(rows), false)
	writeCatalog(t, filepath.Join(root, "t.fits"), catalogSpec(rows), true)
	writeCatalog(t, filepath.Join(root, "vo.txt"), catalogSpec(rows), false)
	must(t, os.WriteFile(filepath.Join(root, "notes.xml.txt"), []byte("hello"), 0o644))
	return folderPipe(t, root), root
}

func openCatalogFile(t *testing.T, p *pipe, id int32, name string, preview int32) *icd.OpenCatalogFileAck {
	t.Helper()
	sendMsg(t, p, icd.EventType_OPEN_CATALOG_FILE, icd.Version, 7, &icd.OpenCatalogFile{Directory: ".", Name: name, FileId: id, PreviewDataSize: preview})
	return expect(t, p, icd.EventType_OPEN_CATALOG_FILE_ACK, &icd.OpenCatalogFileAck{})
}

func int32s(b []byte) []int32 {
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func doubles(b []byte) []float64 {
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

// The catalog list recognises files by content in Content mode (magic
// "<?xm" or "SIMP", src/Util/File.cc:144-165 GuessTableType with
// check_content, called from TableController.cc:253) and by extension
// otherwise.
func TestCatalogList(t *testing.T) {
	p, _ := catalogPipe(t, 3)
	for mode, want := range map[icd.FileListFilterMode][]string{
		icd.FileListFilterMode_Content:   {"t.fits:FITSTable", "t.vot:VOTable", "vo.txt:VOTable"},
		icd.FileListFilterMode_Extension: {"t.fits:FITSTable", "t.vot:VOTable"},
		icd.FileListFilterMode_AllFiles:  {"notes.xml.txt:Unknown", "t.fits:FITSTable", "t.vot:VOTable", "vo.txt:Unknown"},
	} {
		sendMsg(t, p, icd.EventType_CATALOG_LIST_REQUEST, icd.Version, 2, &icd.CatalogListRequest{Directory: ".", FilterMode: mode})
		resp := expect(t, p, icd.EventType_CATALOG_LIST_RESPONSE, &icd.CatalogListResponse{})
		var got []string
		for _, f := range resp.Files {
			got = append(got, f.Name+":"+f.Type.String())
		}
		if !resp.Success || !slices.Equal(got, want) {
			t.Errorf("mode %v: %v (%s), want %v", mode, got, resp.Message, want)
		}
	}
}

// File info carries every column's header and the summary text of
// TableController.cc:305-333.
func TestCatalogFileInfo(t *testing.T) {
	p, _ := catalogPipe(t, 3)
	sendMsg(t, p, icd.EventType_CATALOG_FILE_INFO_REQUEST, icd.Version, 3, &icd.CatalogFileInfoRequest{Directory: ".", Name: "t.vot"})
	resp := expect(t, p, icd.EventType_CATALOG_FILE_INFO_RESPONSE, &icd.CatalogFileInfoResponse{})
	want := "Name: t.vot\nDescription: sources\nColumn Count: 4\nRow Count: 3\nCoordinate System: ICRS\nEquinox: J2000\n"
	if !resp.Success || resp.FileInfo.Description != want || resp.FileInfo.Type != icd.CatalogFileType_VOTable {
		t.Fatalf("info %+v %q", resp.FileInfo, resp.Message)
	}
	if len(resp.Headers) != 4 || resp.Headers[3].Name != "name" || resp.Headers[3].DataType != icd.ColumnType_String ||
		resp.Headers[0].Units != "deg" || resp.Headers[2].ColumnIndex != 2 {
		t.Errorf("headers %v", resp.Headers)
	}
	sendMsg(t, p, icd.EventType_CATALOG_FILE_INFO_REQUEST, icd.Version, 4, &icd.CatalogFileInfoRequest{Directory: "..", Name: "t.vot"})
	if resp := expect(t, p, icd.EventType_CATALOG_FILE_INFO_RESPONSE, &icd.CatalogFileInfoResponse{}); resp.Success {
		t.Errorf("outside the top folder: %+v", resp)
	}
}

// Open returns headers, the row count and preview rows
// (TableController.cc:28-96; TABLE_PREVIEW_ROWS = 50 when none asked).
func TestOpenCatalogPreview(t *testing.T) {
	p, _ := catalogPipe(t, 60)
	for _, name := range []string{"t.vot", "t.fits"} {
		ack := openCatalogFile(t, p, 1, name, 0)
		if !ack.Success || ack.DataSize != 60 || ack.FileId != 1 || len(ack.Headers) != 4 {
			t.Fatalf("%s: ack %v %q", name, ack.DataSize, ack.Message)
		}
		if ack.FileInfo.Coosys[0].System != "ICRS" && name == "t.vot" {
			t.Errorf("coosys %v", ack.FileInfo.Coosys)
		}
		ids := int32s(ack.PreviewData[2].BinaryData)
		if len(ids) != 50 || ids[49] != 49 || len(ack.PreviewData[3].StringData) != 50 || ack.PreviewData[3].StringData[1] != "srcb" {
			t.Errorf("%s: preview ids %v", name, ids)
		}
	}
	if ack := openCatalogFile(t, p, 2, "missing.vot", 5); ack.Success || ack.FileId != 2 {
		t.Errorf("missing file: %+v", ack)
	}
}

// Filter, sort and subset (TableController.cc:108-190): the response
// holds the asked columns for rows [start, start+size) of the sorted
// selection, filter_data_size and request_end_index.
func TestCatalogFilterSortSubset(t *testing.T) {
	p, _ := catalogPipe(t, 20)
	openCatalogFile(t, p, 1, "t.vot", 5)
	sendMsg(t, p, icd.EventType_CATALOG_FILTER_REQUEST, icd.Version, 8, &icd.CatalogFilterRequest{
		FileId: 1, ColumnIndices: []int32{0, 2}, SubsetStartIndex: 1, SubsetDataSize: 3,
		FilterConfigs: []*icd.FilterConfig{{ColumnName: "id", ComparisonOperator: icd.ComparisonOperator_RangeClosed, Value: 5, SecondaryValue: 14},
			{ColumnName: "name", SubString: "src"}},
		SortColumn: "RA", SortingType: icd.SortingType_Descending,
	})
	resp := expect(t, p, icd.EventType_CATALOG_FILTER_RESPONSE, &icd.CatalogFilterResponse{})
	// ids 5..14 have RA 10+id%7: 16 for ids 6 and 13, 15 for 5 and 12, 14 for 11, ...
	if ids := int32s(resp.Columns[2].BinaryData); !slices.Equal(ids, []int32{13, 5, 12}) {
		t.Errorf("ids %v", ids)
	}
	if ra := doubles(resp.Columns[0].BinaryData); !slices.Equal(ra, []float64{16, 15, 15}) {
		t.Errorf("RA %v", ra)
	}
	if resp.FilterDataSize != 10 || resp.SubsetDataSize != 3 || resp.SubsetEndIndex != 4 || resp.RequestEndIndex != 4 || resp.Progress != 1 || len(resp.Columns) != 2 {
		t.Errorf("response %+v", resp)
	}
}

// Big subsets are streamed in chunks of 100000 rows with progress
// (TableController.cc:147-189).
func TestCatalogFilterChunks(t *testing.T) {
	p, _ := catalogPipe(t, 250001)
	openCatalogFile(t, p, 1, "t.fits", 1)
	sendMsg(t, p, icd.EventType_CATALOG_FILTER_REQUEST, icd.Version, 9, &icd.CatalogFilterRequest{
		FileId: 1, ColumnIndices: []int32{2}, SubsetDataSize: 300000})
	var progress []float32
	next := int32(0)
	for len(progress) == 0 || progress[len(progress)-1] < 1 {
		resp := expect(t, p, icd.EventType_CATALOG_FILTER_RESPONSE, &icd.CatalogFilterResponse{})
		ids := int32s(resp.Columns[2].BinaryData)
		if ids[0] != next || int32(len(ids)) != resp.SubsetDataSize || resp.SubsetEndIndex != next+resp.SubsetDataSize {
			t.Fatalf("chunk from %d: first %d, %d rows, end %d", next, ids[0], len(ids), resp.SubsetEndIndex)
		}
		next = resp.SubsetEndIndex
		progress = append(progress, resp.Progress)
	}
	if !slices.Equal(progress, []float32{100000.0 / 250001, 200000.0 / 250001, 1}) || next != 250001 {
		t.Errorf("progress %v, end %d", progress, next)
	}
}

// Close is silent, and filtering a closed table answers nothing
// (TableController.cc:99-105, 110).
func TestCloseCatalog(t *testing.T) {
	p, _ := catalogPipe(t, 5)
	openCatalogFile(t, p, 1, "t.vot", 1)
	sendMsg(t, p, icd.EventType_CLOSE_CATALOG_FILE, icd.Version, 0, &icd.CloseCatalogFile{FileId: 1})
	sendMsg(t, p, icd.EventType_CATALOG_FILTER_REQUEST, icd.Version, 9, &icd.CatalogFilterRequest{FileId: 1, SubsetDataSize: 5})
	noErrorsToPong(t, p)
	if snap := p.client.session.snapshot(); len(snap.Catalogs) != 0 {
		t.Errorf("closed catalog in the snapshot: %v", snap.Catalogs)
	}
}

// RESUME_SESSION reopens the catalog_files it lists and closes the
// others (Session.cc:1173-1176 opens each with OnOpenCatalogFile); a
// session restored from its snapshot keeps the stored catalogs in its
// snapshot until then.
func TestResumeRestoresCatalogs(t *testing.T) {
	p, _ := catalogPipe(t, 5)
	openCatalogFile(t, p, 1, "t.vot", 1)
	snap := p.client.session.snapshot()
	if len(snap.Catalogs) != 1 || snap.Catalogs[0].Name != "t.vot" || snap.Catalogs[0].FileId != 1 {
		t.Fatalf("snapshot catalogs %v", snap.Catalogs)
	}
	restored := restoreSession(snap, p.client.mgr)
	if got := restored.snapshot().Catalogs; len(got) != 1 || got[0].Name != "t.vot" {
		t.Errorf("restored session's snapshot: %v", got)
	}
	sendMsg(t, p, icd.EventType_RESUME_SESSION, icd.Version, 10, &icd.ResumeSession{
		CatalogFiles: []*icd.OpenCatalogFile{{Directory: ".", Name: "t.fits", FileId: 2, PreviewDataSize: 1}, {Directory: ".", Name: "nope.vot", FileId: 3}}})
	var ack icd.ResumeSessionAck
	skipTo(t, p, icd.EventType_RESUME_SESSION_ACK, &ack)
	if !ack.Success || !containsAll(ack.Message, "catalog 3 (nope.vot)") {
		t.Errorf("ack %+v", &ack)
	}
	sendMsg(t, p, icd.EventType_CATALOG_FILTER_REQUEST, icd.Version, 11, &icd.CatalogFilterRequest{FileId: 2, ColumnIndices: []int32{2}, SubsetDataSize: 5})
	resp := expect(t, p, icd.EventType_CATALOG_FILTER_RESPONSE, &icd.CatalogFilterResponse{})
	if ids := int32s(resp.Columns[2].BinaryData); !slices.Equal(ids, []int32{0, 1, 2, 3, 4}) {
		t.Errorf("restored catalog rows %v", ids)
	}
	if got := p.client.session.snapshot().Catalogs; len(got) != 1 || got[0].FileId != 2 {
		t.Errorf("after resume: %v", got)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// Image bounds keep the sources inside a pixel box of the image
// image_file_id names, positions mapped through its WCS. The reference
// ignores image_bounds (TableController.cc:108-190 never reads it):
// this is ours, for the overlay of a view (frontend 6.0.0 sends the
// column names only, so it never triggers there).
func TestCatalogImageBounds(t *testing.T) {
	root := t.TempDir()
	must(t, sample.Generate(t.Context(), root, sample.Options{Small: true}))
	const raC, decC = 83.8221, -5.3911 // the sample's centre, at pixel (16, 16)
	s := &catalog.Spec{Columns: []catalog.SpecColumn{
		{Name: "RA", Unit: "deg", Type: catalog.Double}, {Name: "DEC", Unit: "deg", Type: catalog.Double}}}
	for r := range 120 { // a 10×12 grid about the centre, inside the 32×32 image
		s.Columns[0].Values = append(s.Columns[0].Values, raC+(-0.006+0.012*float64(r%10)/9)/math.Cos(decC*math.Pi/180))
		s.Columns[1].Values = append(s.Columns[1].Values, decC+(-0.006+0.012*float64(r/10)/11))
	}
	writeCatalog(t, filepath.Join(root, "grid.vot"), s, false)
	p := folderPipe(t, root)
	sendMsg(t, p, icd.EventType_OPEN_FILE, icd.Version, 2, &icd.OpenFile{Directory: ".", File: "cube-512x512x200.fits", FileId: 3})
	var oack icd.OpenFileAck
	skipTo(t, p, icd.EventType_OPEN_FILE_ACK, &oack)
	if !oack.Success {
		t.Fatalf("open image: %s", oack.Message)
	}
	// The image's histogram may come before the catalog's ACK.
	sendMsg(t, p, icd.EventType_OPEN_CATALOG_FILE, icd.Version, 7, &icd.OpenCatalogFile{Directory: ".", Name: "grid.vot", FileId: 1, PreviewDataSize: 1})
	var cack icd.OpenCatalogFileAck
	if skipTo(t, p, icd.EventType_OPEN_CATALOG_FILE_ACK, &cack); !cack.Success {
		t.Fatalf("open catalog: %s", cack.Message)
	}
	// RA grows to the left: pixels x <= 15 hold the sources east of the
	// centre, the five grid columns with RA > raC.
	sendMsg(t, p, icd.EventType_CATALOG_FILTER_REQUEST, icd.Version, 5, &icd.CatalogFilterRequest{
		FileId: 1, ColumnIndices: []int32{0}, SubsetDataSize: 200, ImageFileId: 3,
		ImageBounds: &icd.CatalogImageBounds{XColumnName: "RA", YColumnName: "DEC", ImageBounds: &icd.ImageBounds{XMin: 0, XMax: 15, YMin: 0, YMax: 31}}})
	var resp icd.CatalogFilterResponse
	skipTo(t, p, icd.EventType_CATALOG_FILTER_RESPONSE, &resp)
	ra := doubles(resp.Columns[0].BinaryData)
	if resp.FilterDataSize != 60 || len(ra) != 60 || slices.ContainsFunc(ra, func(v float64) bool { return v <= raC }) {
		t.Errorf("%d sources in the box (%d sent), RA %v; want the 60 east of the centre", resp.FilterDataSize, len(ra), ra)
	}
	// Without an image the box applies to the values themselves: none of
	// the RA values lies in [0, 15].
	sendMsg(t, p, icd.EventType_CATALOG_FILTER_REQUEST, icd.Version, 6, &icd.CatalogFilterRequest{
		FileId: 1, ColumnIndices: []int32{0}, SubsetDataSize: 200, ImageFileId: 99,
		ImageBounds: &icd.CatalogImageBounds{XColumnName: "RA", YColumnName: "DEC", ImageBounds: &icd.ImageBounds{XMax: 15, YMax: 31}}})
	skipTo(t, p, icd.EventType_CATALOG_FILTER_RESPONSE, &resp)
	if resp.FilterDataSize != 0 {
		t.Errorf("no image: %d sources in a pixel box", resp.FilterDataSize)
	}
}

// A table over the memory budget is refused in the ACK with a message
// saying so, and charges nothing afterwards.
func TestOpenCatalogOverBudget(t *testing.T) {
	root := t.TempDir()
	writeCatalog(t, filepath.Join(root, "big.fits"), catalogSpec(200000), true) // 200000 × 24+ bytes
	folder, err := NewFolder(root, "")
	must(t, err)
	mem := budget.NewMemory(2 << 20)
	p := newPipe(t, Config{Folder: folder, Memory: mem})
	ack := openCatalogFile(t, p, 1, "big.fits", 10)
	if ack.Success || !strings.Contains(ack.Message, "catalog too large") || !strings.Contains(ack.Message, "memory") {
		t.Errorf("ack %+v", ack)
	}
	t.Logf("refused: %s", ack.Message)
	if used := mem.Stats().Used; used > 0 {
		t.Errorf("%d bytes still charged", used)
	}
}

// A stored catalog whose id the frontend reuses or closes before any
// RESUME_SESSION leaves the snapshot for good.
func TestStoredCatalogReplacedOrClosed(t *testing.T) {
	p, _ := catalogPipe(t, 5)
	s := p.client.session
	s.cats.setPending([]*icd.OpenCatalogFile{{Directory: ".", Name: "t.fits", FileId: 1}, {Directory: ".", Name: "t.fits", FileId: 2}})
	openCatalogFile(t, p, 1, "t.vot", 1)
	sendMsg(t, p, icd.EventType_CLOSE_CATALOG_FILE, icd.Version, 0, &icd.CloseCatalogFile{FileId: 1})
	sendMsg(t, p, icd.EventType_CLOSE_CATALOG_FILE, icd.Version, 0, &icd.CloseCatalogFile{FileId: 2})
	if got := s.snapshot().Catalogs; len(got) != 0 {
		t.Errorf("snapshot after closing: %v", got)
	}
}

// OPEN_CATALOG_FILE reads the table in the background: the messages
// after it are served while it loads (the reference runs each message
// in a task of its own, Session.cc OnMessageTask); a table closed while
// it loads is dropped without an ACK.
func TestOpenCatalogDoesNotHoldUpTheSession(t *testing.T) {
	p, _ := catalogPipe(t, 5)
	started, release := make(chan struct{}, 2), make(chan struct{})
	catalogLoadHook = func() { started <- struct{}{}; <-release }
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(func() { unblock(); p.client.session.cats.wg.Wait(); catalogLoadHook = nil })
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		b, _ := proto.Marshal(&icd.OpenCatalogFile{Directory: ".", Name: "t.vot", FileId: 1, PreviewDataSize: 2})
		p.client.Handle(t.Context(), icd.Header{Type: icd.EventType_OPEN_CATALOG_FILE, Version: icd.Version, RequestID: 7}, b)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("OPEN_CATALOG_FILE held up the session while its table loaded")
	}
	<-started
	sendMsg(t, p, icd.EventType_CATALOG_LIST_REQUEST, icd.Version, 8, &icd.CatalogListRequest{Directory: "."})
	expect(t, p, icd.EventType_CATALOG_LIST_RESPONSE, &icd.CatalogListResponse{})
	sendMsg(t, p, icd.EventType_OPEN_CATALOG_FILE, icd.Version, 9, &icd.OpenCatalogFile{Directory: ".", Name: "t.fits", FileId: 2})
	<-started
	sendMsg(t, p, icd.EventType_CLOSE_CATALOG_FILE, icd.Version, 0, &icd.CloseCatalogFile{FileId: 2})
	unblock()
	if ack := expect(t, p, icd.EventType_OPEN_CATALOG_FILE_ACK, &icd.OpenCatalogFileAck{}); !ack.Success || ack.FileId != 1 {
		t.Fatalf("ack %+v", ack)
	}
	p.client.session.cats.wg.Wait()
	noErrorsToPong(t, p)
	if got := p.client.session.snapshot().Catalogs; len(got) != 1 || got[0].FileId != 1 {
		t.Errorf("snapshot %v, want catalog 1 only", got)
	}
}
