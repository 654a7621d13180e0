package casa

import (
	"os"
	"testing"
)

func TestDumpTable(t *testing.T) {
	p := os.Getenv("CASA_DUMP")
	if p == "" {
		t.Skip("CASA_DUMP unset")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := parseTable(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rows %d big %v\n%s", tb.rows, tb.bigEndian, tb.keywords.describe(""))
	for _, c := range tb.columns {
		t.Logf("column %+v", c)
	}
	t.Logf("managers %+v", tb.managers)
}

func TestDumpHeader(t *testing.T) {
	p := os.Getenv("CASA_IMAGE")
	if p == "" {
		t.Skip("CASA_IMAGE unset")
	}
	im, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	cards, err := im.Header()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cards {
		t.Logf("%-8s = %s", c.Name, c.Value)
	}
	t.Logf("shape %v mask %v", im.Shape, im.HasMask())
}
