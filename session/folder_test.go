package session

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func testFolder(t *testing.T) (*Folder, string) {
	t.Helper()
	top := t.TempDir()
	root := filepath.Join(top, "root")
	for _, d := range []string{"a/b", "data", "linked-target", ".hidden"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(top, "secret.fits"), []byte("SIMPLE"), 0o644)
	os.WriteFile(filepath.Join(root, "a", "img.fits"), []byte("SIMPLE"), 0o644)
	os.Symlink(filepath.Join(top, "secret.fits"), filepath.Join(root, "escape.fits"))
	os.Symlink(top, filepath.Join(root, "up"))
	os.Symlink(filepath.Join(root, "linked-target"), filepath.Join(root, "inside-abs"))
	os.Symlink("a/b", filepath.Join(root, "inside-rel"))
	f, err := NewFolder(root, "a")
	if err != nil {
		t.Fatal(err)
	}
	return f, root
}

func TestFolderDir(t *testing.T) {
	f, root := testFolder(t)
	tests := []struct {
		in, rel string
		err     error
	}{
		{"$BASE", "a", nil},
		{"", "", nil},
		{".", "", nil},
		{"/", "", nil},
		{"a/b", "a/b", nil},
		{".hidden", ".hidden", nil},
		{"/a/b", "a/b", nil},
		{"a/b/..", "a", nil},
		{"a/../a/b/", "a/b", nil},
		{"inside-abs", "inside-abs", nil},
		{"inside-rel", "inside-rel", nil},
		{"..", "", ErrOutsideRoot},
		{"../root", "", ErrOutsideRoot},
		{"a/../../", "", ErrOutsideRoot},
		{"up", "", ErrOutsideRoot},
		{"up/root/a", "up/root/a", nil}, // out and back in: still inside
		{"missing", "", os.ErrNotExist},
		{"a\x00b", "", ErrOutsideRoot},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			rel, abs, err := f.Dir(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			want, _ := filepath.EvalSymlinks(filepath.Join(root, tc.rel))
			if err == nil && (rel != tc.rel || abs != want) {
				t.Fatalf("got %q %q, want %q", rel, abs, tc.rel)
			}
		})
	}
}

func TestFolderFile(t *testing.T) {
	f, _ := testFolder(t)
	if rel, _, err := f.File("$BASE", "img.fits"); err != nil || rel != "a/img.fits" {
		t.Fatalf("base file: %q %v", rel, err)
	}
	if rel, _, err := f.File(".", "escape.fits"); !errors.Is(err, ErrOutsideRoot) {
		t.Fatalf("symlink out: %q %v", rel, err)
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/img.fits"} {
		if _, _, err := f.File("", bad); err == nil {
			t.Errorf("file name %q accepted", bad)
		}
	}
}

func TestFolderRefusesBaseOutside(t *testing.T) {
	_, root := testFolder(t)
	for _, base := range []string{"..", "up", filepath.Dir(root)} {
		if _, err := NewFolder(root, base); err == nil {
			t.Errorf("base %q accepted", base)
		}
	}
}

func TestParentPath(t *testing.T) {
	for rel, want := range map[string]string{"": "", "a": ".", "a/b": "a", "a/b/c": "a/b"} {
		if got := parentPath(rel); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", rel, got, want)
		}
	}
}
