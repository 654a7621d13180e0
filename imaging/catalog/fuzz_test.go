package catalog

import (
	"testing"

	"cartago/imaging/budget"
)

// fuzzLimit bounds what one fuzz input may make a reader hold.
const fuzzLimit = 64 << 20

// FuzzRead: any input yields a table or an error, never a panic, and
// never more memory than the limit (lying headers included); whatever
// is read can be filtered, sorted and sliced.
func FuzzRead(f *testing.F) {
	s := sampleSpec()
	for _, enc := range []Encoding{TableData, Binary, Binary2} {
		f.Add(writeVO(f, s, enc))
	}
	f.Add(writeFITS(f, s))
	f.Add(sourcesASCII(sourceRows...))
	f.Add(prefixed(writeVO(f, s, TableData), "vot"))
	f.Add([]byte(`<?xml version="1.0"?><VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="char" arraysize="9999999x*"/><DATA><BINARY><STREAM encoding="base64">/////w==</STREAM></BINARY></DATA></TABLE></RESOURCE></VOTABLE>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		mem := budget.NewMemory(fuzzLimit)
		tab, err := Read(b, Options{Memory: mem, MaxBytes: fuzzLimit})
		if err != nil {
			if used := mem.Stats().Used; used != 0 {
				t.Fatalf("failed read left %d bytes charged", used)
			}
			return
		}
		defer tab.Close()
		for _, c := range tab.Columns {
			if c.Type != Unsupported && c.Len() != tab.Rows {
				t.Fatalf("column %q has %d values for %d rows", c.Name, c.Len(), tab.Rows)
			}
			v, err := tab.Select(t.Context(), Query{SortColumn: c.Name, Filters: []Filter{{Column: c.Name, Op: RangeClosed, Value: -1, Second: 1e9}}})
			if err != nil {
				t.Fatal(err)
			}
			c.AppendValues(nil, v, 0, 10)
			c.Strings(v, 0, 10)
		}
	})
}
