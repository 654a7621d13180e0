package catalog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"cartago/imaging/fits"
)

// sniffBytes is how much of a file Sniff looks at: enough for a
// namespace-prefixed root element.
const sniffBytes = 256

// Sniff tells a catalogue's type from the start of a file as the
// reference does (src/Util/File.cc GuessTableType with content check):
// "<?xm" is a VOTable, "SIMP" a FITS file. A VOTable without the XML
// declaration is recognised by "<VOTABLE" (or "<prefix:VOTABLE") too.
func Sniff(head []byte) FileType {
	switch {
	case bytes.HasPrefix(head, []byte("<?xm")), bytes.HasPrefix(head, []byte("<VOTABLE")), rootPrefix.Match(head):
		return VOTable
	case bytes.HasPrefix(head, []byte("SIMP")):
		return FITSTable
	}
	return Unknown
}

// SniffFile reads the start of a regular file (without blocking on
// FIFOs and devices) and sniffs it.
func SniffFile(path string) FileType {
	f, err := fits.OpenRegular(path)
	if err != nil {
		return Unknown
	}
	defer f.Close()
	head := make([]byte, sniffBytes)
	n, _ := io.ReadFull(f, head)
	if isGzip(head[:n]) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return Unknown
		}
		return Sniff(gunzipHead(f, len(head)))
	}
	return Sniff(head[:n])
}

// Open reads a whole catalogue file into memory, charged to
// opts.Memory until Close.
func Open(path string, opts Options) (*Table, error) {
	return open(path, opts, false)
}

// ReadHeader reads a catalogue's metadata only: columns without data,
// and Rows as the file announces it (VOTable nrows, FITS NAXIS2; 0 when
// unknown).
func ReadHeader(path string) (*Table, error) {
	return open(path, Options{}, true)
}

func open(path string, opts Options, headerOnly bool) (*Table, error) {
	f, err := fits.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w", path, err)
	}
	head := make([]byte, sniffBytes)
	n, _ := f.ReadAt(head, 0)
	if isGzip(head[:n]) {
		return openGzip(f, path, opts, headerOnly)
	}
	m := newMeter(opts, filepath.Base(path))
	var t *Table
	switch Sniff(head[:n]) {
	case VOTable:
		t, err = readVOTable(f, info.Size(), m, headerOnly)
	case FITSTable:
		t, err = readFITSTable(f, info.Size(), m, headerOnly)
	default:
		err = fmt.Errorf("%w: it starts with neither <?xml nor SIMPLE", ErrNotCatalog)
	}
	if err != nil {
		m.release()
		return nil, fmt.Errorf("catalog: open %s: %w", filepath.Base(path), err)
	}
	t.meter = m
	return t, nil
}

// openGzip reads a gzip-compressed catalogue: decompressed into memory
// (charged while it is parsed), then read as any other.
func openGzip(f *os.File, path string, opts Options, headerOnly bool) (*Table, error) {
	name := filepath.Base(path)
	bm := newMeter(opts, name)
	defer bm.release()
	b, err := gunzipAll(f, bm)
	if err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w", name, err)
	}
	t, err := readBytes(b, opts, name, headerOnly)
	if err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w", name, err)
	}
	return t, nil
}

// Read reads a catalogue from memory (tests and fuzzing).
func Read(b []byte, opts Options) (*Table, error) {
	return readBytes(b, opts, "input", false)
}

func readBytes(b []byte, opts Options, name string, headerOnly bool) (*Table, error) {
	m := newMeter(opts, name)
	var t *Table
	var err error
	switch Sniff(b) {
	case VOTable:
		t, err = readVOTable(bytes.NewReader(b), int64(len(b)), m, headerOnly)
	case FITSTable:
		t, err = readFITSTable(bytes.NewReader(b), int64(len(b)), m, headerOnly)
	default:
		err = ErrNotCatalog
	}
	if err != nil {
		m.release()
		return nil, err
	}
	t.meter = m
	return t, nil
}
