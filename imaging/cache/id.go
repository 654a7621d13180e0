package cache

import "os"

// FileID identifies a file's contents as far as stat can: a file
// replaced or rewritten on disk gets a new FileID, so cached data of
// the old one is never served for it.
type FileID struct {
	Dev, Ino uint64 // 0 where the platform has none
	Size     int64
	ModTime  int64 // Unix ns
}

// idOf returns the identity stat reported.
func idOf(fi os.FileInfo) FileID {
	id := FileID{Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	id.Dev, id.Ino = devIno(fi)
	return id
}
