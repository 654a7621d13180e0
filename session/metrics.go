package session

import "time"

// Resume outcomes reported to Metrics.Resume, one per REGISTER_VIEWER
// that names a session id.
const (
	ResumeLive    = "live"    // the session was in memory
	ResumeStored  = "stored"  // rebuilt from its snapshot
	ResumeUnknown = "unknown" // nobody knows the id: started empty
	ResumeRefused = "refused" // another owner's session, or the attach failed
)

// Metrics receives the events operators count (ws/metrics.go exports
// them to Prometheus). It is an interface so that this package does
// not import the client library; nil Config.Metrics counts nothing.
// Implementations must be safe for concurrent use and cheap: they run
// on the handlers' and the checkpointer's paths.
type Metrics interface {
	Resume(outcome string)
	// TileGroup is the time from ADD_REQUIRED_TILES to the end of its
	// RASTER_TILE_SYNC group being queued for sending.
	TileGroup(d time.Duration)
	// Histogram is the time from the start of an image histogram's
	// work to its REGION_HISTOGRAM_DATA being queued.
	Histogram(d time.Duration)
	// Checkpoint is one group commit: its duration and its error.
	Checkpoint(d time.Duration, err error)
	// CheckpointRefused counts snapshots a commit left out because the
	// store cannot hold them (too large for etcd even compressed).
	CheckpointRefused(n int)
}

// noMetrics is used when Config.Metrics is nil.
type noMetrics struct{}

func (noMetrics) Resume(string)                   {}
func (noMetrics) TileGroup(time.Duration)         {}
func (noMetrics) Histogram(time.Duration)         {}
func (noMetrics) Checkpoint(time.Duration, error) {}
func (noMetrics) CheckpointRefused(int)           {}

func metricsOrNone(m Metrics) Metrics {
	if m == nil {
		return noMetrics{}
	}
	return m
}
