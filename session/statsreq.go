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
	// Every requirements message is answered with the current data, also
	// when it repeats the last one: the frontend re-sends requirements
	// after a resume and when a widget is shown again, and waits for data.
	if msg.RegionId == regionImage {
		f.mu.Lock()
		f.imgStats = msg.StatsConfigs
		f.mu.Unlock()
		f.work.add(job{kind: jobRefresh, key: "stats image", run: f.sendImageStats})
		return nil
	}
	reg, err := c.session.setRequirements(icd.EventType_SET_STATS_REQUIREMENTS, f.id, msg.RegionId, len(msg.StatsConfigs), func(r *regionState) {
		r.stats = msg.StatsConfigs
	})
	if reg == nil || err != nil {
		return err
	}
	f.work.add(job{kind: jobRefresh, key: "stats " + regionKey(reg.id), run: func(ctx context.Context) { f.sendRegionStats(ctx, reg) }})
	return nil
}
