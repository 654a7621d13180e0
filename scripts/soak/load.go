package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/bench"
	"cartago/ws/wstest"
)

// sessionFiles are the images the sessions open in turn: cubes, a
// scaled 16-bit image, a gzipped one and one in a subfolder. The 4096²
// image is left to the client that never reads.
var sessionFiles = []struct{ dir, name string }{
	{".", "cube-512x512x200.fits"},
	{".", "cube-stokes.fits"},
	{".", "int16-scaled.fits"},
	{".", "image-small.fits.gz"},
	{"more", "image-more.fits"},
}

// Request kinds of the sessions, in report order.
var loadKinds = []string{"connect", "register", "open", "tiles", "channel", "cursor", "probe-ping"}

// viewer is one simulated user: a session that opens the images in
// turn and on each changes channels, moves the cursor and requests
// tiles, awaiting every answer. It reconnects (a new session) after a
// failure.
type viewer struct {
	id  int
	cfg config
	url string
	st  *stats
	rng *rand.Rand
	ch  int32 // channel of the open image
}

func (v *viewer) run(ctx context.Context) {
	for ctx.Err() == nil {
		err := v.connected(ctx)
		if err != nil && ctx.Err() == nil {
			sleep(ctx, time.Second) // then again, as a new session
		}
	}
}

// connected runs one connection until ctx ends or a request fails.
func (v *viewer) connected(ctx context.Context) error {
	start := time.Now()
	c, _, err := wstest.Dial(ctx, v.url, wstest.Options{})
	if ended(ctx) {
		return context.Canceled
	}
	v.st.done("connect", time.Since(start), err)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := v.timed(ctx, "register", func(ctx context.Context) error {
		ack, err := c.Register(ctx, 0)
		if err == nil && !ack.Success {
			err = errors.New(ack.Message)
		}
		return err
	}); err != nil {
		return err
	}
	for i := v.id; ctx.Err() == nil; i++ {
		f := sessionFiles[i%len(sessionFiles)]
		if err := v.browse(ctx, c, f.dir, f.name); err != nil {
			return err
		}
	}
	return nil
}

// timed runs one request with the request deadline and records it,
// unless the run ended under it.
func (v *viewer) timed(ctx context.Context, kind string, req func(context.Context) error) error {
	rctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	start := time.Now()
	err := req(rctx)
	if ended(ctx) {
		return context.Canceled
	}
	v.st.done(kind, time.Since(start), err)
	return err
}

// browse opens one image as file 0 and works on it for a while.
func (v *viewer) browse(ctx context.Context, c *wstest.Client, dir, name string) error {
	c.Send(icd.EventType_CLOSE_FILE, c.NextID(), &icd.CloseFile{FileId: 0})
	var ack icd.OpenFileAck
	if err := v.timed(ctx, "open", func(ctx context.Context) error {
		return request(ctx, c, icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: dir, File: name}, icd.EventType_OPEN_FILE_ACK, &ack,
			func() error { return failed(ack.Success, ack.Message) })
	}); err != nil {
		return err
	}
	info := ack.FileInfoExtended
	v.ch = 0
	w, h, depth := int(info.Width), int(info.Height), int(max(info.Depth, 1))
	view := bench.Encode(bench.FitView(w, h, 800, 600).Tiles(w, h))
	if err := v.timed(ctx, "tiles", func(ctx context.Context) error { return tiles(ctx, c, 0, view) }); err != nil {
		return err
	}
	c.Send(icd.EventType_SET_SPATIAL_REQUIREMENTS, c.NextID(), &icd.SetSpatialRequirements{FileId: 0, RegionId: 0,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}, {Coordinate: "y"}}})
	for range 10 {
		if err := v.step(ctx, c, w, h, depth, view); err != nil {
			return err
		}
	}
	return nil
}

