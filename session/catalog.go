package session

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/catalog"
)

// Catalogs follow the reference's TableController
// (CARTAvis/carta-backend src/Table/TableController.cc): a table is read
// whole on OPEN_CATALOG_FILE and kept by file id until CLOSE_CATALOG_FILE;
// CATALOG_FILTER_REQUEST filters and sorts it (the last selection is kept,
// so scrolling the table reuses it) and streams the asked rows in chunks.

// previewRows is the preview size when the request names none
// (TableController.h TABLE_PREVIEW_ROWS).
const previewRows = 50

// filterChunkRows is the most rows one CATALOG_FILTER_RESPONSE carries
// (OnFilterRequest max_chunk_size); a bigger subset is streamed with
// progress.
const filterChunkRows = 100000

// catalogs are the open tables of a session.
type catalogs struct {
	mu      sync.Mutex
	open    map[int32]*openCatalog // guarded by mu; by file id
	pending []*icd.OpenCatalogFile // guarded by mu; from a snapshot, until RESUME_SESSION
	loads   map[int32]uint64       // guarded by mu; the load in flight for a file id, by generation
	gen     uint64                 // guarded by mu; last load generation
	closed  bool                   // guarded by mu; the session was released: loads keep nothing
	wg      sync.WaitGroup         // loads in flight; each ends once its file is read (bounded by Options.MaxBytes)
}

// load reads a table in a goroutine owned by cs and registers it under
// id, unless the id was closed or opened again meanwhile, or the
// session released (then the table is closed and done is not called).
// done runs in the goroutine.
func (cs *catalogs) load(id int32, read func() (*openCatalog, error), done func(*openCatalog, error)) {
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return
	}
	if cs.loads == nil {
		cs.loads = map[int32]uint64{}
	}
	cs.gen++
	gen := cs.gen
	cs.loads[id] = gen
	cs.wg.Add(1)
	cs.mu.Unlock()
	go func() {
		defer cs.wg.Done()
		oc, err := read()
		cs.mu.Lock()
		current := !cs.closed && cs.loads[id] == gen
		var old *openCatalog
		if current {
			delete(cs.loads, id)
			if err == nil {
				old = cs.putLocked(oc) // in the same section: a close after it finds the table
			}
		}
		cs.mu.Unlock()
		if old != nil {
			old.table.Close()
		}
		switch {
		case !current:
			if oc != nil {
				oc.table.Close()
			}
		case err != nil:
			done(nil, err)
		default:
			done(oc, nil)
		}
	}()
}

// release closes every table for good and waits for loads in flight.
func (cs *catalogs) release() {
	cs.mu.Lock()
	cs.closed = true
	cs.mu.Unlock()
	cs.close(-1)
	cs.wg.Wait()
}

// openCatalog is one open table and its last selection.
type openCatalog struct {
	req   *icd.OpenCatalogFile // what opened it, for the snapshot
	table *catalog.Table
	size  int64 // file size, for the file info

	mu      sync.Mutex    // guards viewKey and view
	viewKey string        // the filter, sort and bounds view was made for
	view    *catalog.View // nil until the first filter request
}

func (cs *catalogs) get(id int32) *openCatalog {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.open[id]
}

// put registers oc, closing a table already under its id (the reference
// erases it first, OnOpenFileRequest).
func (cs *catalogs) put(oc *openCatalog) {
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		oc.table.Close()
		return
	}
	old := cs.putLocked(oc)
	cs.mu.Unlock()
	if old != nil {
		old.table.Close()
	}
}

// putLocked registers oc and returns the table it replaces, for the
// caller to close outside the lock.
func (cs *catalogs) putLocked(oc *openCatalog) *openCatalog {
	if cs.open == nil {
		cs.open = map[int32]*openCatalog{}
	}
	id := oc.req.FileId
	delete(cs.loads, id) // a load in flight for the id keeps nothing
	old := cs.open[id]
	cs.open[id] = oc
	cs.dropPendingLocked(id)
	return old
}

