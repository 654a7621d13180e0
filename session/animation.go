package session

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"cartago/icd"
	"cartago/imaging/budget"
)

// Flow control: the player runs at most window frames ahead of the last
// frame the frontend reported as shown (window = frame rate / 3, at least
// 1, as the reference starts). If the frontend stops reporting, playing
// goes on at one frame per stallWait so a lost report cannot freeze it.
const (
	flowWindowDivisor = 3
	stallWait         = time.Second
)

// animation plays a cube for one file on its own goroutine, one frame at
// a time through the file's worker.
type animation struct {
	// Immutable after startAnimation.
	id       int32
	fileID   int32
	interval time.Duration
	window   int
	matched  map[int32][]float32 // spectrally matched files: channel per frame offset
	cancel   context.CancelFunc
	done     chan struct{}
	acked    chan struct{} // closed once START_ANIMATION_ACK is queued

	mu     sync.Mutex
	views  map[int32]tileView // guarded by mu; per file (active, matched), at most one each
	shown  int                // guarded by mu; frames the frontend reported
	poke   chan struct{}      // capacity 1: a flow report arrived
	player player             // owned by the goroutine
}

// tileView is what a file's view needs with each frame, as the latest
// ADD_REQUIRED_TILES said (the reference's animation view settings).
type tileView struct {
	ids         []int32
	compression icd.CompressionType
	quality     float32
}

func (c *Client) handleStartAnimation(r request) error {
	var msg icd.StartAnimation
	if err := decode(r, &msg); err != nil {
		return err
	}
	ack := &icd.StartAnimationAck{}
	a, err := c.session.startAnimation(c, &msg)
	if isNotOpen(err) {
		ack.Message = "Incorrect file ID" // the reference's text (Session::BuildAnimationObject)
	} else if err != nil {
		ack.Message = err.Error()
	} else {
		ack.Success, ack.AnimationId, ack.Message = true, a.id, "Starting animation" // the reference's text
	}
	c.send(r.ctx, icd.EventType_START_ANIMATION_ACK, r.hdr.RequestID, ack)
	if a != nil {
		close(a.acked) // frames follow the ack, as in the reference (Session.cc:2049)
	}
	return nil
}

func (c *Client) handleStopAnimation(r request) error {
	var msg icd.StopAnimation
	if err := decode(r, &msg); err != nil {
		return err
	}
	// Whatever file id msg names: the reference ignores a stop for another
	// file (Session.cc:2285), which would leave the animation playing
	// unseen if the frontend's active image changed meanwhile.
	c.session.stopAnimation()
	// The frontend follows with SET_IMAGE_CHANNELS for the end frame;
	// until then the file stays where the animation stopped.
	return nil
}

func (c *Client) handleAnimationFlowControl(r request) error {
	var msg icd.AnimationFlowControl
	if err := decode(r, &msg); err != nil {
		return err
	}
	c.session.amu.Lock()
	a := c.session.anim
	c.session.amu.Unlock()
	if a == nil || a.fileID != msg.FileId {
		return nil // late report for a stopped animation
	}
	a.mu.Lock()
	a.shown++
	a.mu.Unlock()
	select {
	case a.poke <- struct{}{}:
	default:
	}
	return nil
}

// startAnimation validates msg, stops a running animation and starts the
// new one.
func (s *Session) startAnimation(c *Client, msg *icd.StartAnimation) (*animation, error) {
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return nil, err
	}
	p, err := newPlayer(f, msg)
	if err != nil {
		return nil, err
	}
	s.stopAnimation()
	ctx, cancel := context.WithCancel(context.Background())
	a := &animation{
		id: s.animID.Add(1), fileID: f.id, interval: time.Second / time.Duration(p.rate),
		window: max(1, p.rate/flowWindowDivisor), matched: map[int32][]float32{}, cancel: cancel,
		done: make(chan struct{}), acked: make(chan struct{}), views: map[int32]tileView{}, poke: make(chan struct{}, 1), player: p,
	}
	for id, list := range msg.MatchedFrames {
		if id != f.id {
			a.matched[id] = list.FrameNumbers
		}
	}
	if rt := msg.RequiredTiles; rt != nil {
		a.views[f.id] = tileView{ids: f.tileIDs(rt.Tiles), compression: rt.CompressionType, quality: rt.CompressionQuality}
	}
	s.amu.Lock()
	s.anim = a
	s.amu.Unlock()
	go a.run(ctx, f)
	return a, nil
}

