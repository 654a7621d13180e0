package session

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/cache"
	"cartago/imaging/region"
	"cartago/store"
)

// Session is the state of one frontend session. It outlives its socket:
// a reconnecting frontend re-attaches to it by id.
type Session struct {
	// Immutable after newSession.
	ID       uint32
	Created  time.Time
	owner    []byte // SHA-256 of the access token; nil without access control
	log      *slog.Logger
	ckpt     *checkpointer  // nil when nothing is persisted
	rawTiles bool           // never compress tiles (Config.RawTiles)
	mem      *budget.Memory // Config.Memory; nil is unlimited
	ret      *osReturn      // the manager's: returns freed memory to the OS
	cache    *cache.Cache   // the manager's: image data shared by every session
	met      Metrics        // Config.Metrics, never nil

	lastActive atomic.Int64 // Unix ms of the last message
	purged     atomic.Bool  // its snapshot was deleted for good; set by the checkpointer only
	seq        atomic.Int64 // orders frames by opening

	mu     sync.Mutex
	client *Client     // guarded by mu; nil while detached
	timer  *time.Timer // guarded by mu; idle release timer while detached

	fmu     sync.Mutex
	frames  map[int32]*frame       // guarded by fmu; open images by file id
	pending map[int32]*store.Image // guarded by fmu; stored images not reopened yet
	lastID  int32                  // guarded by fmu; id of the image stored last (the reference's _last_file_id)

	syncID atomic.Int32 // last RASTER_TILE_SYNC id; ids start at 1
	animID atomic.Int32 // last animation id; ids start at 1

	amu  sync.Mutex
	anim *animation // guarded by amu; the running animation, if any

	moments  momentRuns // the running moment calculation, at most one
	fits     momentRuns // the running image fit, at most one
	pv       pvState    // PV images: the running calculation and name indexes
	previews pvPreviews // live PV previews

	rmu     sync.Mutex
	regions map[int32]*regionState // guarded by rmu; by session-wide region id
	masks   *region.Cache          // region masks, reused while a region is unchanged; bounded by region.CacheLimits, charged

	cats catalogs // open catalogue tables; charged to mem
}

func newSession(id uint32, owner []byte, m *Manager) *Session {
	s := &Session{ID: id, Created: time.Now(), owner: owner, log: m.log.With("session", id), ckpt: m.ckpt,
		rawTiles: m.cfg.RawTiles, mem: m.cfg.Memory, ret: m.ret, cache: m.cache, met: m.cfg.Metrics, frames: make(map[int32]*frame),
		regions: make(map[int32]*regionState), masks: region.NewCacheLimits(region.CacheLimits{Memory: m.cfg.Memory})}
	s.touch()
	return s
}

// restoreSession rebuilds a session from its snapshot. Its images are
// reopened when the frontend resumes or first asks for one of them.
func restoreSession(snap *store.Snapshot, m *Manager) *Session {
	s := newSession(snap.SessionId, snap.Owner, m)
	s.Created = time.UnixMilli(snap.CreatedUnixMs)
	s.pending = make(map[int32]*store.Image, len(snap.Images))
	for _, img := range snap.Images {
		s.pending[img.FileId] = img
	}
	s.cats.setPending(snap.Catalogs)
	return s
}

// touch records activity now.
func (s *Session) touch() { s.lastActive.Store(time.Now().UnixMilli()) }

// markDirty asks for a checkpoint of s.
func (s *Session) markDirty() {
	if s.ckpt != nil {
		s.ckpt.mark(s)
	}
}

// takePending removes and returns the stored images not reopened yet.
func (s *Session) takePending() map[int32]*store.Image {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	p := s.pending
	s.pending = nil
	return p
}

// takePendingImage removes and returns one stored image, if any.
func (s *Session) takePendingImage(id int32) *store.Image {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	img := s.pending[id]
	delete(s.pending, id)
	return img
}

// send streams m to the attached client with request id 0; while the
// session is detached the message is dropped (the frontend re-requests
// what it needs after reconnecting).
func (s *Session) send(ctx context.Context, t icd.EventType, m proto.Message) {
	if ctx.Err() != nil {
		return // superseded work: nothing of it goes out any more
	}
	if c := s.attached(); c != nil {
		c.stream(ctx, s.log, t, m)
	}
}

// frame returns the open image with file id, or nil.
func (s *Session) frame(id int32) *frame {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.frames[id]
}

// putFrame registers f, closing an image already under its id (the
// frontend reuses an id to replace an image) with its regions.
func (s *Session) putFrame(f *frame) {
	s.closeFramesWhere(func(id int32) bool { return id == f.id })
	s.fmu.Lock()
	s.frames[f.id] = f
	s.lastID = f.id
	s.fmu.Unlock()
	// A generated image opens after its request's handler returned, so
	// nothing else would checkpoint it.
	s.markDirty()
}

// release closes every image and drops the region masks: all the memory
// of a session that is being forgotten.
func (s *Session) release() {
	s.closeFrame(-1)
	s.cats.release()
	s.masks.Clear()
}

// dropPlanes makes every frame release its plane once its queued work
// ran: a detached session holds only its files, so the cache can evict
// what no connected session uses first. Reconnecting loads them again,
// from the cache while they are still there.
func (s *Session) dropPlanes() {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	for _, f := range s.frames {
		f.work.add(job{kind: jobData, run: func(context.Context) { f.dropPlane() }})
	}
}

// closeFramesExcept closes every image whose id is not in keep.
func (s *Session) closeFramesExcept(keep map[int32]bool) {
	s.closeFramesWhere(func(id int32) bool { return !keep[id] })
}

// closeFrame closes file id; -1 closes every image. It reports whether
// anything was closed.
func (s *Session) closeFrame(id int32) bool {
	return s.closeFramesWhere(func(fid int32) bool { return id == -1 || fid == id }) > 0
}

// closeFramesWhere closes the images whose id matches: an animation
// playing one of them stops, their work ends and their regions go. It
// returns how many were closed.
func (s *Session) closeFramesWhere(match func(id int32) bool) int {
	s.amu.Lock()
	playing := s.anim != nil && match(s.anim.fileID)
	s.amu.Unlock()
	if playing {
		s.stopAnimation()
	}
	s.fmu.Lock()
	var closing []*frame
	for id, f := range s.frames {
		if match(id) {
			closing = append(closing, f)
			delete(s.frames, id)
		}
	}
	s.fmu.Unlock()
	for _, f := range closing {
		f.close() // the cache has what it frees returned to the OS
		s.dropRegionsOn(f.id)
	}
	return len(closing)
}

func (s *Session) attached() *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// swapClient attaches c and returns the client it replaced.
func (s *Session) swapClient(c *Client) *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.client
	s.client = c
	return old
}

// releaseClient detaches c if it is still the attached client.
func (s *Session) releaseClient(c *Client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != c {
		return false
	}
	s.client = nil
	return true
}

func (s *Session) startTimer(d time.Duration, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = time.AfterFunc(d, f)
}

func (s *Session) stopTimer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}
