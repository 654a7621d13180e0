package session

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"cartago/imaging/fits"
)

// ErrOutsideRoot is returned for paths that leave the top-level folder.
var ErrOutsideRoot = errors.New("path is outside the top-level folder")

// ErrNotDirectory is returned where a folder is expected but the path
// names something else.
var ErrNotDirectory = errors.New("not a directory")

// baseToken is how the frontend asks for the starting folder.
const baseToken = "$BASE"

// Folder confines every path a client names to the top-level folder.
// Paths are resolved through their symlinks and then checked, so a link
// pointing outside is refused while links inside (even absolute ones,
// common for data folders) work. Immutable; safe for concurrent use.
type Folder struct {
	root string // absolute, symlinks resolved
	base string // relative to root, "" for the root itself
}

// NewFolder checks root and base (relative to root or absolute).
func NewFolder(root, base string) (*Folder, error) {
	r, err := filepath.Abs(root)
	if err == nil {
		r, err = filepath.EvalSymlinks(r)
	}
	if err != nil {
		return nil, fmt.Errorf("top-level folder %q: %w", root, err)
	}
	if fi, err := os.Stat(r); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("top-level folder %q is not a directory", root)
	}
	f := &Folder{root: r}
	if base == "" {
		return f, nil
	}
	if filepath.IsAbs(base) {
		if base, err = filepath.Rel(r, base); err != nil {
			return nil, fmt.Errorf("starting folder %q: %w", base, err)
		}
	}
	rel, abs, err := f.resolve(filepath.ToSlash(base))
	if err != nil {
		return nil, fmt.Errorf("starting folder %q: %w", base, err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("starting folder %q is not a directory", base)
	}
	f.base = rel
	return f, nil
}

// Root returns the absolute top-level folder.
func (f *Folder) Root() string { return f.root }

// Base returns the starting folder relative to the root ("" = root).
func (f *Folder) Base() string { return f.base }

// Dir resolves a directory as the frontend names it: "$BASE", "" or "."
// for the top, "a/b", or "/a/b" (breadcrumbs are rooted at the top
// folder, not at the file system root). It returns the cleaned relative
// path ("" for the top) and the absolute one with symlinks resolved, which
// is what callers open. Anything but a directory fails with
// ErrNotDirectory; callers still open it with readDir, which cannot block
// should the path have been swapped since.
func (f *Folder) Dir(dir string) (rel, abs string, err error) {
	if dir == baseToken {
		dir = f.base
	}
	rel, abs, err = f.resolve(dir)
	if err != nil {
		return "", "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", "", fmt.Errorf("%q: %w", displayPath(rel), err)
	}
	if !fi.IsDir() {
		return "", "", fmt.Errorf("%s is %w (%s)", displayPath(rel), ErrNotDirectory, fits.KindOf(fi.Mode()))
	}
	return rel, abs, nil
}

// File resolves a file name inside a directory named as in Dir. The name
// must be a single path element, and the file (after its symlinks) a
// regular file: a FIFO would block its reader and a device may never end,
// so both fail here with fits.ErrNotRegular before anything opens them.
// Readers still open with fits.OpenRegular, which refuses a file swapped
// in since without blocking.
func (f *Folder) File(dir, name string) (rel, abs string, err error) {
	rel, abs, err = f.entry(dir, name)
	if err != nil {
		return "", "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", "", fmt.Errorf("%q: %w", displayPath(rel), err)
	}
	if !fi.Mode().IsRegular() {
		return "", "", fmt.Errorf("%s is %w (%s)", name, fits.ErrNotRegular, fits.KindOf(fi.Mode()))
	}
	return rel, abs, nil
}

// entry resolves a name inside a directory, whatever kind of file it is.
func (f *Folder) entry(dir, name string) (rel, abs string, err error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return "", "", fmt.Errorf("bad file name %q", name)
	}
	if dir == baseToken {
		dir = f.base
	}
	return f.resolve(path.Join(dir, name))
}

// readDir lists a directory. The open cannot block: should a FIFO have
// replaced the directory since it was checked, the open returns at once
// and the check of the opened descriptor refuses it.
func readDir(path string) ([]os.DirEntry, error) {
	d, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	fi, err := d.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w (%s)", ErrNotDirectory, fits.KindOf(fi.Mode()))
	}
	return d.ReadDir(-1)
}

func (f *Folder) resolve(p string) (rel, abs string, err error) {
	if strings.ContainsRune(p, 0) {
		return "", "", fmt.Errorf("%q: %w", p, ErrOutsideRoot)
	}
	clean := path.Clean(strings.TrimLeft(p, "/"))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", "", fmt.Errorf("%q: %w", p, ErrOutsideRoot)
	}
	if clean == "." {
		clean = ""
	}
	joined := filepath.Join(f.root, filepath.FromSlash(clean))
	real, err := filepath.EvalSymlinks(joined)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", "", fmt.Errorf("%q: %w", displayPath(clean), os.ErrNotExist)
		}
		return "", "", fmt.Errorf("%q: %w", displayPath(clean), err)
	}
	if real != f.root && !strings.HasPrefix(real, f.root+string(filepath.Separator)) {
		return "", "", fmt.Errorf("%q: %w", displayPath(clean), ErrOutsideRoot)
	}
	return clean, real, nil
}

// displayPath is how a relative path appears in responses: never empty,
// "." for the top folder.
func displayPath(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

// parentPath is where the file browser's ".." goes: nothing above the top
// folder, "." from a first-level folder.
func parentPath(rel string) string {
	if rel == "" {
		return ""
	}
	return displayPath(strings.TrimSuffix(path.Dir(rel), "."))
}

// Redact removes the top-level folder from a message, so clients see
// paths relative to it, as they name them, and learn nothing about the
// server's layout.
func (f *Folder) Redact(msg string) string {
	msg = strings.ReplaceAll(msg, f.root+string(filepath.Separator), "")
	return strings.ReplaceAll(msg, f.root, ".")
}
