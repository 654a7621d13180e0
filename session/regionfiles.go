package session

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"cartago/icd"
	"cartago/imaging/fits"
)

// Region files are recognised as the reference does
// (CARTAvis/carta-backend src/Util/File.cc, GuessRegionType): by the start
// of the first line, then by the name's extension (any case).
const (
	crtfMagic = "#CRTF"
	ds9Magic  = "# Region file format: DS9"
)

// maxRegionFileBytes bounds the file REGION_FILE_INFO_REQUEST reads into
// one reply; region files are text of a few KiB, and the reply must fit in
// a connection's outgoing queue (ws.DefaultQueueBytes is 16 MiB).
const maxRegionFileBytes = 4 << 20

// regionTypeByContent reads at most len(ds9Magic) bytes of a regular file
// (opened without blocking, so FIFOs and devices are refused unread).
func regionTypeByContent(path string) icd.FileType {
	f, err := fits.OpenRegular(path)
	if err != nil {
		return icd.FileType_UNKNOWN
	}
	defer f.Close()
	head := make([]byte, len(ds9Magic))
	n, _ := io.ReadFull(f, head)
	switch head = head[:n]; {
	case bytes.HasPrefix(head, []byte(crtfMagic)):
		return icd.FileType_CRTF
	case bytes.HasPrefix(head, []byte(ds9Magic)):
		return icd.FileType_DS9_REG
	}
	return icd.FileType_UNKNOWN
}

func regionTypeByName(name string) icd.FileType {
	switch lower := strings.ToLower(name); {
	case strings.HasSuffix(lower, ".crtf"):
		return icd.FileType_CRTF
	case strings.HasSuffix(lower, ".reg"):
		return icd.FileType_DS9_REG
	}
	return icd.FileType_UNKNOWN
}

// regionType is the reference's order for the Content filter: content,
// then extension (a DS9 file may lack the optional header line).
func regionType(name, path string) icd.FileType {
	if t := regionTypeByContent(path); t != icd.FileType_UNKNOWN {
		return t
	}
	return regionTypeByName(name)
}

func regionFileInfo(name string, t icd.FileType, fi os.FileInfo) *icd.FileInfo {
	return &icd.FileInfo{Name: name, Type: t, Size: fi.Size(), HDUList: []string{""}, Date: fi.ModTime().Unix()}
}

// regionFiles picks the region files of a listing under the filter mode:
// Content recognises by content, then name; Extension by name only;
// AllFiles lists every regular file, typed by name (FileListHandler.cc
// GetFileList, region_list branch).
func regionFiles(l *listing, mode icd.FileListFilterMode) []*icd.FileInfo {
	var out []*icd.FileInfo
	if mode == icd.FileListFilterMode_AllFiles {
		for _, im := range l.images {
			out = append(out, &icd.FileInfo{Name: im.Name, Type: regionTypeByName(im.Name), Size: im.Size, HDUList: []string{""}, Date: im.Date})
		}
	}
	for _, p := range l.others {
		t := regionTypeByName(p.name)
		if mode == icd.FileListFilterMode_Content {
			t = regionType(p.name, p.path)
		}
		if t != icd.FileType_UNKNOWN || mode == icd.FileListFilterMode_AllFiles {
			out = append(out, regionFileInfo(p.name, t, p.fi))
		}
	}
	return out
}

// handleRegionList lists region files and folders for the region import
// dialog.
func (c *Client) handleRegionList(r request) error {
	var msg icd.RegionListRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	resp := &icd.RegionListResponse{}
	if l, err := c.listDirectory(msg.Directory); err != nil {
		resp.Message, resp.Directory = err.Error(), msg.Directory
	} else {
		resp.Success, resp.Directory, resp.Parent, resp.Subdirectories = true, displayPath(l.rel), parentPath(l.rel), l.subdirs
		resp.Files = regionFiles(l, msg.FilterMode)
	}
	c.send(r.ctx, icd.EventType_REGION_LIST_RESPONSE, r.hdr.RequestID, resp)
	return nil
}

// handleRegionFileInfo answers with a region file's type and its lines,
// as the reference does (FileListHandler.cc OnRegionFileInfoRequest): the
// lines are the file split at '\n', a trailing newline giving a last empty
// line; a refusal carries one empty line.
func (c *Client) handleRegionFileInfo(r request) error {
	var msg icd.RegionFileInfoRequest
	if err := decode(r, &msg); err != nil {
		return err
	}
	resp := &icd.RegionFileInfoResponse{}
	info, lines, err := c.readRegionFile(msg.Directory, msg.File)
	if err != nil {
		resp.Message, resp.Contents = c.mgr.folder.Redact(err.Error()), []string{""}
	} else {
		resp.Success, resp.FileInfo, resp.Contents = true, info, lines
	}
	c.send(r.ctx, icd.EventType_REGION_FILE_INFO_RESPONSE, r.hdr.RequestID, resp)
	return nil
}

func (c *Client) readRegionFile(dir, name string) (*icd.FileInfo, []string, error) {
	_, path, err := c.mgr.folder.File(dir, name)
	if err != nil {
		return nil, nil, err
	}
	f, err := fits.OpenRegular(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	t := regionType(name, path)
	if t == icd.FileType_UNKNOWN {
		return nil, nil, fmt.Errorf("File %s is not a region file.", name) // the reference's text
	}
	if fi.Size() > maxRegionFileBytes {
		return nil, nil, fmt.Errorf("region file %s has %d bytes, more than the %d this server reads", name, fi.Size(), maxRegionFileBytes)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxRegionFileBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxRegionFileBytes {
		return nil, nil, fmt.Errorf("region file %s grew past the %d bytes this server reads", name, maxRegionFileBytes)
	}
	// Contents are proto strings, which must be UTF-8.
	lines := strings.Split(strings.ToValidUTF8(string(b), "\uFFFD"), "\n")
	return regionFileInfo(name, t, fi), lines, nil
}
