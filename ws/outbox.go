package ws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
)

// errClosed is returned to producers once the connection is closing.
var errClosed = errors.New("connection closed")

// Outgoing policy per message class, applied only when a connection's
// queue is over its byte budget (Config.QueueBytes) or message count
// (Config.QueueLength). "Stale" below means the session cancelled the
// work that produced the message (it moved to another channel, cursor
// or requirement: its own latest-wins rule), or a newer message of the
// same kind replaces it as described.
//
//	class      messages                              over budget
//	---------  ------------------------------------  ---------------------------------------------
//	response   request_id != 0, *_ACK, *_RESPONSE,   never dropped; the producer waits for room
//	           ERROR_DATA, text PONG
//	tile       RASTER_TILE_DATA                      dropped if stale, or if a newer sync group of
//	                                                 the same file for another channel, stokes or
//	                                                 animation is queued (the frontend ignores
//	                                                 such tiles; tiles of the current view are
//	                                                 kept: it would not ask for them again)
//	spatial    SPATIAL_PROFILE_DATA                  dropped if stale or a newer one for the same
//	                                                 file/region is queued
//	spectral   SPECTRAL_PROFILE_DATA                 dropped if stale or a newer one for the same
//	                                                 file/region/stokes/profiles is queued (each
//	                                                 partial message carries the whole profile)
//	histogram  REGION_HISTOGRAM_DATA                 dropped if stale or a newer one for the same
//	                                                 file/region/stokes/config is queued
//	stats      REGION_STATS_DATA                     dropped if stale or a newer one for the same
//	                                                 file/region/stokes is queued
//	other      RASTER_TILE_SYNC, contours, vectors,  never dropped (the frontend pairs sync
//	           progress, everything else             messages and assembles contour chunks); waits
//
// Dropping goes oldest-first and stops as soon as the new message fits;
// if nothing droppable remains, the producer waits (bounded by its ctx
// and by the connection closing). One message is always admitted into
// an empty queue, so a message larger than the whole budget still goes
// out.

// outFrame is one queued websocket message.
type outFrame struct {
	ctx    context.Context // the producer's; once done the frame is stale
	kind   int             // websocket.BinaryMessage or websocket.TextMessage
	data   []byte
	charge *budget.Charge // global memory charged for data; nil if none
	// compress deflates data if the peer negotiated permessage-deflate
	// (compress.go says when that pays).
	compress bool

	event     icd.EventType // counted by Metrics once written; 0 for text frames
	class     string        // policy class, see the table above
	key       string        // supersession key; "" = never superseded
	gen       uint64        // newer generations of the same key supersede older
	view      string        // tiles: channel/stokes/animation; only another view supersedes
	droppable bool
	pooled    bool // data is a getFrameBuf buffer, given back by recycle
}

// recycle gives back f's buffer once nothing will read it: written,
// dropped, or refused by the queue.
func (f *outFrame) recycle() {
	if f.pooled {
		putFrameBuf(f.data)
		f.data, f.pooled = nil, false
	}
}

// outStats counts what the policy did, for the logs (metrics later).
type outStats struct {
	dropped      map[string]int // by class
	droppedBytes int64
	waits        int           // producers that had to wait for room (counted when they start)
	waited       time.Duration // total time producers waited
	peakBytes    int64         // largest queued byte count seen
}

// outbox is a connection's outgoing queue, bounded by message count
// (maxCount) and queued bytes (maxBytes); queued bytes are also charged
// to the server-wide memory budget until written.
type outbox struct {
	// Immutable after newOutbox.
	maxCount int
	maxBytes int64
	mem      *budget.Memory
	met      *Metrics      // nil counts nothing
	ready    chan struct{} // capacity 1: pokes the write loop

	mu     sync.Mutex
	frames []*outFrame   // guarded by mu; FIFO, at most maxCount (+1 when empty)
	bytes  int64         // guarded by mu; queued bytes, including the one being written
	room   chan struct{} // guarded by mu; closed and replaced whenever room frees
	seq    uint64        // guarded by mu; generation for non-tile classes
	stats  outStats      // guarded by mu
	logged time.Time     // guarded by mu; last periodic stats log
	closed bool          // guarded by mu; set by discard
}

func newOutbox(maxCount int, maxBytes int64, mem *budget.Memory, met *Metrics) *outbox {
	return &outbox{
		maxCount: maxCount, maxBytes: maxBytes, mem: mem, met: met,
		ready: make(chan struct{}, 1),
		room:  make(chan struct{}),
		stats: outStats{dropped: map[string]int{}},
	}
}

