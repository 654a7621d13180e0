package session

import (
	"fmt"

	"cartago/icd"
)

// handleResumeSession acknowledges RESUME_SESSION. Images are not reopened
// yet (no image support in this server version); the ACK still says
// success, because frontend 6.0.0 keeps its "Resuming session..." modal up
// forever on success=false. What was not restored is listed in the
// message and in one ERROR_DATA per image.
func (c *Client) handleResumeSession(r request) error {
	var msg icd.ResumeSession
	if err := decode(r, &msg); err != nil {
		return err
	}
	for _, img := range msg.Images {
		c.send(r.ctx, icd.EventType_ERROR_DATA, 0, &icd.ErrorData{
			Severity: icd.ErrorSeverity_WARNING,
			Tags:     []string{"cartago", "resume"},
			Message:  fmt.Sprintf("image %d (%s) not restored: opening images is %s", img.FileId, img.File, ErrUnsupported),
		})
	}
	ack := &icd.ResumeSessionAck{Success: true, Message: "session resumed"}
	if n := len(msg.Images) + len(msg.CatalogFiles); n > 0 {
		ack.Message = fmt.Sprintf("session resumed; %d images and %d catalogs not restored", len(msg.Images), len(msg.CatalogFiles))
	}
	c.send(r.ctx, icd.EventType_RESUME_SESSION_ACK, r.hdr.RequestID, ack)
	return nil
}
