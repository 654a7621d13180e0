package session

import (
	"context"
	"fmt"

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
		return errInvalidChannel(ch, st, err)
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
	if msg.ChannelMapEnabled {
		return f.channelMapBlock(msg.ChannelRange, st, tileRequest{ids: tiles, compression: ct, quality: quality})
	}
	f.work.add(job{kind: jobChannel, run: func(ctx context.Context) {
		f.sendContours(ctx) // the reference's order: contours, vectors first
		f.sendVectorOverlay(ctx)
		f.sendImageHistograms(ctx)
		f.sendImageStats(ctx)
		f.sendSpatialProfiles(ctx)
		if stokesChanged {
			f.sendStokesSpectra(ctx)
		}
		f.refreshRegions(stokesChanged)
		f.sendTiles(ctx, tileRequest{channel: ch, stokes: st, ids: tiles, compression: ct, quality: quality})
	}})
	return nil
}

// maxChannelMapBlock bounds the channels one channel-map message may ask
// for (the frontend shows a few dozen at most).
const maxChannelMapBlock = 256

// channelMapBlock serves the channel-map view (ICD 30): one message per
// block of channels sharing a tile list, answered with one tile group
// (and image histogram) per channel. Blocks queue like tile requests: the
// frontend sends several at once, and leaving the view (a plain channel
// change) drops those not started.
func (f *frame) channelMapBlock(r *icd.IntBounds, st int, req tileRequest) error {
	if r == nil || len(req.ids) == 0 {
		return nil // only the active channel moved
	}
	lo, hi := int(r.Min), int(r.Max)
	if lo < 0 || hi >= f.layout.Depth || lo > hi || hi-lo >= maxChannelMapBlock {
		return fmt.Errorf("file %d: channel range %d..%d outside 0..%d or over %d channels", f.id, lo, hi, f.layout.Depth-1, maxChannelMapBlock)
	}
	f.work.add(job{kind: jobTiles, run: func(ctx context.Context) {
		for ch := lo; ch <= hi && ctx.Err() == nil; ch++ {
			if err := f.loadPlane(ctx, ch, st); err != nil {
				f.reportError(ctx, "channels", err)
				return
			}
			if err := f.sendImageHistogram(ctx, defaultHistogramConfig(), ch, st); err != nil {
				f.reportError(ctx, "channels", err)
			}
			req.channel, req.stokes = ch, st
			f.sendTiles(ctx, req)
		}
	}})
	return nil
}