// close closes file id; -1 closes every table.
func (cs *catalogs) close(id int32) {
	cs.mu.Lock()
	var closing []*openCatalog
	for fid, oc := range cs.open {
		if id == -1 || fid == id {
			closing = append(closing, oc)
			delete(cs.open, fid)
		}
	}
	cs.dropPendingLocked(id)
	for fid := range cs.loads {
		if id == -1 || fid == id {
			delete(cs.loads, fid) // the load in flight keeps nothing
		}
	}
	cs.mu.Unlock()
	for _, oc := range closing {
		oc.table.Close()
	}
}

// snapshot lists the open tables, then the stored ones not resumed yet.
func (cs *catalogs) snapshot() []*icd.OpenCatalogFile {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []*icd.OpenCatalogFile
	for _, oc := range cs.open {
		out = append(out, proto.CloneOf(oc.req))
	}
	for _, p := range cs.pending {
		if cs.open[p.FileId] == nil {
			out = append(out, proto.CloneOf(p))
		}
	}
	slicesSortByID(out)
	return out
}

// dropPendingLocked forgets stored catalogs under file id (-1: all):
// the frontend reused or closed the id, so the stored one is gone.
func (cs *catalogs) dropPendingLocked(id int32) {
	cs.pending = slices.DeleteFunc(cs.pending, func(p *icd.OpenCatalogFile) bool { return id == -1 || p.FileId == id })
}

func (cs *catalogs) setPending(p []*icd.OpenCatalogFile) {
	cs.mu.Lock()
	cs.pending = p
	cs.mu.Unlock()
}

// openCatalogFile reads a table under the top folder.
func (c *Client) openCatalogFile(req *icd.OpenCatalogFile) (*openCatalog, error) {
	return openCatalogIn(c.mgr.folder, c.session.mem, req)
}

func openCatalogIn(folder *Folder, mem *budget.Memory, req *icd.OpenCatalogFile) (*openCatalog, error) {
	_, path, err := folder.File(req.Directory, req.Name)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Name, err)
	}
	t, err := catalog.Open(path, catalog.Options{Memory: mem})
	if err != nil {
		return nil, err
	}
	return &openCatalog{req: proto.CloneOf(req), table: t, size: fi.Size()}, nil
}

// catalogLoadHook, when set (tests), runs in a load before the file is
// read.
var catalogLoadHook func()

// handleOpenCatalogFile reads the table in a goroutine of the session's
// (catalogs.load), so a large file does not hold up the messages after
// it (the reference runs every message in a task of its own); the ACK
// goes out once the table is read.
func (c *Client) handleOpenCatalogFile(r request) error {
	var msg icd.OpenCatalogFile
	if err := decode(r, &msg); err != nil {
		return err
	}
	s, folder, reqID := c.session, c.mgr.folder, r.hdr.RequestID
	s.cats.load(msg.FileId, func() (*openCatalog, error) {
		if hook := catalogLoadHook; hook != nil {
			hook()
		}
		return openCatalogIn(folder, s.mem, &msg)
	}, func(oc *openCatalog, err error) {
		if oc != nil {
			s.markDirty() // registered after the handler returned
		}
		c.sendCatalogAck(r.ctx, s.log, reqID, &msg, oc, err)
	})
	return nil
}

// sendCatalogAck runs in a load's goroutine, so it uses only the
// client's immutable fields (see Client.stream) and the session's log.
func (c *Client) sendCatalogAck(ctx context.Context, log *slog.Logger, reqID uint32, msg *icd.OpenCatalogFile, oc *openCatalog, err error) {
	send := func(ack *icd.OpenCatalogFileAck) {
		if err := c.out.Send(ctx, icd.EventType_OPEN_CATALOG_FILE_ACK, reqID, ack); err != nil {
			log.Debug("send dropped", "event", "OPEN_CATALOG_FILE_ACK", "err", err)
		}
	}
	ack := &icd.OpenCatalogFileAck{FileId: msg.FileId}
	if err != nil {
		ack.Message = c.mgr.folder.Redact(err.Error())
		send(ack)
		return
	}
	t := oc.table
	ack.Success = true
	ack.FileInfo = &icd.CatalogFileInfo{Name: msg.Name, Type: icd.CatalogFileType(t.Type), FileSize: oc.size,
		Description: t.Description, Coosys: []*icd.Coosys{coosys(t.Coosys)}}
	ack.DataSize = int32(t.Rows)
	ack.Headers = catalogHeaders(t)
	n := int(msg.PreviewDataSize)
	if n < 1 {
		n = previewRows
	}
	all, err := t.Select(ctx, catalog.Query{})
	if err != nil {
		return // the connection went
	}
	ack.PreviewData = columnData(t, all, nil, 0, min(n, t.Rows))
	send(ack)
}

