package session

import (
	"context"

	"cartago/icd"
)

// handleSetImageChannels moves a file to another channel/Stokes. The new
// position takes effect at once (later tile requests are for it); the
// data for it is sent in the reference order: image histograms, cursor
// profiles, then the tiles the message carries.
func (c *Client) handleSetImageChannels(r request) error {
	var msg icd.SetImageChannels
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return err
	}
	ch, st := int(msg.Channel), int(msg.Stokes)
	if err := f.checkChannel(ch, st); err != nil {
		return err
	}
	f.mu.Lock()
	stokesChanged := f.stokes != st
	f.channel, f.stokes = ch, st
	f.mu.Unlock()

	// A hidden, matched frame gets an empty tile request: just move.
	var tiles []int32
	var quality float32
	var ct icd.CompressionType
	if rt := msg.RequiredTiles; rt != nil && rt.FileId == msg.FileId {
		tiles, quality, ct = rt.Tiles, rt.CompressionQuality, rt.CompressionType
	}
	f.work.add(job{kind: jobChannel, run: func(ctx context.Context) {
		f.sendContours(ctx) // the reference's order: contours first
		f.sendImageHistograms(ctx)
		f.sendImageStats(ctx)
		f.sendCursorProfiles(ctx, stokesChanged)
		f.refreshRegions(stokesChanged)
		f.sendTiles(ctx, tileRequest{channel: ch, stokes: st, ids: tiles, compression: ct, quality: quality})
	}})
	return nil
}
