package session

import (
	"context"
	"errors"
	"fmt"

	"cartago/imaging/budget"
	"cartago/imaging/cache"
	"cartago/imaging/tiles"
)

// tileLevels are the whole mip levels (tiles.Level) of the frame's
// plane that its tiles are cut from: references into the server's
// cache, held until the plane changes, so a view at a mip already seen
// (the fit view above all) costs one ZFP encode per tile and no pass
// over the plane, even when the encoded tiles were evicted or are asked
// at another quality. Owned by the worker goroutine.
type tileLevels map[int]heldLevel

type heldLevel struct {
	level   tiles.Level
	release func()
}

// drop releases every level. Worker, or close after the worker stopped.
func (l *tileLevels) drop() {
	for _, h := range *l {
		h.release()
	}
	*l = nil
}

// levelsFor returns the levels the tiles ts of f.plane are cut from,
// by mip: those held, and those of mips of which ts asks for at least
// half the tiles (making the level costs about what rendering those
// tiles does; a zoomed-in pan at a low mip renders its tiles from the
// plane instead). A level the budget refuses is left out: its tiles are
// rendered from the plane. Worker only; the map is read-only once
// returned, for the tile goroutines.
func (f *frame) levelsFor(ctx context.Context, ts []tiles.Tile) map[int]tiles.Level {
	w, h := f.plane.Width, f.plane.Height
	layers := tiles.Layers(w, h)
	count := make(map[int]int)
	for _, t := range ts {
		if t.Layer < layers {
			count[t.Layer]++
		}
	}
	var out map[int]tiles.Level
	for layer, n := range count {
		mip := tiles.Mip(layer, layers)
		held, ok := f.levels[mip]
		if !ok {
			nx, ny := tiles.LayerTiles(layer, w, h)
			if 2*n < nx*ny {
				continue
			}
			var err error
			if held, err = f.loadLevel(ctx, mip); err != nil {
				if !errors.Is(err, budget.ErrOverBudget) && ctx.Err() == nil {
					f.log.Warn("tile level", "mip", mip, "err", err)
				}
				continue
			}
			if f.levels == nil {
				f.levels = make(tileLevels)
			}
			f.levels[mip] = held
		}
		if out == nil {
			out = make(map[int]tiles.Level)
		}
		out[mip] = held.level
	}
	return out
}

// loadLevel gets mip level mip of f.plane from the server's cache,
// computing it once for every session asking meanwhile.
func (f *frame) loadLevel(ctx context.Context, mip int) (heldLevel, error) {
	channel, stokes := f.planeKey[0], f.planeKey[1]
	bytes := 4 * int64(ceilDiv(f.plane.Width, mip)) * int64(ceilDiv(f.plane.Height, mip))
	p := f.plane
	ref, err := f.sess.cache.Get(ctx, f.px.key(channel, stokes, fmt.Sprintf("tile level %d", mip)), cache.Loader{
		Reserve: bytes, What: fmt.Sprintf("mip %d level", mip),
		Load: func(ctx context.Context) (any, int64, error) {
			l, err := tiles.MakeLevel(ctx, p, mip)
			return l, l.Bytes(), err
		},
	})
	if err != nil {
		return heldLevel{}, err
	}
	return heldLevel{level: ref.Value().(tiles.Level), release: ref.Release}, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
