package session

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"cartago/icd"
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
	set := newTileSet(icd.CompressionType_ZFP, 11, []int32{1, 2, 3})
	w.add(job{kind: jobTiles, tiles: set, run: func(context.Context) { record("tiles-2 ran") }})
	w.removeTiles([]int32{2})
	if !slices.Equal(set.ids, []int32{1, 3}) {
		t.Errorf("queued tiles after removal = %v, want [1 3]", set.ids)
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

// TestWorkerQueueBound: distinct keys beyond maxQueuedJobs drop the oldest
// queued jobs (closing their done channels), never the channel change.
func TestWorkerQueueBound(t *testing.T) {
	w := startWorker(nil)
	defer w.stop()
	release := make(chan struct{})
	started := make(chan struct{})
	w.add(job{kind: jobData, run: func(context.Context) { close(started); <-release }})
	<-started
	channel := w.addWait(job{kind: jobChannel, run: func(context.Context) {}})
	first := w.addWait(job{kind: jobRefresh, key: "k0", run: func(context.Context) {}})
	for i := 1; i < 3*maxQueuedJobs; i++ {
		w.add(job{kind: jobRefresh, key: fmt.Sprint("k", i), run: func(context.Context) {}})
	}
	w.mu.Lock()
	queued, dropped, head := len(w.queue), w.dropped, w.queue[0].kind
	w.mu.Unlock()
	if queued != maxQueuedJobs || dropped != 2*maxQueuedJobs+1 || head != jobChannel {
		t.Errorf("queued %d, dropped %d, head %v; want %d, %d and the channel change first", queued, dropped, head, maxQueuedJobs, 2*maxQueuedJobs+1)
	}
	<-first // dropped jobs are finished, so nobody waits for them forever
	close(release)
	<-channel
}

// TestWorkerRefreshAndSameRequest: a refresh replaces its queued twin but
// leaves the running one alone; a jobLatest equal to the running one
// (same key and sig) does not restart it but runs after it.
func TestWorkerRefreshAndSameRequest(t *testing.T) {
	w := startWorker(nil)
	defer w.stop()
	var mu sync.Mutex
	var log []string
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, s)
	}
	started, release := make(chan struct{}), make(chan struct{})
	w.add(job{kind: jobLatest, key: "spectrum", sig: "cfg", run: func(ctx context.Context) {
		close(started)
		select {
		case <-release:
			record("spectrum done")
		case <-ctx.Done():
			record("spectrum restarted")
		}
	}})
	<-started
	w.add(job{kind: jobLatest, key: "spectrum", sig: "cfg", run: func(context.Context) { record("spectrum again") }})
	w.add(job{kind: jobRefresh, key: "stats", run: func(context.Context) { record("stats 1") }})
	done := w.addWait(job{kind: jobRefresh, key: "stats", run: func(context.Context) { record("stats 2") }})
	close(release)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"spectrum done", "spectrum again", "stats 2"}; !slices.Equal(log, want) {
		t.Fatalf("ran %v, want %v", log, want)
	}
}