// classify fills in the policy fields of f from the message it carries.
func classify(f *outFrame, t icd.EventType, requestID uint32, m proto.Message) {
	f.class = "other"
	if requestID != 0 || isResponse(t) {
		f.class = "response"
		return
	}
	switch v := m.(type) {
	case *icd.RasterTileData:
		f.class, f.key, f.gen, f.droppable = "tile", fmt.Sprint("tile/", v.GetFileId()), uint64(v.GetSyncId()), true
		f.view = fmt.Sprint(v.GetChannel(), "/", v.GetStokes(), "/", v.GetAnimationId())
	case *icd.RasterTileSync:
		f.key, f.gen = fmt.Sprint("tile/", v.GetFileId()), uint64(v.GetSyncId())
		f.view = fmt.Sprint(v.GetChannel(), "/", v.GetStokes(), "/", v.GetAnimationId())
	case *icd.SpatialProfileData:
		f.class, f.key, f.droppable = "spatial", fmt.Sprint("spatial/", v.GetFileId(), "/", v.GetRegionId()), true
	case *icd.SpectralProfileData:
		f.class, f.key, f.droppable = "spectral", spectralKey(v), true
	case *icd.RegionHistogramData:
		c := v.GetConfig()
		f.class, f.droppable = "histogram", true
		f.key = fmt.Sprint("histogram/", v.GetFileId(), "/", v.GetRegionId(), "/", v.GetStokes(), "/", v.GetChannel() == -2, "/",
			c.GetNumBins(), c.GetFixedNumBins(), c.GetFixedBounds(), c.GetBounds().GetMin(), c.GetBounds().GetMax())
	case *icd.RegionStatsData:
		f.class, f.key, f.droppable = "stats", fmt.Sprint("stats/", v.GetFileId(), "/", v.GetRegionId(), "/", v.GetStokes()), true
	}
}

func spectralKey(v *icd.SpectralProfileData) string {
	key := fmt.Sprint("spectral/", v.GetFileId(), "/", v.GetRegionId(), "/", v.GetStokes())
	for _, p := range v.GetProfiles() {
		key += fmt.Sprint("/", p.GetCoordinate(), ":", p.GetStatsType())
	}
	return key
}

// isResponse reports the event types that answer a request even when
// sent with request id 0.
func isResponse(t icd.EventType) bool {
	switch t {
	case icd.EventType_ERROR_DATA, icd.EventType_REGISTER_VIEWER_ACK, icd.EventType_OPEN_FILE_ACK,
		icd.EventType_SET_REGION_ACK, icd.EventType_START_ANIMATION_ACK, icd.EventType_RESUME_SESSION_ACK,
		icd.EventType_IMPORT_REGION_ACK, icd.EventType_EXPORT_REGION_ACK, icd.EventType_OPEN_CATALOG_FILE_ACK,
		icd.EventType_SAVE_FILE_ACK, icd.EventType_CONCAT_STOKES_FILES_ACK:
		return true
	}
	s := t.String()
	return len(s) > 9 && s[len(s)-9:] == "_RESPONSE"
}

// push queues f, applying the policy while the queue is over budget.
// It waits for room until ctx ends or done is closed.
func (q *outbox) push(ctx context.Context, done <-chan struct{}, f *outFrame) error {
	q.stamp(ctx, f)
	var waitStart time.Time
	for {
		room, err := q.tryPush(f)
		if err == nil {
			q.noteWait(waitStart)
			q.poke()
			return nil
		}
		if room == nil {
			return err
		}
		if waitStart.IsZero() {
			waitStart = time.Now()
			q.mu.Lock()
			q.stats.waits++
			q.mu.Unlock()
		}
		select {
		case <-room:
		case <-done:
			q.noteWait(waitStart)
			return errClosed
		case <-ctx.Done():
			q.noteWait(waitStart)
			return ctx.Err()
		}
	}
}

// stamp records the producer's ctx and, for classes without a natural
// generation, the order of arrival.
func (q *outbox) stamp(ctx context.Context, f *outFrame) {
	f.ctx = ctx
	if f.key != "" && f.class != "tile" && f.gen == 0 {
		q.mu.Lock()
		q.seq++
		f.gen = q.seq
		q.mu.Unlock()
	}
}

// errFull means "wait on the returned room channel and try again".
var errFull = errors.New("outgoing queue full")

