package session

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"cartago/imaging/fits"
)

// confirmError asks the frontend to confirm replacing an existing file;
// it shows a dialog and asks again with overwrite=true
// (SaveFileAck.overwrite_confirmation_required).
type confirmError struct{ text string }

func (e *confirmError) Error() string { return e.text }

// saveTarget resolves where SAVE_FILE writes: a single name inside a
// directory of the top folder. An existing path is refused as the
// reference refuses it (Frame.cc SaveFile): the source image, anything
// not a regular file, and a file or link without confirmation
// (errOverwrite with the reference's text). A link is followed and
// must stay inside the top folder.
func saveTarget(folder *Folder, dir, name string, overwrite bool, sources []string) (string, error) {
	if name == "" {
		return "", errors.New("Cannot save image with no filename.")
	}
	if name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return "", fmt.Errorf("bad file name %q", name)
	}
	_, absDir, err := folder.Dir(dir)
	if err != nil {
		return "", err
	}
	target := filepath.Join(absDir, name)
	fi, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return target, nil
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(target)
		if err == nil && real != folder.Root() && !strings.HasPrefix(real, folder.Root()+string(filepath.Separator)) {
			return "", fmt.Errorf("%s: %w", name, ErrOutsideRoot)
		}
		if err == nil {
			target = real
			fi, err = os.Stat(real)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		if err != nil { // a dangling link inside the top folder: replaced like a file
			return "", &confirmError{"Cannot overwrite existing file or symlink."}
		}
	}
	return target, checkReplace(target, fi, overwrite, sources)
}

// checkReplace applies the reference's rules for an existing path.
func checkReplace(target string, fi fs.FileInfo, overwrite bool, sources []string) error {
	for _, s := range sources {
		if s == target {
			return errors.New("Cannot overwrite the source image.")
		}
	}
	switch {
	case fi.IsDir():
		return errors.New("Cannot overwrite existing directory.")
	case !fi.Mode().IsRegular():
		return errors.New("Cannot overwrite existing path: not a file or directory.")
	case !overwrite && isFITS(target):
		return &confirmError{"Cannot overwrite existing image."}
	case !overwrite:
		return &confirmError{"Cannot overwrite existing file or symlink."}
	}
	return nil
}

// isFITS reports whether a regular file starts as a FITS file does.
func isFITS(path string) bool {
	f, err := fits.OpenRegular(path) // never blocks on a FIFO swapped in
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 9)
	_, err = io.ReadFull(f, head)
	return err == nil && string(head) == "SIMPLE  ="
}
