package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"cartago/icd"
	"cartago/imaging/fits"
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

// TestFolderRefusesNonRegular: FIFOs and devices, directly or through a
// symlink, are refused by stat before anything opens them (opening a
// FIFO waits for a writer), and named for what they are.
func TestFolderRefusesNonRegular(t *testing.T) {
	f, root := testFolder(t)
	must(t, syscall.Mkfifo(filepath.Join(root, "pipe.fits"), 0o644))
	must(t, os.Symlink("pipe.fits", filepath.Join(root, "to-pipe.fits")))
	must(t, os.Symlink("/dev/zero", filepath.Join(root, "zero.fits")))
	devErr := syscall.Mknod(filepath.Join(root, "dev.fits"), syscall.S_IFCHR|0o644, 1<<8|5) // like /dev/zero
	tests := []struct {
		name string
		err  error
		kind string
	}{
		{"pipe.fits", fits.ErrNotRegular, "named pipe"},
		{"to-pipe.fits", fits.ErrNotRegular, "named pipe"},
		{"zero.fits", ErrOutsideRoot, ""},
		{"data", fits.ErrNotRegular, "directory"},
	}
	if devErr == nil { // creating devices needs privileges
		tests = append(tests, struct {
			name string
			err  error
			kind string
		}{"dev.fits", fits.ErrNotRegular, "character device"})
	} else {
		t.Logf("no device node test: %v", devErr)
	}
	for _, tc := range tests {
		_, _, err := f.File(".", tc.name)
		if !errors.Is(err, tc.err) || !strings.Contains(fmt.Sprint(err), tc.kind) {
			t.Errorf("File(%s) = %v, want %v (%s)", tc.name, err, tc.err, tc.kind)
		}
	}
	for _, dir := range []string{"pipe.fits", "to-pipe.fits", "a/img.fits"} {
		if _, _, err := f.Dir(dir); !errors.Is(err, ErrNotDirectory) {
			t.Errorf("Dir(%s) = %v, want ErrNotDirectory", dir, err)
		}
	}
	// A FIFO swapped in after the check: the reads still do not block.
	if _, err := readDir(filepath.Join(root, "pipe.fits")); !errors.Is(err, ErrNotDirectory) {
		t.Errorf("readDir(fifo) = %v, want ErrNotDirectory", err)
	}
	if got := fileType(filepath.Join(root, "pipe.fits")); got != icd.FileType_UNKNOWN {
		t.Errorf("fileType(fifo) = %v", got)
	}
}
