package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/budget"
	"cartago/imaging/cache"
	"cartago/imaging/tiles"
	"cartago/imaging/zfp"
)

// tileEncoder turns a tile's floats into the payload of a TileData. Each
// tile-rendering goroutine owns one. The payload may live in the
// encoder's scratch buffers, so it is valid until the next encode; that
// suffices because Sender.Send copies a message into its frame before it
// returns.
type tileEncoder interface {
	encode(dst *icd.TileData, data []float32, quality float32) (icd.CompressionType, float32)
}

// newTileEncoder returns the encoder for what the client asked for. The
// frontend asks for ZFP; NONE stays available for scripts and tests.
func newTileEncoder(ct icd.CompressionType) tileEncoder {
	if ct == icd.CompressionType_ZFP {
		return &zfpEncoder{}
	}
	return &rawEncoder{}
}

// rawEncoder sends float32 little-endian with NaN as -FLT_MAX, the blank
// marker of the frontend's shader (it skips nan_encodings for raw tiles).
type rawEncoder struct {
	buf []byte
}

func (r *rawEncoder) encode(dst *icd.TileData, data []float32, _ float32) (icd.CompressionType, float32) {
	r.buf = tiles.AppendUncompressed(r.buf[:0], data)
	dst.ImageData = r.buf
	return icd.CompressionType_NONE, 0
}

// Quality bump of the reference: a tile that compresses more than
// bumpRatio-fold at the asked precision is retried at full precision,
// which is kept if it still compresses more than keepRatio-fold (nearly
// flat tiles then cost little and lose nothing).
const (
	bumpRatio = 20
	keepRatio = 10
	fullPrec  = 32
)

// zfpEncoder sends ZFP fixed-precision streams plus the NaN run lengths
// the frontend uses to blank pixels again.
type zfpEncoder struct {
	enc        zfp.Encoder
	stream     []byte // scratch: the stream at the asked precision
	full       []byte // scratch: the stream at full precision
	nanEncoded []byte // scratch: NaN run lengths
}

func (z *zfpEncoder) encode(dst *icd.TileData, data []float32, quality float32) (icd.CompressionType, float32) {
	w, h := int(dst.Width), int(dst.Height)
	z.nanEncoded = tiles.AppendNaNEncodings(z.nanEncoded[:0], data)
	dst.NanEncodings = z.nanEncoded
	if len(z.nanEncoded) > 4 { // more than one run: some NaN
		tiles.FillNaNBlocks(data, w, h)
	}
	prec := max(1, min(fullPrec, int(math.Round(float64(quality)))))
	z.stream = z.enc.Encode(z.stream[:0], data, w, h, prec)
	dst.ImageData = z.stream
	raw := 4 * len(data)
	if prec < fullPrec && raw > bumpRatio*len(z.stream) {
		z.full = z.enc.Encode(z.full[:0], data, w, h, fullPrec)
		if raw > keepRatio*len(z.full) {
			dst.ImageData = z.full
			return icd.CompressionType_ZFP, fullPrec
		}
	}
	return icd.CompressionType_ZFP, float32(prec)
}

// tileRequest is one group of tiles to send for a channel.
type tileRequest struct {
	channel, stokes int
	ids             []int32
	compression     icd.CompressionType
	quality         float32
	animationID     int32
	start           time.Time           // ADD_REQUIRED_TILES arrived; zero for animation frames
	levels          map[int]tiles.Level // by mip: whole levels to cut tiles from (read only)
}

// maxTilesPerGroup bounds the tiles of one group. A view needs a few
// hundred at most (a 4K screen at full resolution shows about 160 tiles),
// so further ids are ignored: they can only come from a client that
// means harm. The reference has no such cap.
const maxTilesPerGroup = 4096

// tileSet is what queued ADD_REQUIRED_TILES of one encoding still want:
// distinct ids in request order (nearest first), at most
// maxTilesPerGroup. Requests queued behind each other merge into one
// set, so a flood of them costs one group. (The reference sends a group
// per request; the frontend does not tie groups to requests, it counts
// the tiles of each sync id against its tile_count.) Guarded by the
// worker's mu once queued.
type tileSet struct {
	compression icd.CompressionType
	quality     float32
	ids         []int32
	has         map[int32]bool
}

func newTileSet(ct icd.CompressionType, quality float32, ids []int32) *tileSet {
	s := &tileSet{compression: ct, quality: quality, has: make(map[int32]bool, len(ids))}
	s.add(ids)
	return s
}

func (s *tileSet) add(ids []int32) {
	for _, id := range ids {
		if len(s.ids) >= maxTilesPerGroup {
			return
		}
		if !s.has[id] {
			s.has[id] = true
			s.ids = append(s.ids, id)
		}
	}
}