// stopAnimation stops the running animation, if any, and waits for it.
func (s *Session) stopAnimation() {
	s.amu.Lock()
	a := s.anim
	s.anim = nil
	s.amu.Unlock()
	if a != nil {
		a.cancel()
		<-a.done
	}
}

// animationTiles keeps the tiles a running animation should send with
// each frame of file id (the animated file or a matched one), as the
// reference does while an animation runs (OnMessageTask.tcc:18,
// Session::OnAddRequiredTiles skip_data); it reports false when the
// tiles are not the animation's to send.
func (s *Session) animationTiles(id int32, set *tileSet) bool {
	s.amu.Lock()
	a := s.anim
	s.amu.Unlock()
	if a == nil {
		return false
	}
	if _, ok := a.matched[id]; !ok && a.fileID != id {
		return false
	}
	a.mu.Lock()
	a.views[id] = tileView{ids: slices.Clone(set.ids), compression: set.compression, quality: set.quality}
	a.mu.Unlock()
	return true
}

func (a *animation) run(ctx context.Context, f *frame) {
	defer close(a.done)
	defer f.recovered(ctx, "animation")
	select {
	case <-ctx.Done():
		return
	case <-a.acked:
	}
	next := time.Now()
	for sent := 0; ; {
		if !a.waitTurn(ctx, sent, next) {
			return
		}
		next = time.Now().Add(a.interval)
		ch, st := a.player.tick()
		changed, ok := a.showFrame(ctx, f, ch, st)
		if !ok {
			return
		}
		if changed {
			sent++ // only frames with data are reported back
		}
		if a.player.done {
			return
		}
	}
}

// waitTurn sleeps until the frame time and until the frontend is within
// the flow window; false means stop.
func (a *animation) waitTurn(ctx context.Context, sent int, at time.Time) bool {
	timer := time.NewTimer(time.Until(at))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
	}
	for {
		a.mu.Lock()
		ahead := sent - a.shown
		a.mu.Unlock()
		if ahead < a.window {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-a.poke:
		case <-time.After(stallWait):
			return true
		}
	}
}

// showFrame moves the file to (ch, st) and sends the frame's data with
// the animation id, waiting until it is out; changed is false for a frame
// the file already shows, which sends nothing, as in the reference
// (Frame::SetImageChannels is false for an unchanged channel and Stokes,
// Frame.cc:342, so Session::ExecuteAnimationFrameInner sends nothing,
// Session.cc:2151). ok false means stopped.
func (a *animation) showFrame(ctx context.Context, f *frame, ch, st int) (changed, ok bool) {
	f.mu.Lock()
	oldCh, oldSt := f.channel, f.stokes
	f.channel, f.stokes = ch, st
	f.mu.Unlock()
	if ch == oldCh && st == oldSt {
		return false, ctx.Err() == nil
	}
	done := []<-chan struct{}{a.sendFrame(ctx, f, ch, st)}
	if ch != oldCh {
		done = append(done, a.moveMatched(ctx, f.sess, ch)...)
	}
	// Wait even when stopped, so nothing of this animation is sent after
	// stopAnimation returns. Each closes when its job ran or was dropped,
	// also when its file closes.
	for _, d := range done {
		<-d
	}
	return true, ctx.Err() == nil
}

// sendFrame queues the data of one frame of f on f's worker: contours,
// vectors, histograms, profiles, region data and the view's tiles.
func (a *animation) sendFrame(ctx context.Context, f *frame, ch, st int) <-chan struct{} {
	a.mu.Lock()
	view := a.views[f.id]
	a.mu.Unlock()
	return f.work.addWait(job{kind: jobChannel, run: func(jctx context.Context) {
		// Stopping the animation also stops the frame being sent.
		jctx, cancel := context.WithCancel(budget.WithPriority(jctx, budget.Bulk)) // prefetch
		defer context.AfterFunc(ctx, cancel)()
		defer cancel()
		f.sendContours(jctx)
		f.sendVectorOverlay(jctx)
		f.sendImageHistograms(jctx)
		f.sendCursorProfiles(jctx, false)
		f.sendRegionData(jctx)
		f.sendTiles(jctx, tileRequest{channel: ch, stokes: st, ids: view.ids, compression: view.compression, quality: view.quality, animationID: a.id})
	}})
}