func (c *Client) handleCloseCatalogFile(r request) error {
	var msg icd.CloseCatalogFile
	if err := decode(r, &msg); err != nil {
		return err
	}
	c.session.cats.close(msg.FileId) // silent, as OnCloseFileRequest
	return nil
}

func coosys(cs catalog.Coosys) *icd.Coosys {
	return &icd.Coosys{System: cs.System, Equinox: cs.Equinox, Epoch: cs.Epoch}
}

// catalogHeaders lists every column, unsupported ones included
// (TableController::PopulateHeaders).
func catalogHeaders(t *catalog.Table) []*icd.CatalogHeader {
	out := make([]*icd.CatalogHeader, 0, len(t.Columns))
	for i, col := range t.Columns {
		out = append(out, &icd.CatalogHeader{Name: col.Name, DataType: icd.ColumnType(col.Type), ColumnIndex: int32(i),
			Description: col.Description, Units: col.Unit})
	}
	return out
}

// columnData fills rows [start, end) of the view for the columns named
// (nil: all), skipping unsupported and unknown ones.
func columnData(t *catalog.Table, v *catalog.View, indices []int32, start, end int) map[uint32]*icd.ColumnData {
	out := map[uint32]*icd.ColumnData{}
	add := func(i int) {
		if i < 0 || i >= len(t.Columns) || t.Columns[i].Type == catalog.Unsupported {
			return
		}
		col := t.Columns[i]
		cd := &icd.ColumnData{DataType: icd.ColumnType(col.Type)}
		if col.Type == catalog.String {
			cd.StringData = col.Strings(v, start, end)
		} else {
			cd.BinaryData = col.AppendValues(nil, v, start, end)
		}
		out[uint32(i)] = cd
	}
	if indices == nil {
		for i := range t.Columns {
			add(i)
		}
	}
	for _, i := range indices {
		add(int(i))
	}
	return out
}

// selectRows returns the selection a filter request asks for, reusing
// the last one when filters, sort and bounds are unchanged
// (TableController::FilterParamsChanged).
func (oc *openCatalog) selectRows(ctx context.Context, msg *icd.CatalogFilterRequest, image *frame) (*catalog.View, error) {
	keyMsg := &icd.CatalogFilterRequest{FilterConfigs: msg.FilterConfigs, SortColumn: msg.SortColumn,
		SortingType: msg.SortingType, ImageBounds: msg.ImageBounds, ImageFileId: msg.ImageFileId}
	kb, err := proto.MarshalOptions{Deterministic: true}.Marshal(keyMsg)
	if err != nil {
		return nil, fmt.Errorf("catalog filter key: %w", err)
	}
	oc.mu.Lock()
	defer oc.mu.Unlock()
	if oc.view != nil && oc.viewKey == string(kb) {
		return oc.view, nil
	}
	q := catalogQuery(msg)
	if q.Bounds != nil {
		q.Bounds.ToPixel = worldToPixel(image, oc.table, q.Bounds)
	}
	v, err := oc.table.Select(ctx, q)
	if err != nil {
		return nil, err
	}
	oc.view, oc.viewKey = v, string(kb)
	return v, nil
}