func (s *tileSet) remove(ids []int32) {
	for _, id := range ids {
		delete(s.has, id)
	}
	s.ids = slices.DeleteFunc(s.ids, func(id int32) bool { return !s.has[id] })
}

// handleAddRequiredTiles queues one tile group. Unlike the reference,
// which renders every id it is given, ids repeated within a request or
// across queued requests are sent once: the frontend never repeats an id
// it still waits for, and a hostile client multiplied work that way.
func (c *Client) handleAddRequiredTiles(r request) error {
	var msg icd.AddRequiredTiles
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return silentIfNotOpen(err) // the reference drops tiles of a closed file
	}
	start := time.Now()
	set := newTileSet(msg.CompressionType, msg.CompressionQuality, f.tileIDs(msg.Tiles))
	if len(set.ids) == 0 {
		return nil
	}
	if c.session.animationTiles(f.id, set) {
		return nil // the animation sends them with its next frame
	}
	// Tiles are cut at run time for whatever channel is current then.
	f.work.add(job{kind: jobTiles, tiles: set, run: func(ctx context.Context) {
		ch, st := f.current()
		f.work.mu.Lock() // later requests merged in, REMOVE_REQUIRED_TILES trimmed
		ids := slices.Clone(set.ids)
		f.work.mu.Unlock()
		f.sendTiles(ctx, tileRequest{channel: ch, stokes: st, ids: ids, compression: set.compression, quality: set.quality, start: start})
	}})
	return nil
}

// tileIDs keeps the ids that address a tile of this image, each once, in
// order, at most maxTilesPerGroup.
func (f *frame) tileIDs(ids []int32) []int32 {
	valid := f.validTiles(ids)
	out := make([]int32, len(valid))
	for i, t := range valid {
		out[i] = tiles.Encode(t.X, t.Y, t.Layer)
	}
	return out
}

func (c *Client) handleRemoveRequiredTiles(r request) error {
	var msg icd.RemoveRequiredTiles
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return silentIfNotOpen(err) // the reference drops tiles of a closed file
	}
	f.work.removeTiles(msg.Tiles)
	return nil
}

// sendTiles sends one RASTER_TILE_SYNC group. Cancelled work stops
// sending tiles but still closes the group, so the frontend never sees
// a start without its end.
func (f *frame) sendTiles(ctx context.Context, req tileRequest) {
	valid := f.validTiles(req.ids)
	if len(valid) == 0 {
		return
	}
	fromMips := f.tilesFromMips(valid, req.stokes)
	if !fromMips { // an IDIA file's mip levels need no plane
		if err := f.loadPlane(ctx, req.channel, req.stokes); err != nil {
			f.reportError(ctx, "tiles", err)
			return
		}
	}
	sync := &icd.RasterTileSync{
		FileId: f.id, Channel: int32(req.channel), Stokes: int32(req.stokes),
		SyncId: f.sess.syncID.Add(1), AnimationId: req.animationID, TileCount: int32(len(valid)),
	}
	if ctx.Err() != nil {
		return // superseded before it started
	}
	// Start and end go out together or not at all, whatever ctx does.
	f.sess.send(context.WithoutCancel(ctx), icd.EventType_RASTER_TILE_SYNC, sync)
	if !fromMips { // levels are cut from the plane, which is not read then
		req.levels = f.levelsFor(ctx, valid)
	}
	f.renderTiles(ctx, req, sync.SyncId, valid)
	end := proto.CloneOf(sync)
	end.EndSync = true
	f.sess.send(context.WithoutCancel(ctx), icd.EventType_RASTER_TILE_SYNC, end)
	if !req.start.IsZero() && ctx.Err() == nil {
		f.sess.met.TileGroup(time.Since(req.start))
	}
}

// validTiles keeps the ids that address a tile of this image, each once,
// at most maxTilesPerGroup; the group's tile_count must equal what is
// sent.
func (f *frame) validTiles(ids []int32) []tiles.Tile {
	out := make([]tiles.Tile, 0, min(len(ids), maxTilesPerGroup))
	seen := make(map[int32]bool, cap(out))
	for _, id := range ids {
		if len(out) == maxTilesPerGroup {
			break
		}
		t := tiles.Decode(id)
		key := tiles.Encode(t.X, t.Y, t.Layer) // ids with stray high bits name the same tile
		if _, err := tiles.Locate(t, f.layout.Width, f.layout.Height); err == nil && t.Valid() && !seen[key] {
			seen[key] = true
			out = append(out, t)
		}
	}
	return out
}