// moveMatched puts each spectrally matched file on its channel for the
// active file's channel ch and sends its frame, as the reference does
// (Session.cc:2081-2149): the list is indexed by the offset from the
// first frame; a missing or non-finite entry leaves the file alone; a
// value is clamped to the file's channels and rounded; an unchanged
// channel sends nothing.
func (a *animation) moveMatched(ctx context.Context, s *Session, ch int) []<-chan struct{} {
	offset := ch - a.player.first[0]
	if offset < 0 {
		return nil
	}
	var done []<-chan struct{}
	for id, list := range a.matched {
		g := s.frame(id)
		if g == nil || offset >= len(list) || !isFinite(list[offset]) {
			continue
		}
		z := int(math.Round(math.Max(0, math.Min(float64(list[offset]), float64(g.layout.Depth-1)))))
		g.mu.Lock()
		old, st := g.channel, g.stokes
		g.channel = z
		g.mu.Unlock()
		if z != old {
			done = append(done, a.sendFrame(ctx, g, z, st))
		}
	}
	return done
}

func isFinite(v float32) bool {
	return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
}

// player steps through the frames between the first and last as the
// reference does (Session::ExecuteAnimationFrame, Session.cc:2232-2274).
// A frame is a channel and a position in the Stokes list.
type player struct {
	first, last, delta [2]int // channel, Stokes position
	next               [2]int // the frame the next tick shows
	stokesList         []int  // Stokes (or polarization) number at each position
	forward            bool
	looping, bounce    bool
	rate               int
	done               bool // the last frame was shown
}

// defaultStokesList is the reference's list when the client sends none
// (AnimationObject.h: I, Q, U, V).
var defaultStokesList = []int{0, 1, 2, 3}

func newPlayer(f *frame, msg *icd.StartAnimation) (player, error) {
	if msg.FirstFrame == nil || msg.LastFrame == nil || msg.StartFrame == nil || msg.DeltaFrame == nil {
		return player{}, fmt.Errorf("START_ANIMATION for file %d lacks frames", msg.FileId)
	}
	if msg.FrameRate <= 0 || msg.FrameRate > 100 {
		return player{}, fmt.Errorf("frame rate %d outside 1..100", msg.FrameRate)
	}
	pos := func(fr *icd.AnimationFrame) [2]int { return [2]int{int(fr.Channel), int(fr.Stokes)} }
	p := player{
		first: pos(msg.FirstFrame), last: pos(msg.LastFrame), delta: pos(msg.DeltaFrame), next: pos(msg.StartFrame),
		stokesList: defaultStokesList, forward: true, looping: msg.Looping, bounce: msg.Reverse, rate: int(msg.FrameRate),
	}
	if len(msg.StokesIndices) > 0 {
		p.stokesList = make([]int, len(msg.StokesIndices))
		for i, s := range msg.StokesIndices {
			p.stokesList[i] = int(s)
		}
	}
	if p.delta[0] < 0 || p.delta[1] < 0 { // AnimationObject.h: negative deltas play backwards
		p.delta, p.forward = [2]int{-p.delta[0], -p.delta[1]}, false
	}
	// The reference would replay one frame for ever; we refuse.
	if p.delta == [2]int{} {
		return player{}, fmt.Errorf("animation step is zero")
	}
	return p, p.check(f)
}

// check refuses frames the image does not have. The reference accepts
// them and reports an error for each frame it cannot show.
func (p *player) check(f *frame) error {
	for _, fr := range [][2]int{p.first, p.last, p.next} {
		if fr[1] < 0 || fr[1] >= len(p.stokesList) {
			return fmt.Errorf("file %d: Stokes position %d outside the %d of the animation", f.id, fr[1], len(p.stokesList))
		}
		if err := f.checkChannel(fr[0], p.stokesList[fr[1]]); err != nil {
			return err
		}
	}
	for i := p.first[1]; i <= p.last[1]; i++ {
		if err := f.checkChannel(p.first[0], p.stokesList[i]); err != nil {
			return err
		}
	}
	return nil
}

// tick returns the frame to show now (channel, Stokes number) and moves
// to the next: one delta on, or at either end of the range a turn
// (bouncing: the next tick shows the same frame again, which sends
// nothing), a jump to the other end (looping), or the end.
func (p *player) tick() (channel, stokes int) {
	cur := p.next
	d := p.delta
	if !p.forward {
		d = [2]int{-d[0], -d[1]}
	}
	n := [2]int{cur[0] + d[0], cur[1] + d[1]}
	out := n[0] > p.last[0] || n[1] > p.last[1]
	if !p.forward {
		out = n[0] < p.first[0] || n[1] < p.first[1]
	}
	switch {
	case !out:
		p.next = n
	case p.bounce:
		p.forward = !p.forward
	case p.looping && p.forward:
		p.next = p.first
	case p.looping:
		p.next = p.last
	default:
		p.done = true
	}
	return cur[0], p.stokesList[cur[1]]
}
