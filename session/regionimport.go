package session

import (
	"errors"
	"fmt"
	"strings"

	"cartago/icd"
	"cartago/imaging/region"
	"cartago/imaging/regionfile"
)

// handleImportRegion reads a region file, or the lines the frontend
// sends, into regions of the image group_id names, as the reference does
// (Session::OnImportRegion, RegionHandler::ImportRegion): ids follow the
// largest in use, regions the image cannot hold are left out with a
// line in message (also sent as an ERROR_DATA log entry, as the
// reference's SendLogEvent), and no regions at all is success=false.
//
// Where we differ: an unknown file id gets a success=false ack (the
// reference only logs, and the frontend's import dialog would wait
// forever); contents lines are joined with '\n' (the reference
// concatenates them).
func (c *Client) handleImportRegion(r request) error {
	var msg icd.ImportRegion
	if err := decode(r, &msg); err != nil {
		return err
	}
	ack, err := c.importRegions(&msg)
	if err != nil {
		c.log.Info("region import refused", "file_id", msg.GroupId, "err", err)
		ack = &icd.ImportRegionAck{Message: "Import region failed: " + clientText(err, c.mgr.folder.Redact)}
	}
	if ack.Message != "" {
		// The reference also logs the message to the frontend's log,
		// WARNING when some regions were imported, ERROR when none.
		sev := icd.ErrorSeverity_ERROR
		if ack.Success {
			sev = icd.ErrorSeverity_WARNING
		}
		c.send(r.ctx, icd.EventType_ERROR_DATA, 0, &icd.ErrorData{Severity: sev, Tags: []string{"import"}, Message: c.mgr.folder.Redact(ack.Message)})
	}
	c.send(r.ctx, icd.EventType_IMPORT_REGION_ACK, r.hdr.RequestID, ack)
	return nil
}

func (c *Client) importRegions(msg *icd.ImportRegion) (*icd.ImportRegionAck, error) {
	format, ok := regionFileFormats[msg.Type]
	if !ok {
		return nil, fmt.Errorf("region file type %v is %w", msg.Type, ErrUnsupported)
	}
	f, err := c.frameFor(msg.GroupId)
	if err != nil {
		return nil, err
	}
	text, err := c.importText(msg)
	if err != nil {
		return nil, err
	}
	res, err := regionfile.Parse(format, text, regionFileImage(f.img.HDU, f.layout))
	if err != nil {
		return nil, err
	}
	if len(res.Regions) == 0 {
		if m := res.Message(); m != "" {
			return nil, errors.New(m)
		}
		return nil, fmt.Errorf("the %s file has %w", format, regionfile.ErrNoRegions)
	}
	ack := &icd.ImportRegionAck{Success: true, Message: res.Message(),
		Regions: make(map[int32]*icd.RegionInfo, len(res.Regions)), RegionStyles: make(map[int32]*icd.RegionStyle, len(res.Regions))}
	c.session.addImportedRegions(f.id, res.Regions, ack)
	return ack, nil
}

// importText is the file's text or the lines sent, at most
// maxRegionFileBytes either way.
func (c *Client) importText(msg *icd.ImportRegion) (string, error) {
	if msg.Directory != "" && msg.File != "" {
		_, lines, err := c.readRegionFile(msg.Directory, msg.File)
		if err != nil {
			return "", err
		}
		return strings.Join(lines, "\n"), nil
	}
	if len(msg.Contents) == 0 {
		return "", errors.New("cannot import by filename or contents") // the reference's words
	}
	n := 0
	for _, l := range msg.Contents {
		if n += len(l) + 1; n > maxRegionFileBytes {
			return "", fmt.Errorf("region contents are more than the %d bytes this server reads", maxRegionFileBytes)
		}
	}
	return strings.Join(msg.Contents, "\n"), nil
}

// addImportedRegions makes the regions session regions on image fileID
// under new ids and fills the ack with them. They have no requirements
// yet, so there is no data to queue; the frontend asks for it.
func (s *Session) addImportedRegions(fileID int32, regions []regionfile.Region, ack *icd.ImportRegionAck) {
	s.rmu.Lock()
	id := s.nextRegionIDLocked()
	var ids []int32
	for _, r := range regions {
		info, style := protoRegion(r)
		desc, err := descOf(info)
		if err != nil { // the parser validated it; float32 rounding may not
			ack.Message = strings.TrimSpace(ack.Message + fmt.Sprintf("\n%s: %v", kindText(r.Kind), err))
			continue
		}
		s.regions[id] = &regionState{id: id, fileID: fileID, info: info, desc: desc}
		ack.Regions[id], ack.RegionStyles[id] = info, style
		ids = append(ids, id)
		id++
	}
	s.rmu.Unlock()
	for _, id := range ids {
		s.masks.Invalidate(int(id)) // a mask of a removed region under the same id
	}
}

func kindText(k region.Kind) string { return icd.RegionType(k).String() }
