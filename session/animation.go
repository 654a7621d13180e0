package session

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

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
	cancel   context.CancelFunc
	done     chan struct{}

	mu     sync.Mutex
	tiles  []int32       // guarded by mu; the view's tiles, updated while playing
	shown  int           // guarded by mu; frames the frontend reported
	poke   chan struct{} // capacity 1: a flow report arrived
	player player        // owned by the goroutine
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
		ack.Success, ack.AnimationId = true, a.id
	}
	c.send(r.ctx, icd.EventType_START_ANIMATION_ACK, r.hdr.RequestID, ack)
	return nil
}

func (c *Client) handleStopAnimation(r request) error {
	var msg icd.StopAnimation
	if err := decode(r, &msg); err != nil {
		return err
	}
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
		window: max(1, p.rate/flowWindowDivisor), cancel: cancel, done: make(chan struct{}),
		poke: make(chan struct{}, 1), player: p,
	}
	if rt := msg.RequiredTiles; rt != nil {
		a.tiles = slices.Clone(rt.Tiles)
		a.player.quality, a.player.compression = rt.CompressionQuality, rt.CompressionType
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

// animationTiles gives tile requests to a running animation of file id;
// it reports false when none runs.
func (s *Session) animationTiles(id int32, tiles []int32, quality float32) bool {
	s.amu.Lock()
	a := s.anim
	s.amu.Unlock()
	if a == nil || a.fileID != id {
		return false
	}
	a.mu.Lock()
	a.tiles = append(a.tiles[:0], tiles...)
	a.mu.Unlock()
	return true
}

func (a *animation) run(ctx context.Context, f *frame) {
	defer close(a.done)
	defer f.recovered(ctx, "animation")
	next := time.Now()
	for sent := 0; ; sent++ {
		if !a.waitTurn(ctx, sent, next) {
			return
		}
		next = time.Now().Add(a.interval)
		ch, st := a.player.advance()
		if !a.showFrame(ctx, f, ch, st) {
			return
		}
		if a.player.finished() {
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
// the animation id, waiting until it is out.
func (a *animation) showFrame(ctx context.Context, f *frame, ch, st int) bool {
	f.mu.Lock()
	f.channel, f.stokes = ch, st
	f.mu.Unlock()
	a.mu.Lock()
	tiles := slices.Clone(a.tiles)
	a.mu.Unlock()
	done := f.work.addWait(job{kind: jobChannel, run: func(jctx context.Context) {
		// Stopping the animation also stops the frame being sent.
		jctx, cancel := context.WithCancel(budget.WithPriority(jctx, budget.Bulk)) // prefetch
		defer context.AfterFunc(ctx, cancel)()
		defer cancel()
		f.sendContours(jctx)
		f.sendVectorOverlay(jctx)
		f.sendImageHistograms(jctx)
		f.sendCursorProfiles(jctx, false)
		f.sendRegionData(jctx)
		f.sendTiles(jctx, tileRequest{channel: ch, stokes: st, ids: tiles, compression: a.player.compression, quality: a.player.quality, animationID: a.id})
	}})
	a.player.moveMatched(f.sess, ch)
	// Wait even when stopped, so nothing of this animation is sent after
	// stopAnimation returns. done closes when the job ran or was dropped,
	// also when the file closes.
	<-done
	return ctx.Err() == nil
}

// player steps through channels (or Stokes) between the first and last
// frame, wrapping or bouncing.
type player struct {
	first, last, delta *icd.AnimationFrame
	cur                [2]int // channel, Stokes index position
	stokesList         []int  // Stokes planes to step through
	stokesPos          int
	forward            bool
	looping, bounce    bool
	rate               int
	compression        icd.CompressionType
	quality            float32
	matched            map[int32][]float32
	done               bool
}

func newPlayer(f *frame, msg *icd.StartAnimation) (player, error) {
	if msg.FirstFrame == nil || msg.LastFrame == nil || msg.StartFrame == nil || msg.DeltaFrame == nil {
		return player{}, fmt.Errorf("START_ANIMATION for file %d lacks frames", msg.FileId)
	}
	if msg.FrameRate <= 0 || msg.FrameRate > 100 {
		return player{}, fmt.Errorf("frame rate %d outside 1..100", msg.FrameRate)
	}
	for _, fr := range []*icd.AnimationFrame{msg.FirstFrame, msg.LastFrame, msg.StartFrame} {
		if err := f.checkChannel(int(fr.Channel), int(fr.Stokes)); err != nil {
			return player{}, err
		}
	}
	p := player{
		first: msg.FirstFrame, last: msg.LastFrame, delta: proto.CloneOf(msg.DeltaFrame),
		cur: [2]int{int(msg.StartFrame.Channel), int(msg.StartFrame.Stokes)}, forward: true,
		looping: msg.Looping, bounce: msg.Reverse, rate: int(msg.FrameRate), quality: 9,
		matched: map[int32][]float32{},
	}
	if p.delta.Channel < 0 || p.delta.Stokes < 0 {
		p.delta.Channel, p.delta.Stokes, p.forward = -p.delta.Channel, -p.delta.Stokes, false
	}
	if p.delta.Channel == 0 && p.delta.Stokes == 0 {
		return player{}, fmt.Errorf("animation step is zero")
	}
	for _, s := range msg.StokesIndices {
		if f.px.check(int(s)) == nil { // derived polarizations too
			p.stokesList = append(p.stokesList, int(s))
		}
	}
	if len(p.stokesList) == 0 {
		for s := range f.layout.Stokes {
			p.stokesList = append(p.stokesList, s)
		}
	}
	p.stokesPos = max(0, slices.Index(p.stokesList, p.cur[1]))
	for id, list := range msg.MatchedFrames {
		p.matched[id] = list.FrameNumbers
	}
	return p, nil
}

// advance returns the frame to show and steps to the next.
func (p *player) advance() (channel, stokes int) {
	channel, stokes = p.cur[0], p.cur[1]
	if p.delta.Channel != 0 {
		p.cur[0] = p.step(p.cur[0], int(p.delta.Channel), int(p.first.Channel), int(p.last.Channel))
	} else {
		p.stokesPos = p.step(p.stokesPos, int(p.delta.Stokes), 0, len(p.stokesList)-1)
		p.cur[1] = p.stokesList[p.stokesPos]
	}
	return channel, stokes
}

// step moves v by d within [lo, hi]: wrapping, bouncing or ending.
func (p *player) step(v, d, lo, hi int) int {
	if !p.forward {
		d = -d
	}
	n := v + d
	if n >= lo && n <= hi {
		return n
	}
	switch {
	case p.bounce:
		p.forward = !p.forward
		return max(lo, min(hi, v-d))
	case p.looping && n > hi:
		return lo
	case p.looping:
		return hi
	}
	p.done = true
	return v
}

func (p *player) finished() bool { return p.done }

// moveMatched puts spectrally matched files on the channel matching the
// active file's channel and sends their image histograms.
func (p *player) moveMatched(s *Session, channel int) {
	for id, list := range p.matched {
		f := s.frame(id)
		if f == nil || channel >= len(list) || math.IsNaN(float64(list[channel])) {
			continue
		}
		ch := int(math.Round(float64(list[channel])))
		_, st := f.current()
		if f.checkChannel(ch, st) != nil {
			continue
		}
		f.mu.Lock()
		f.channel = ch
		f.mu.Unlock()
		f.work.add(job{kind: jobChannel, run: f.sendImageHistograms})
	}
}