// step moves the cursor, changes channel (on a cube) and requests the
// tiles of a full-resolution view somewhere on the image.
func (v *viewer) step(ctx context.Context, c *wstest.Client, w, h, depth int, fit []int32) error {
	x, y := v.rng.IntN(w), v.rng.IntN(h)
	if err := v.timed(ctx, "cursor", func(ctx context.Context) error { return cursor(ctx, c, x, y) }); err != nil {
		return err
	}
	sleep(ctx, v.cfg.think)
	if depth > 1 {
		ch := int32(v.rng.IntN(depth))
		if err := v.timed(ctx, "channel", func(ctx context.Context) error { return channel(ctx, c, ch, fit) }); err != nil {
			return err
		}
		v.ch = ch
		sleep(ctx, v.cfg.think)
	}
	view := bench.FullResView(w, h, 800, 600)
	view.CenterX, view.CenterY = float64(v.rng.IntN(w)), float64(v.rng.IntN(h))
	ids := bench.Encode(view.Tiles(w, h))
	if err := v.timed(ctx, "tiles", func(ctx context.Context) error { return tiles(ctx, c, v.ch, ids) }); err != nil {
		return err
	}
	sleep(ctx, v.cfg.think)
	return nil
}

// request sends m and awaits the answer of type want into ans, then
// checks it with ok (unless nil). ERROR_DATA with the request's id
// fails it.
func request(ctx context.Context, c *wstest.Client, et icd.EventType, m proto.Message, want icd.EventType, ans proto.Message, ok func() error) error {
	req := c.NextID()
	if err := c.Send(et, req, m); err != nil {
		return err
	}
	var refused error
	got, err := c.Skip(ctx, want, nil, func(o wstest.Message) {
		if o.Is(icd.EventType_ERROR_DATA) && o.Header.RequestID == req && refused == nil {
			refused = fmt.Errorf("%s: %s", et, o)
		}
	})
	if err != nil {
		return err
	}
	if refused != nil {
		return refused
	}
	if err := got.Decode(ans); err != nil {
		return err
	}
	if ok != nil {
		return ok()
	}
	return nil
}

func failed(success bool, msg string) error {
	if success {
		return nil
	}
	return errors.New("refused: " + msg)
}

// tiles requests ids of file 0 and awaits the end of their group.
func tiles(ctx context.Context, c *wstest.Client, channel int32, ids []int32) error {
	if err := c.Send(icd.EventType_ADD_REQUIRED_TILES, c.NextID(), tileRequest(ids)); err != nil {
		return err
	}
	return endSync(ctx, c, channel)
}

func tileRequest(ids []int32) *icd.AddRequiredTiles {
	return &icd.AddRequiredTiles{FileId: 0, Tiles: ids, CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11}
}

// endSync awaits the end of a tile group of channel.
func endSync(ctx context.Context, c *wstest.Client, channel int32) error {
	_, err := c.Skip(ctx, icd.EventType_RASTER_TILE_SYNC, func(m wstest.Message) bool {
		var s icd.RasterTileSync
		return m.Decode(&s) == nil && s.EndSync && s.Channel == channel
	}, nil)
	return err
}

// channel changes to ch with the fit view's tiles and awaits their end.
func channel(ctx context.Context, c *wstest.Client, ch int32, ids []int32) error {
	m := &icd.SetImageChannels{FileId: 0, Channel: ch, RequiredTiles: tileRequest(ids)}
	if err := c.Send(icd.EventType_SET_IMAGE_CHANNELS, c.NextID(), m); err != nil {
		return err
	}
	return endSync(ctx, c, ch)
}

// cursor moves the cursor to (x, y) and awaits its spatial profile.
func cursor(ctx context.Context, c *wstest.Client, x, y int) error {
	m := &icd.SetCursor{FileId: 0, Point: &icd.Point{X: float32(x), Y: float32(y)}}
	if err := c.Send(icd.EventType_SET_CURSOR, c.NextID(), m); err != nil {
		return err
	}
	_, err := c.Skip(ctx, icd.EventType_SPATIAL_PROFILE_DATA, func(m wstest.Message) bool {
		var p icd.SpatialProfileData
		return m.Decode(&p) == nil && int(p.X) == x && int(p.Y) == y
	}, nil)
	return err
}

// probe dials a fresh client every second and times PING to PONG; it
// reports each failure to miss.
func probe(ctx context.Context, url string, st *stats) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		start := time.Now()
		err := ping(pctx, url)
		cancel()
		if !ended(ctx) {
			st.done("probe-ping", time.Since(start), err)
		}
	}
}

// ping dials, sends PING and awaits the PONG.
func ping(ctx context.Context, url string) error {
	c, _, err := wstest.Dial(ctx, url, wstest.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	return c.ToPong(ctx, nil)
}

// ended reports whether ctx is done or past its deadline (a socket's
// deadline may fire before ctx's own timer).
func ended(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ctx.Err() != nil || ok && !time.Now().Before(dl)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
