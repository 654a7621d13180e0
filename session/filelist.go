package session

import (
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"cartago/icd"
	"cartago/imaging/casa"
	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
)

// listing is one directory read for the file browsers.
type listing struct {
	rel     string // relative to the root, "" for the top
	images  []*icd.FileInfo
	subdirs []*icd.DirectoryInfo
	others  []plainFile // regular files that are not images
}

// plainFile is a regular file of a listing that is not an image.
type plainFile struct {
	name, path string
	fi         os.FileInfo
}

// listDirectory reads a directory the client named. Hidden entries are
// skipped; images are recognised by content, not by name. Entries that
// are neither directories nor regular files (FIFOs, devices, sockets) are
// skipped without being opened, as the reference lists only files it
// recognises.
func (c *Client) listDirectory(dir string) (*listing, error) {
	rel, abs, err := c.mgr.folder.Dir(dir)
	if err != nil {
		return nil, err
	}
	entries, err := readDir(abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", displayPath(rel), err)
	}
	l := &listing{rel: rel}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		// Resolve symlinks through the folder so links leaving the root
		// are not even listed.
		_, path, err := c.mgr.folder.entry(dir, e.Name())
		if err != nil {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		switch {
		case fi.IsDir() && casa.IsImage(path):
			size, mtime := casaSize(path)
			l.images = append(l.images, casaInfo(e.Name(), size, mtime))
		case fi.IsDir():
			l.subdirs = append(l.subdirs, &icd.DirectoryInfo{Name: e.Name(), ItemCount: countItems(path), Date: fi.ModTime().Unix()})
		case fi.Mode().IsRegular():
			if t := fileType(path); t != icd.FileType_UNKNOWN {
				l.images = append(l.images, &icd.FileInfo{Name: e.Name(), Type: t, Size: fi.Size(), HDUList: []string{""}, Date: fi.ModTime().Unix()})
			} else {
				l.others = append(l.others, plainFile{e.Name(), path, fi})
			}
		}
	}
	slices.SortFunc(l.images, func(a, b *icd.FileInfo) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(l.subdirs, func(a, b *icd.DirectoryInfo) int { return cmp.Compare(a.Name, b.Name) })
	return l, nil
}

func countItems(dir string) int32 {
	entries, err := readDir(dir)
	if err != nil {
		return 0
	}
	return int32(len(entries))
}

// fitsMagic is how every FITS file starts: the SIMPLE card.
const fitsMagic = "SIMPLE  ="

// fileType recognises FITS files, plain or gzipped, by their first card,
// and HDF5 files by their signature. It opens regular files only,
// without blocking (see fits.OpenRegular).
func fileType(path string) icd.FileType {
	if hdf5.IsHDF5File(path) {
		return icd.FileType_HDF5
	}
	f, err := fits.OpenRegular(path)
	if err != nil {
		return icd.FileType_UNKNOWN
	}
	defer f.Close()
	var r io.Reader = f
	head := make([]byte, len(fitsMagic))
	if _, err := io.ReadFull(f, head[:2]); err != nil {
		return icd.FileType_UNKNOWN
	}
	if head[0] == 0x1f && head[1] == 0x8b { // gzip
		f.Seek(0, io.SeekStart)
		zr, err := gzip.NewReader(f)
		if err != nil {
			return icd.FileType_UNKNOWN
		}
		defer zr.Close()
		r = zr
		head = head[:0]
	} else {
		head = head[:2]
	}
	rest := make([]byte, len(fitsMagic)-len(head))
	if _, err := io.ReadFull(r, rest); err != nil {
		return icd.FileType_UNKNOWN
	}
	if string(append(head, rest...)) == fitsMagic {
		return icd.FileType_FITS
	}
	return icd.FileType_UNKNOWN
}

func (c *Client) handleFileList(r request) error {
	var msg icd.FileListRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	resp := &icd.FileListResponse{}
	l, err := c.listDirectory(msg.Directory)
	if err != nil {
		resp.Message = clientText(errListDirectory(msg.Directory, err), c.mgr.folder.Redact)
		resp.Directory = msg.Directory
	} else {
		resp.Success = true
		resp.Directory = displayPath(l.rel)
		resp.Parent = parentPath(l.rel)
		resp.Files = l.images
		resp.Subdirectories = l.subdirs
	}
	c.send(r.ctx, icd.EventType_FILE_LIST_RESPONSE, r.hdr.RequestID, resp)
	return nil
}
