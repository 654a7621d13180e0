package session

import (
	"errors"
	"fmt"

	"cartago/icd"
)

func (c *Client) handleRegisterViewer(r request) error {
	var msg icd.RegisterViewer
	if err := decode(r, &msg); err != nil {
		return err
	}
	ack := &icd.RegisterViewerAck{SessionId: msg.SessionId}
	if v := r.hdr.Version; !icd.Accepts(v) {
		ack.Message = fmt.Sprintf("client speaks ICD version %d; this server speaks ICD %d (accepts %d to %d)",
			v, icd.Version, icd.MinVersion, icd.Version)
		c.send(r.ctx, icd.EventType_REGISTER_VIEWER_ACK, r.hdr.RequestID, ack)
		return nil
	}
	if c.session != nil && c.session.ID != msg.SessionId {
		c.Close() // re-registration under another id leaves the old session
	}
	s, kind, err := c.mgr.attach(c, msg.SessionId)
	if errors.Is(err, ErrNotOwner) {
		// Say no more than that: the caller learns nothing about the
		// session behind the id.
		ack.Message = fmt.Sprintf("session %d cannot be resumed with this access token; reload the page for a new session", msg.SessionId)
		c.log.Warn("resume refused: other owner", "session", msg.SessionId)
		c.mgr.cfg.Metrics.Resume(ResumeRefused)
		c.send(r.ctx, icd.EventType_REGISTER_VIEWER_ACK, r.hdr.RequestID, ack)
		return nil
	}
	if err != nil {
		// An ack, not ERROR_DATA: the frontend waits for it (errors.go).
		c.log.Warn("register failed", "session", msg.SessionId, "err", err)
		if msg.SessionId != 0 {
			c.mgr.cfg.Metrics.Resume(ResumeRefused)
		}
		ack.Message = err.Error()
		c.send(r.ctx, icd.EventType_REGISTER_VIEWER_ACK, r.hdr.RequestID, ack)
		return nil
	}
	c.session = s
	c.log = c.mgr.log.With("session", s.ID)
	ack.SessionId = s.ID
	ack.Success = true
	ack.ServerFeatureFlags = c.mgr.cfg.FeatureFlags
	ack.PlatformStrings = c.mgr.cfg.Platform
	// The frontend resumes only on RESUMED; NEW after a reconnect would
	// leave it showing images the server does not know.
	ack.SessionType = icd.SessionType_RESUMED
	switch kind {
	case attachNew:
		ack.SessionType = icd.SessionType_NEW
		ack.Message = fmt.Sprintf("new session %d", s.ID)
	case attachLive:
		c.mgr.cfg.Metrics.Resume(ResumeLive)
		ack.Message = fmt.Sprintf("reconnected to session %d", s.ID)
	case attachStored:
		c.mgr.cfg.Metrics.Resume(ResumeStored)
		ack.Message = fmt.Sprintf("session %d restored from the database", s.ID)
	case attachUnknown:
		c.mgr.cfg.Metrics.Resume(ResumeUnknown)
		ack.Message = fmt.Sprintf("session %d is unknown; started it anew", s.ID)
	}
	c.log.Info("viewer registered", "type", ack.SessionType.String(), "icd", r.hdr.Version)
	c.send(r.ctx, icd.EventType_REGISTER_VIEWER_ACK, r.hdr.RequestID, ack)
	return nil
}
