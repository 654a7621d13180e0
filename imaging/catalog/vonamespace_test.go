package catalog

import (
	"bufio"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

// prefixed rewrites a VOTable written by WriteVOTable with a namespace
// prefix on every element, as some services serve them.
func prefixed(doc []byte, p string) []byte {
	tag := regexp.MustCompile(`<(/?)([A-Z][A-Z0-9]*)`)
	out := tag.ReplaceAllString(string(doc), "<${1}"+p+":${2}")
	return []byte(strings.Replace(out, "<"+p+":VOTABLE", "<"+p+":VOTABLE xmlns:"+p+`="http://www.ivoa.net/xml/VOTable/v1.3"`, 1))
}

// A VOTable whose elements carry a namespace prefix reads as the plain
// one, in every serialisation, also when the prefix is split across
// reads; it is sniffed as a VOTable without an XML declaration too.
func TestNamespacedVOTable(t *testing.T) {
	s := sampleSpec()
	for _, enc := range []Encoding{TableData, Binary, Binary2} {
		doc := prefixed(writeVO(t, s, enc), "vot")
		if !strings.Contains(string(doc), "<vot:TR") && enc == TableData {
			t.Fatalf("fixture not prefixed: %.300s", doc)
		}
		tab, err := Read(doc, Options{})
		if err != nil {
			t.Fatalf("%v: %v", enc, err)
		}
		checkSpec(t, tab, s)
		tab, err = readVOTable(iotest.OneByteReader(strings.NewReader(string(doc))), int64(len(doc)), newMeter(Options{}, "x"), false)
		if err != nil {
			t.Fatalf("%v byte by byte: %v", enc, err)
		}
		checkSpec(t, tab, s)
	}
	noDecl := prefixed(writeVO(t, s, TableData), "v")
	noDecl = noDecl[strings.Index(string(noDecl), "<v:VOTABLE"):]
	if got := Sniff(noDecl[:sniffBytes]); got != VOTable {
		t.Fatalf("sniffed %v", got)
	}
	path := writeFile(t, "ns.xml", noDecl)
	if got := SniffFile(path); got != VOTable {
		t.Fatalf("sniffed file %v", got)
	}
}

// The stripper leaves documents without a prefixed root alone.
func TestUnprefixedPassThrough(t *testing.T) {
	br := bufio.NewReader(strings.NewReader(`<?xml version="1.0"?><VOTABLE><x:y/></VOTABLE>`))
	if u := unprefixed(br); u != br {
		t.Fatal("plain document was filtered")
	}
}