// tryPush admits f if it fits (after dropping superseded frames), or
// returns the channel to wait on.
func (q *outbox) tryPush(f *outFrame) (<-chan struct{}, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, errClosed
	}
	n := int64(len(f.data))
	if !q.fits(n) {
		q.dropSuperseded(f, n)
	}
	if !q.fits(n) {
		return q.room, errFull
	}
	charge, err := q.mem.Take(n, "outgoing message")
	if err != nil {
		if len(q.frames) > 0 {
			return q.room, errFull // our own queue will drain and free some
		}
		// An empty queue holds nothing to wait for: admit this one
		// message uncharged, so responses are never lost; the per-
		// connection bound still holds.
		charge = nil
	}
	f.charge = charge
	q.frames = append(q.frames, f)
	q.bytes += n
	q.stats.peakBytes = max(q.stats.peakBytes, q.bytes)
	return nil, nil
}

func (q *outbox) fits(n int64) bool {
	if len(q.frames) == 0 {
		return true
	}
	return len(q.frames) < q.maxCount && q.bytes+n <= q.maxBytes
}

// dropSuperseded removes droppable frames that a newer frame with the
// same key (queued, or the incoming one) supersedes, oldest first, until
// the incoming n bytes fit. Caller holds mu.
func (q *outbox) dropSuperseded(in *outFrame, n int64) {
	newest := map[string]*outFrame{} // bounded by the queue length
	for _, f := range q.frames {
		noteNewest(newest, f)
	}
	noteNewest(newest, in)
	count, bytes := len(q.frames), q.bytes
	kept := make([]*outFrame, 0, len(q.frames))
	for i, f := range q.frames {
		over := count >= q.maxCount || bytes+n > q.maxBytes
		// Frame 0 may be on the wire already; it is the writer's.
		if i > 0 && over && f.droppable && (f.ctx.Err() != nil || supersedes(newest[f.key], f)) {
			count--
			bytes -= int64(len(f.data))
			f.charge.Release()
			q.stats.dropped[f.class]++
			q.met.dropped(f.class)
			q.stats.droppedBytes += int64(len(f.data))
			f.recycle()
			continue
		}
		kept = append(kept, f)
	}
	q.frames, q.bytes = kept, bytes
}

func noteNewest(newest map[string]*outFrame, f *outFrame) {
	if f.key != "" && (newest[f.key] == nil || f.gen > newest[f.key].gen) {
		newest[f.key] = f
	}
}

// supersedes reports whether newer makes old useless to the frontend.
func supersedes(newer, old *outFrame) bool {
	return newer != nil && newer.gen > old.gen && (old.class != "tile" || newer.view != old.view)
}

func (q *outbox) poke() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *outbox) noteWait(start time.Time) {
	if start.IsZero() {
		return
	}
	q.mu.Lock()
	q.stats.waited += time.Since(start)
	q.mu.Unlock()
}

// front returns the oldest frame without removing it, or nil.
func (q *outbox) front() *outFrame {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.frames) == 0 {
		return nil
	}
	return q.frames[0]
}

// pop removes the front frame once it is written and wakes producers.
func (q *outbox) pop() {
	q.mu.Lock()
	f := q.frames[0]
	q.frames[0] = nil
	q.frames = q.frames[1:]
	q.bytes -= int64(len(f.data))
	close(q.room)
	q.room = make(chan struct{})
	q.mu.Unlock()
	f.charge.Release()
	f.recycle()
}

// discard drops everything still queued and refuses further pushes.
func (q *outbox) discard() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, f := range q.frames {
		f.charge.Release()
	}
	q.frames, q.bytes, q.closed = nil, 0, true
	close(q.room)
	q.room = make(chan struct{})
}

// snapshot copies the counters, and says whether a periodic log is due
// (something happened and the last one is at least every ago).
func (q *outbox) snapshot(every time.Duration) (outStats, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.dropped = make(map[string]int, len(q.stats.dropped))
	for k, v := range q.stats.dropped {
		s.dropped[k] = v
	}
	busy := len(s.dropped) > 0 || s.waits > 0
	due := busy && time.Since(q.logged) >= every
	if due {
		q.logged = time.Now()
	}
	return s, due
}

// frameFor encodes m behind an ICD header carrying version.
func frameFor(t icd.EventType, version uint16, requestID uint32, m proto.Message) (*outFrame, error) {
	n := icd.HeaderSize + proto.Size(m)
	buf, pooled := getFrameBuf(n)
	frame := icd.AppendHeader(buf, icd.Header{Type: t, Version: version, RequestID: requestID})
	frame, err := proto.MarshalOptions{}.MarshalAppend(frame, m)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", t, err)
	}
	f := &outFrame{kind: websocket.BinaryMessage, event: t, data: frame, compress: compressWorthIt(t, m, len(frame)), pooled: pooled}
	classify(f, t, requestID, m)
	return f, nil
}
