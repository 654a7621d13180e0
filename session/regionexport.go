package session

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cartago/icd"
	"cartago/imaging/region"
	"cartago/imaging/regionfile"
)

// handleExportRegion writes the regions the frontend names, with the
// styles it sends, to a file in the top folder or into the ack's
// contents, as the reference does (Session::OnExportRegion,
// RegionHandler::ExportRegion): an existing file needs overwrite, else
// the ack asks for confirmation; regions that cannot be written are
// listed in message.
//
// Where we differ: an unknown file id gets a success=false ack (the
// reference only logs); the file is written to a temporary name and
// renamed, so a failed export never leaves half a file.
func (c *Client) handleExportRegion(r request) error {
	var msg icd.ExportRegion
	if err := decode(r, &msg); err != nil {
		return err
	}
	ack, err := c.exportRegions(&msg)
	if err != nil {
		c.log.Info("region export refused", "file_id", msg.FileId, "err", err)
		if ack == nil {
			ack = &icd.ExportRegionAck{}
		}
		ack.Success, ack.Message = false, clientText(err, c.mgr.folder.Redact)
	}
	c.send(r.ctx, icd.EventType_EXPORT_REGION_ACK, r.hdr.RequestID, ack)
	return nil
}

// errOverwrite asks the frontend to confirm replacing a file.
var errOverwrite = errors.New("Export region failed: cannot overwrite existing file.")

func (c *Client) exportRegions(msg *icd.ExportRegion) (*icd.ExportRegionAck, error) {
	format, ok := regionFileFormats[msg.Type]
	if !ok {
		return nil, fmt.Errorf("region file type %v is %w", msg.Type, ErrUnsupported)
	}
	if len(msg.RegionStyles) == 0 {
		return nil, errors.New("Export region failed: no regions requested.")
	}
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return nil, err
	}
	var path string
	if msg.Directory != "" && msg.File != "" {
		if path, err = c.exportPath(msg.Directory, msg.File, msg.Overwrite); err != nil {
			return &icd.ExportRegionAck{OverwriteConfirmationRequired: errors.Is(err, errOverwrite)}, err
		}
	}
	img := regionFileImage(f.img.HDU, f.layout)
	world := msg.CoordType == icd.CoordinateType_WORLD
	if world && (img.Sky == nil || img.Frame == regionfile.FrameNone) {
		return nil, errors.New("Cannot export regions in world coordinates for linear coordinate system.")
	}
	regions, problems := c.session.exportedRegions(f.id, msg.RegionStyles)
	out, err := regionfile.Write(format, regions, img, world)
	if err != nil {
		return nil, err
	}
	problems = append(problems, out.Problems...)
	if len(problems) == len(msg.RegionStyles) {
		return nil, fmt.Errorf("Export region failed: no regions to export.\n%s", strings.Join(problems, "\n"))
	}
	ack := &icd.ExportRegionAck{Success: true, Message: strings.Join(problems, "\n")}
	if path == "" {
		ack.Contents = out.Lines
		return ack, nil
	}
	if err := writeFileAtomic(path, []byte(strings.Join(out.Lines, "\n")+"\n")); err != nil {
		return nil, fmt.Errorf("Export region failed: %w", err)
	}
	return ack, nil
}

// exportedRegions returns the regions named, in id order, with their
// styles. A region made on another image is carried to this one through
// both images' world coordinates, as the reference exports it
// (RegionHandler::ExportRegion: Region::GetImageRegionRecord); missing
// regions and regions that cannot be carried over are problems.
func (s *Session) exportedRegions(fileID int32, styles map[int32]*icd.RegionStyle) ([]regionfile.Region, []string) {
	ids := make([]int32, 0, len(styles))
	for id := range styles {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, cmp.Compare)
	var found []*regionState
	var problems []string
	s.rmu.Lock()
	for _, id := range ids {
		if r := s.regions[id]; r != nil {
			found = append(found, r.clone())
		} else {
			problems = append(problems, fmt.Sprintf("Region %d not found for export.", id))
		}
	}
	s.rmu.Unlock()
	var out []regionfile.Region
	for _, r := range found {
		info := r.info
		if r.fileID != fileID {
			d, err := s.convertRegion(r, fileID, nil)
			if err != nil {
				problems = append(problems, fmt.Sprintf("Export region %d in image %d failed: %v", r.id, fileID, err))
				continue
			}
			info = infoOf(d)
		}
		out = append(out, fileRegion(info, styles[r.id]))
	}
	return out, problems
}

// infoOf is the RegionInfo of a carried-over shape.
func infoOf(d region.Desc) *icd.RegionInfo {
	info := &icd.RegionInfo{RegionType: icd.RegionType(d.Kind), Rotation: float32(d.Rotation)}
	for _, p := range d.Points {
		info.ControlPoints = append(info.ControlPoints, &icd.Point{X: float32(p.X), Y: float32(p.Y)})
	}
	return info
}

// exportPath resolves the file to write inside the top folder: the
// directory must exist there, the name be one path element, and an
// existing entry a regular file (through symlinks still inside the top
// folder) that overwrite allows replacing.
func (c *Client) exportPath(dir, name string, overwrite bool) (string, error) {
	if name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return "", fmt.Errorf("Export region failed: bad file name %q", name)
	}
	_, absDir, err := c.mgr.folder.Dir(dir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(absDir, name)
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return path, nil
	case err != nil:
		return "", err
	case fi.Mode()&os.ModeSymlink != 0:
		if _, path, err = c.mgr.folder.File(dir, name); err != nil {
			return "", err
		}
	case fi.IsDir():
		return "", errors.New("Export region failed: cannot overwrite existing directory.")
	case !fi.Mode().IsRegular():
		return "", errors.New("Export region failed: existing path is not a file.")
	}
	if !overwrite {
		return "", errOverwrite
	}
	return path, nil
}

// writeFileAtomic writes b to a temporary file next to path and renames
// it over path.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing is there
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
