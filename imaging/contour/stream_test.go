package contour

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

// collect runs Stream and returns the chunks of each level in order,
// copied (Stream reuses its slices).
func collect(t *testing.T, f Field, levels []float64, chunkSize int) [][]Chunk {
	t.Helper()
	out := make([][]Chunk, len(levels))
	var mu sync.Mutex
	err := Stream(context.Background(), f, levels, chunkSize, func(c Chunk) error {
		c.Vertices = slices.Clone(c.Vertices)
		c.Starts = slices.Clone(c.Starts)
		mu.Lock()
		defer mu.Unlock()
		out[c.Index] = append(out[c.Index], c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// With a chunk size, each level arrives as partial chunks of more than
// 2·chunkSize floats (each ending with a whole polyline) followed by one
// final chunk; together they are exactly the unchunked contour, and the
// progress of a partial chunk is the share of cells scanned before the
// cell where its last polyline started.
func TestStreamChunks(t *testing.T) {
	const w, h, chunkSize = 160, 120, 60
	f := field(makePlane(w, h, waves(0.5)))
	levels := []float64{-0.5, 0.1, 0.7, 5}
	whole := mustTrace(t, f, levels...)
	chunked := collect(t, f, levels, chunkSize)
	for k, chunks := range chunked {
		lines := whole[k].split()
		if want := expectedChunks(lines, 2*chunkSize); len(chunks) != want {
			t.Fatalf("level %v: %d chunks, want %d", levels[k], len(chunks), want)
		}
		var verts []float32
		var starts []int32
		last := 0.0
		for n, c := range chunks {
			if c.Level != levels[k] || c.Index != k {
				t.Fatalf("chunk of level %v carries level %v index %d", levels[k], c.Level, c.Index)
			}
			final := n == len(chunks)-1
			if final != (c.Progress == 1) {
				t.Fatalf("level %v chunk %d/%d has progress %v", levels[k], n+1, len(chunks), c.Progress)
			}
			if !final {
				if len(c.Vertices) <= 2*chunkSize || c.Progress < last || c.Progress > 0.99 {
					t.Fatalf("level %v partial chunk %d: %d floats, progress %v after %v", levels[k], n, len(c.Vertices), c.Progress, last)
				}
				checkProgress(t, c, w, h)
				last = c.Progress
			}
			if len(c.Starts) > 0 && c.Starts[0] != 0 {
				t.Fatalf("level %v chunk %d: starts %v do not count from the chunk's beginning", levels[k], n, c.Starts[:1])
			}
			for _, s := range c.Starts {
				starts = append(starts, s+int32(len(verts)))
			}
			verts = append(verts, c.Vertices...)
		}
		if !slices.Equal(verts, whole[k].Vertices) || !slices.Equal(starts, whole[k].Starts) {
			t.Fatalf("level %v: chunks do not add up to the whole contour", levels[k])
		}
	}
	if len(chunked[3]) != 1 || len(chunked[3][0].Vertices) != 0 {
		t.Fatalf("level outside the data: %d chunks, want one empty", len(chunked[3]))
	}
	if n := len(chunked[1]); n < 3 {
		t.Fatalf("only %d chunks for the busiest level; the test needs several", n)
	}
}

// expectedChunks replays the rule: after each polyline, flush if more than
// cutoff floats are pending; then one final chunk.
func expectedChunks(lines [][]float32, cutoff int) int {
	n, pending := 1, 0
	for _, l := range lines {
		if pending += len(l); pending > cutoff {
			n, pending = n+1, 0
		}
	}
	return n
}

// checkProgress: a chunk's last polyline that started on an inner row
// starts on the top edge of the cell the progress points at.
func checkProgress(t *testing.T, c Chunk, w, h int) {
	t.Helper()
	scanned := int(math.Round(c.Progress * float64(w*h)))
	border := 2*(w-1) + 2*(h-1)
	if scanned < border {
		return
	}
	j, i := (scanned-border)/(w-1)+1, (scanned-border)%(w-1)
	first := c.Vertices[c.Starts[len(c.Starts)-1]:]
	x, y := float64(first[0])-0.5, float64(first[1])-0.5
	if y != float64(j) || x < float64(i) || x > float64(i+1) {
		t.Fatalf("progress %v points at cell (%d, %d), but the last polyline starts at (%v, %v)", c.Progress, i, j, x, y)
	}
}

func TestStreamWithoutChunking(t *testing.T) {
	f := field(makePlane(100, 100, waves(0.6)))
	for _, size := range []int{0, -5} {
		for k, chunks := range collect(t, f, []float64{0, 0.3}, size) {
			if len(chunks) != 1 || chunks[0].Progress != 1 || len(chunks[0].Vertices) == 0 {
				t.Fatalf("chunk size %d level %d: %d chunks, want one with progress 1", size, k, len(chunks))
			}
		}
	}
	called := false
	if err := Stream(context.Background(), f, nil, 10, func(Chunk) error { called = true; return nil }); err != nil || called {
		t.Fatalf("no levels: err %v, emit called %v", err, called)
	}
}

func TestStreamCancelled(t *testing.T) {
	f := field(makePlane(512, 512, noisy(8, 0.01)))
	levels := []float64{-1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Trace(ctx, f, levels); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	start := time.Now()
	err := Stream(ctx, f, levels, 100, func(Chunk) error {
		once.Do(cancel)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v to stop", d)
	}
}

func TestStreamEmitError(t *testing.T) {
	f := field(makePlane(300, 300, noisy(9, 0)))
	boom := errors.New("boom")
	var mu sync.Mutex
	calls := 0
	err := Stream(context.Background(), f, []float64{-1, 0, 1}, 10, func(Chunk) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return boom
	})
	if err != boom {
		t.Fatalf("got %v, want the emit error", err)
	}
	if calls > 3 {
		t.Fatalf("emit called %d times after failing", calls)
	}
}
