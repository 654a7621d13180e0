package session

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"

	"cartago/icd"
	"cartago/imaging/catalog"
)

// catalogTypeByName guesses from the name (GuessTableType without the
// content check).
func catalogTypeByName(name string) icd.CatalogFileType {
	switch lower := strings.ToLower(name); {
	case strings.HasSuffix(lower, ".fits"), strings.HasSuffix(lower, ".fz"), strings.HasSuffix(lower, ".fits.gz"):
		return icd.CatalogFileType_FITSTable
	case strings.HasSuffix(lower, ".xml"), strings.HasSuffix(lower, ".vot"), strings.HasSuffix(lower, ".votable"):
		return icd.CatalogFileType_VOTable
	}
	return icd.CatalogFileType_Unknown
}

// catalogFiles picks the catalogue files of a listing: by content
// (magic number) in Content mode, by name otherwise; AllFiles lists
// every regular file (TableController::OnFileListRequest).
func catalogFiles(l *listing, mode icd.FileListFilterMode, pathOf func(name string) (string, error)) []*icd.CatalogFileInfo {
	var out []*icd.CatalogFileInfo
	add := func(name, path string, size, date int64) {
		t := catalogTypeByName(name)
		if mode == icd.FileListFilterMode_Content {
			t = icd.CatalogFileType(catalog.SniffFile(path))
		}
		if t != icd.CatalogFileType_Unknown || mode == icd.FileListFilterMode_AllFiles {
			out = append(out, &icd.CatalogFileInfo{Name: name, Type: t, FileSize: size, Date: date})
		}
	}
	for _, im := range l.images {
		if path, err := pathOf(im.Name); err == nil {
			add(im.Name, path, im.Size, im.Date)
		}
	}
	for _, p := range l.others {
		add(p.name, p.path, p.fi.Size(), p.fi.ModTime().Unix())
	}
	slices.SortFunc(out, func(a, b *icd.CatalogFileInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// handleCatalogList lists catalogue files and folders for the catalog
// dialog.
func (c *Client) handleCatalogList(r request) error {
	var msg icd.CatalogListRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	resp := &icd.CatalogListResponse{}
	if l, err := c.listDirectory(msg.Directory); err != nil {
		resp.Message, resp.Directory = c.mgr.folder.Redact(err.Error()), msg.Directory
	} else {
		resp.Success, resp.Directory, resp.Parent, resp.Subdirectories = true, displayPath(l.rel), parentPath(l.rel), l.subdirs
		resp.Files = catalogFiles(l, msg.FilterMode, func(name string) (string, error) {
			_, p, err := c.mgr.folder.entry(l.rel, name)
			return p, err
		})
	}
	c.send(r.ctx, icd.EventType_CATALOG_LIST_RESPONSE, r.hdr.RequestID, resp)
	return nil
}

// handleCatalogFileInfo answers with a table's columns and a text
// summary built as TableController::OnFileInfoRequest builds it, from
// the header only.
func (c *Client) handleCatalogFileInfo(r request) error {
	var msg icd.CatalogFileInfoRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	resp := &icd.CatalogFileInfoResponse{}
	info, t, err := c.catalogHeader(msg.Directory, msg.Name)
	if err != nil {
		resp.Message = c.mgr.folder.Redact(err.Error())
	} else {
		resp.Success, resp.FileInfo, resp.Headers = true, info, catalogHeaders(t)
	}
	c.send(r.ctx, icd.EventType_CATALOG_FILE_INFO_RESPONSE, r.hdr.RequestID, resp)
	return nil
}

func (c *Client) catalogHeader(dir, name string) (*icd.CatalogFileInfo, *catalog.Table, error) {
	_, path, err := c.mgr.folder.File(dir, name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	t, err := catalog.ReadHeader(path)
	if err != nil {
		return nil, nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Name: %s\n", name)
	if t.Description != "" {
		fmt.Fprintf(&b, "Description: %s\n", t.Description)
	}
	fmt.Fprintf(&b, "Column Count: %d\n", len(t.Columns))
	if t.Rows > 0 {
		fmt.Fprintf(&b, "Row Count: %d\n", t.Rows)
	}
	for _, kv := range [][2]string{{"Coordinate System", t.Coosys.System}, {"Epoch", t.Coosys.Epoch}, {"Equinox", t.Coosys.Equinox}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
		}
	}
	for _, p := range t.Params {
		fmt.Fprintf(&b, "%s: %s\n", p.Name, p.Value)
	}
	info := &icd.CatalogFileInfo{Name: name, Type: icd.CatalogFileType(t.Type), FileSize: fi.Size(), Description: b.String()}
	return info, t, nil
}

func slicesSortByID(s []*icd.OpenCatalogFile) {
	slices.SortFunc(s, func(a, b *icd.OpenCatalogFile) int { return cmp.Compare(a.FileId, b.FileId) })
}
