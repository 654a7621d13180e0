package session

import (
	"path/filepath"
	"strings"
	"testing"

	"cartago/icd"
)

// FuzzCatalogFilter: any filter request on an open table (operators,
// values, columns, subsets, sort, bounds out of range or absurd) is
// answered without a panic, and the rows it reports fit in the table.
func FuzzCatalogFilter(f *testing.F) {
	f.Add(int32(0), int32(10), uint8(7), 1.0, 5.0, "src", "id", true, []byte{0, 2, 3}, int32(0), int32(10), int32(3))
	f.Add(int32(-5), int32(-1), uint8(200), -1e308, 1e308, "", "nope", false, []byte{9, 255}, int32(-3), int32(-9), int32(0))
	f.Fuzz(func(t *testing.T, start, size int32, op uint8, v1, v2 float64, sub, sortCol string, desc bool, cols []byte, xmin, xmax, image int32) {
		sub, sortCol = strings.ToValidUTF8(sub, "?"), strings.ToValidUTF8(sortCol, "?") // proto strings
		root := t.TempDir()
		writeCatalog(t, filepath.Join(root, "t.vot"), catalogSpec(20), false)
		p := folderPipe(t, root)
		openCatalogFile(t, p, 1, "t.vot", 1)
		var indices []int32
		for _, c := range cols {
			indices = append(indices, int32(int8(c)))
		}
		sorting := icd.SortingType_Ascending
		if desc {
			sorting = icd.SortingType_Descending
		}
		sendMsg(t, p, icd.EventType_CATALOG_FILTER_REQUEST, icd.Version, 3, &icd.CatalogFilterRequest{
			FileId: 1, ColumnIndices: indices, SubsetStartIndex: start, SubsetDataSize: size, SortColumn: sortCol, SortingType: sorting,
			FilterConfigs: []*icd.FilterConfig{{ColumnName: "id", ComparisonOperator: icd.ComparisonOperator(op), Value: v1, SecondaryValue: v2},
				{ColumnName: "name", SubString: sub}, {ColumnName: sortCol, Value: v1}},
			ImageFileId: image,
			ImageBounds: &icd.CatalogImageBounds{XColumnName: "RA", YColumnName: sortCol, ImageBounds: &icd.ImageBounds{XMin: xmin, XMax: xmax, YMin: xmin, YMax: xmax}},
		})
		resp := expect(t, p, icd.EventType_CATALOG_FILTER_RESPONSE, &icd.CatalogFilterResponse{})
		if resp.FilterDataSize < 0 || resp.FilterDataSize > 20 || resp.SubsetDataSize < 0 || resp.SubsetDataSize > 20 {
			t.Fatalf("response %+v", resp)
		}
		for i, cd := range resp.Columns {
			if n := len(cd.StringData) + len(cd.BinaryData)/max(1, map[int]int{0: 8, 1: 8, 2: 4}[int(i)]); i < 4 && n != int(resp.SubsetDataSize) {
				t.Fatalf("column %d has %d values for %d rows", i, n, resp.SubsetDataSize)
			}
		}
	})
}