// catalogQuery maps a filter request. String columns take the substring
// and ignore the operator (TableController::ApplyFilter).
func catalogQuery(msg *icd.CatalogFilterRequest) catalog.Query {
	q := catalog.Query{SortColumn: msg.SortColumn, Descending: msg.SortingType == icd.SortingType_Descending}
	for _, f := range msg.FilterConfigs {
		q.Filters = append(q.Filters, catalog.Filter{Column: f.ColumnName, Op: catalog.Op(f.ComparisonOperator),
			Value: f.Value, Second: f.SecondaryValue, Substring: f.SubString})
	}
	// The reference ignores image_bounds, and frontend 6.0.0 sends only
	// the column names. We keep the sources inside the pixel box of the
	// image image_file_id names (see worldToPixel).
	if ib := msg.ImageBounds; ib != nil && ib.ImageBounds != nil && ib.XColumnName != "" && ib.YColumnName != "" {
		b := ib.ImageBounds
		q.Bounds = &catalog.Bounds{XColumn: ib.XColumnName, YColumn: ib.YColumnName,
			XMin: float64(b.XMin), XMax: float64(b.XMax), YMin: float64(b.YMin), YMax: float64(b.YMax)}
	}
	return q
}

// handleCatalogFilter streams the asked subset of the selection in
// chunks of filterChunkRows with progress, as OnFilterRequest does. An
// unknown file id is answered with nothing, as the reference does.
func (c *Client) handleCatalogFilter(r request) error {
	var msg icd.CatalogFilterRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	oc := c.session.cats.get(msg.FileId)
	if oc == nil {
		return nil
	}
	v, err := oc.selectRows(r.ctx, &msg, c.session.frame(msg.ImageFileId))
	if err != nil {
		return fmt.Errorf("catalog %d: %w", msg.FileId, err)
	}
	start, total := int(max(msg.SubsetStartIndex, 0)), v.Len()
	n := max(min(int(msg.SubsetDataSize), total-start), 0)
	resp := &icd.CatalogFilterResponse{FileId: msg.FileId, FilterDataSize: int32(total), RequestEndIndex: int32(start + n)}
	if n == 0 {
		// The reference sends nothing when start is past the end; the
		// frontend would wait, so we answer with an empty subset.
		resp.SubsetEndIndex, resp.Progress = int32(start), 1
		c.send(r.ctx, icd.EventType_CATALOG_FILTER_RESPONSE, r.hdr.RequestID, resp)
		return nil
	}
	for sent := 0; sent < n; {
		if err := r.ctx.Err(); err != nil {
			return nil // the connection went: nothing more to send
		}
		chunk := min(n-sent, filterChunkRows)
		from := start + sent
		resp.Columns = columnData(oc.table, v, nonNil(msg.ColumnIndices), from, from+chunk)
		resp.SubsetDataSize, resp.SubsetEndIndex = int32(chunk), int32(from+chunk)
		sent += chunk
		resp.Progress = float32(sent) / float32(n)
		c.send(r.ctx, icd.EventType_CATALOG_FILTER_RESPONSE, r.hdr.RequestID, resp)
	}
	return nil
}

// nonNil keeps "no columns asked" distinct from "all columns" (nil).
func nonNil(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return s
}

// resumeCatalogs reopens the tables a RESUME_SESSION lists (the
// reference's Session::OnResumeSession opens each catalog_files entry)
// and closes the others. A table still open under the same id and file
// is kept. It returns what could not be restored.
func (c *Client) resumeCatalogs(files []*icd.OpenCatalogFile) []string {
	cs := &c.session.cats
	cs.setPending(nil)
	keep := map[int32]bool{}
	var problems []string
	for _, f := range files {
		keep[f.FileId] = true
		if oc := cs.get(f.FileId); oc != nil && oc.req.Directory == f.Directory && oc.req.Name == f.Name {
			continue
		}
		oc, err := c.openCatalogFile(f)
		if err != nil {
			problems = append(problems, fmt.Sprintf("catalog %d (%s): %v", f.FileId, f.Name, c.mgr.folder.Redact(err.Error())))
			continue
		}
		cs.put(oc)
	}
	cs.mu.Lock()
	var drop []int32
	for id := range cs.open {
		if !keep[id] {
			drop = append(drop, id)
		}
	}
	cs.mu.Unlock()
	for _, id := range drop {
		cs.close(id)
	}
	return problems
}
