package catalog

import (
	"fmt"
	"sync"

	"cartago/imaging/budget"
)

// FileType is the kind of file a table came from; the numbers are the
// ICD's CatalogFileType.
type FileType uint8

const (
	FITSTable FileType = 0
	VOTable   FileType = 1
	Unknown   FileType = 2
)

// Coosys is a VOTable COOSYS element.
type Coosys struct{ System, Equinox, Epoch string }

// Param is a VOTable PARAM element.
type Param struct{ Name, Value, Description string }

// Table is a catalogue held in memory, one Column per field in file
// order. It is read-only after Open and safe for concurrent use.
type Table struct {
	Type        FileType
	Description string
	Coosys      Coosys // the first COOSYS of the file
	Params      []Param
	Columns     []*Column
	// Rows is the number of rows read; for a table opened with
	// ReadHeader it is the number the file announces (0 if none).
	Rows int

	meter *meter // what t is charged; released by Close
	once  sync.Once
}

// Close releases the memory charged for t. Safe to call more than once.
func (t *Table) Close() {
	if t != nil && t.meter != nil {
		t.once.Do(t.meter.release)
	}
}

// Column returns the column whose ID, else whose name, is key (the
// reference's Table::operator[] looks IDs up first), or nil.
func (t *Table) Column(key string) *Column {
	for _, c := range t.Columns {
		if c.ID != "" && c.ID == key {
			return c
		}
	}
	for _, c := range t.Columns {
		if c.Name == key {
			return c
		}
	}
	return nil
}

// Options bound what Open may allocate. The zero value gives the defaults.
type Options struct {
	// Memory is charged with the table's bytes while it is read and
	// until Close; nil charges nothing.
	Memory *budget.Memory
	// MaxBytes refuses tables whose columns need more; default
	// DefaultMaxBytes.
	MaxBytes int64
}

// DefaultMaxBytes bounds one table: a million rows of a hundred numeric
// columns fit.
const DefaultMaxBytes = 1 << 30

// meter charges a table being read to the budget as its columns grow.
type meter struct {
	mem     *budget.Memory
	max     int64
	charged int64
	name    string
}

// chargeStep is the least a meter acquires at a time, so a growing
// table does not take the budget's lock for every row.
const chargeStep = 4 << 20

func newMeter(opts Options, name string) *meter {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &meter{mem: opts.Memory, max: opts.MaxBytes, name: name}
}

// need makes sure n bytes in all are charged, or refuses.
func (m *meter) need(n int64) error {
	if n > m.max {
		return fmt.Errorf("%w: %s needs more than %s (the limit for one catalog is %s)",
			ErrTooLarge, m.name, budget.Bytes(n), budget.Bytes(m.max))
	}
	if n <= m.charged {
		return nil
	}
	step := min(max(n-m.charged, chargeStep), m.max-m.charged)
	if err := m.mem.Acquire(step, "catalog "+m.name); err != nil {
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	m.charged += step
	return nil
}

// release gives back everything charged (a failed read).
func (m *meter) release() {
	m.mem.Release(m.charged)
	m.charged = 0
}

// used is what t's columns hold now (capacity, as appends over-allocate).
func used(cols []*Column) int64 {
	var n int64
	for _, c := range cols {
		n += c.bytes()
	}
	return n
}
