package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// folders are the top-level folder and the file browser's start, both
// absolute with symlinks resolved.
type folders struct {
	root string
	base string
}

// resolveFolders checks that root is a directory and that base (relative
// to root, or absolute) lies inside it; like the reference backend, a base
// outside the root is fatal.
func resolveFolders(root, base string) (folders, error) {
	r, err := filepath.Abs(root)
	if err == nil {
		r, err = filepath.EvalSymlinks(r)
	}
	if err != nil {
		return folders{}, fmt.Errorf("--root %q: %w", root, err)
	}
	if fi, err := os.Stat(r); err != nil || !fi.IsDir() {
		return folders{}, fmt.Errorf("--root %q is not a directory", root)
	}
	if base == "" {
		return folders{root: r, base: r}, nil
	}
	b := base
	if !filepath.IsAbs(b) {
		b = filepath.Join(r, b)
	}
	b, err = filepath.EvalSymlinks(b)
	if err != nil {
		return folders{}, fmt.Errorf("--base %q: %w", base, err)
	}
	if b != r && !strings.HasPrefix(b, r+string(filepath.Separator)) {
		return folders{}, fmt.Errorf("--base %q is outside --root %q", base, root)
	}
	if fi, err := os.Stat(b); err != nil || !fi.IsDir() {
		return folders{}, fmt.Errorf("--base %q is not a directory", base)
	}
	return folders{root: r, base: b}, nil
}