// renderTiles cuts and sends tiles on all cores, nearest-first as the
// frontend sorted them.
func (f *frame) renderTiles(ctx context.Context, req tileRequest, syncID int32, ts []tiles.Tile) {
	next := make(chan tiles.Tile)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(ts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer f.recovered(ctx, "tile rendering")
			var buf []float32
			ct := req.compression
			if f.sess.rawTiles {
				ct = icd.CompressionType_NONE
			}
			enc := newTileEncoder(ct)
			for t := range next {
				buf = f.sendTile(ctx, req, ct, enc, syncID, t, buf)
			}
		}()
	}
	for _, t := range ts {
		if ctx.Err() != nil {
			break
		}
		next <- t
	}
	close(next)
	wg.Wait()
}

func (f *frame) sendTile(ctx context.Context, req tileRequest, ct icd.CompressionType, enc tileEncoder, syncID int32, t tiles.Tile, buf []float32) []float32 {
	e, buf, err := f.encodedTile(ctx, req, ct, enc, t, buf)
	if err != nil || ctx.Err() != nil {
		return buf
	}
	td := &icd.TileData{Layer: int32(t.Layer), X: int32(t.X), Y: int32(t.Y), Width: e.width, Height: e.height,
		ImageData: e.data, NanEncodings: e.nans}
	f.sess.send(ctx, icd.EventType_RASTER_TILE_DATA, &icd.RasterTileData{
		FileId: f.id, Channel: int32(req.channel), Stokes: int32(req.stokes),
		CompressionType: e.ctype, CompressionQuality: e.quality,
		SyncId: syncID, AnimationId: req.animationID, Tiles: []*icd.TileData{td},
	})
	return buf
}

// encodedTile is a tile as sent, shared through the server's cache:
// sessions showing the same plane send the same bytes without cutting
// and encoding them again. Never modified.
type encodedTile struct {
	width, height int32
	data, nans    []byte
	ctype         icd.CompressionType
	quality       float32
}

// encodedTile returns tile t of f.plane encoded as ct at req.quality,
// made with enc and buf (returned for reuse). ZFP tiles come from the
// cache; raw ones are as large as the pixels they copy, and a tile the
// budget cannot keep is sent all the same. Worker's tile goroutines only.
func (f *frame) encodedTile(ctx context.Context, req tileRequest, ct icd.CompressionType, enc tileEncoder, t tiles.Tile, buf []float32) (encodedTile, []float32, error) {
	if ct == icd.CompressionType_ZFP {
		what := fmt.Sprintf("tile %d ZFP %g", t.Encode(), req.quality)
		ref, err := f.sess.cache.Get(ctx, f.px.key(req.channel, req.stokes, what), cache.Loader{
			What: "encoded tile",
			Load: func(context.Context) (any, int64, error) {
				var e encodedTile
				var err error
				e, buf, err = f.encodeTile(ctx, req, enc, t, buf)
				return e, int64(len(e.data) + len(e.nans) + 128), err
			},
		})
		if err == nil {
			defer ref.Release() // the bytes stay valid; they are never modified
			return ref.Value().(encodedTile), buf, nil
		}
		if !errors.Is(err, budget.ErrOverBudget) {
			return encodedTile{}, buf, err
		}
	}
	return f.encodeTile(ctx, req, enc, t, buf)
}

// encodeTile cuts and encodes tile t of f.plane into new byte slices on
// a compute slot (budget.Compute), released before the tile is sent so
// that a slow client holds none.
func (f *frame) encodeTile(ctx context.Context, req tileRequest, enc tileEncoder, t tiles.Tile, buf []float32) (encodedTile, []float32, error) {
	release, _, err := budget.Claim(ctx)
	if err != nil {
		return encodedTile{}, buf, err
	}
	defer release()
	data, rect, err := f.renderTile(buf, req, t)
	if err != nil {
		return encodedTile{}, data, err
	}
	td := &icd.TileData{Width: int32(rect.Width), Height: int32(rect.Height)}
	ctype, quality := enc.encode(td, data, req.quality)
	return encodedTile{width: td.Width, height: td.Height, data: bytes.Clone(td.ImageData), nans: bytes.Clone(td.NanEncodings),
		ctype: ctype, quality: quality}, data, nil
}

// renderPlaneTile is tiles.Render, cut from the tile's level when levels
// holds it (the same values, bit for bit).
func renderPlaneTile(buf []float32, p imaging.Plane, levels map[int]tiles.Level, t tiles.Tile) ([]float32, tiles.Rect, error) {
	if l, ok := levels[tiles.Mip(t.Layer, tiles.Layers(p.Width, p.Height))]; ok {
		return tiles.RenderFromLevel(buf, l, t, p.Width, p.Height)
	}
	return tiles.Render(buf, p, t)
}
