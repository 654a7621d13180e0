package session

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// TestWorkerPolicies checks the queue rules with jobs that record what
// ran and whether they were cancelled.
func TestWorkerPolicies(t *testing.T) {
	w := startWorker(nil)
	defer w.stop()
	release := make(chan struct{})
	started := make(chan struct{})
	var mu sync.Mutex
	var log []string
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, s)
	}
	// A running tile job that blocks until released or cancelled.
	w.add(job{kind: jobTiles, run: func(ctx context.Context) {
		close(started)
		select {
		case <-release:
			record("tiles-1 done")
		case <-ctx.Done():
			record("tiles-1 cancelled")
		}
	}})
	<-started
	ids := []int32{1, 2, 3}
	w.add(job{kind: jobTiles, tiles: &ids, run: func(context.Context) { record("tiles-2 ran") }})
	w.removeTiles([]int32{2})
	if !slices.Equal(ids, []int32{1, 3}) {
		t.Errorf("queued tiles after removal = %v, want [1 3]", ids)
	}
	w.add(job{kind: jobCursor, run: func(context.Context) { record("cursor-1 ran") }})
	w.add(job{kind: jobCursor, run: func(context.Context) { record("cursor-2 ran") }})
	w.add(job{kind: jobData, run: func(context.Context) { record("data ran") }})
	// A channel change cancels the running tiles and drops queued tiles
	// and cursor jobs; data jobs stay.
	done := make(chan struct{})
	w.add(job{kind: jobChannel, run: func(context.Context) { record("channel ran"); close(done) }})
	<-done
	want := []string{"tiles-1 cancelled", "data ran", "channel ran"}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(log, want) {
		t.Fatalf("ran %v, want %v", log, want)
	}
}

func TestWorkerCursorLatestWins(t *testing.T) {
	w := startWorker(nil)
	defer w.stop()
	block := make(chan struct{})
	w.add(job{kind: jobData, run: func(context.Context) { <-block }})
	var ran []int
	done := make(chan struct{})
	for i := range 5 {
		w.add(job{kind: jobCursor, run: func(context.Context) {
			ran = append(ran, i)
			if i == 4 {
				close(done)
			}
		}})
	}
	close(block)
	<-done
	if !slices.Equal(ran, []int{4}) {
		t.Fatalf("cursor jobs ran %v, want only the latest [4]", ran)
	}
}

func TestWorkerLatestPerKey(t *testing.T) {
	w := startWorker(nil)
	defer w.stop()
	started := make(chan struct{})
	var mu sync.Mutex
	var log []string
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, s)
	}
	w.add(job{kind: jobLatest, key: "a", run: func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		record("a1 cancelled")
	}})
	<-started
	w.add(job{kind: jobLatest, key: "b", run: func(context.Context) { record("b1") }})
	w.add(job{kind: jobLatest, key: "b", run: func(context.Context) { record("b2") }})
	done := w.addWait(job{kind: jobLatest, key: "a", run: func(context.Context) { record("a2") }})
	<-done
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"a1 cancelled", "b2", "a2"}; !slices.Equal(log, want) {
		t.Fatalf("ran %v, want %v", log, want)
	}
}
