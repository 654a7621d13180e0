package session

import (
	"context"

	"cartago/icd"
)

func (c *Client) handleSetStatsRequirements(r request) error {
	var msg icd.SetStatsRequirements
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return err
	}
	same := false
	if msg.RegionId == regionImage {
		f.mu.Lock()
		same = equalMessages(f.imgStats, msg.StatsConfigs)
		f.imgStats = msg.StatsConfigs
		f.mu.Unlock()
		if !same {
			f.work.add(job{kind: jobData, run: f.sendImageStats})
		}
		return nil
	}
	reg, err := c.session.updateRegion(f.id, msg.RegionId, func(r *regionState) {
		same = equalMessages(r.stats, msg.StatsConfigs)
		r.stats = msg.StatsConfigs
	})
	if clearsGoneRegion(err, len(msg.StatsConfigs)) {
		return nil
	}
	if err != nil {
		return err
	}
	if !same {
		f.work.add(job{kind: jobData, run: func(ctx context.Context) { f.sendRegionStats(ctx, reg) }})
	}
	return nil
}
