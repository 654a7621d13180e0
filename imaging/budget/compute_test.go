package budget

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// waitFor polls until the limiter has the given waiters.
func waitFor(c *Compute, interactive, bulk int) {
	for c.Stats().Waiting != [2]int{interactive, bulk} {
		runtime.Gosched()
	}
}

func TestComputeServesInteractiveBeforeBulk(t *testing.T) {
	c := NewCompute(1)
	if err := c.Acquire(context.Background(), Bulk); err != nil {
		t.Fatal(err)
	}
	order := make(chan Priority, 3)
	acquire := func(p Priority) {
		if err := c.Acquire(context.Background(), p); err != nil {
			t.Error(err)
		}
		order <- p
		c.Release(p)
	}
	go acquire(Bulk)
	waitFor(c, 0, 1)
	go acquire(Bulk)
	waitFor(c, 0, 2)
	go acquire(Interactive)
	waitFor(c, 1, 2)
	c.Release(Bulk)
	got := []Priority{<-order, <-order, <-order}
	if got[0] != Interactive || got[1] != Bulk || got[2] != Bulk {
		t.Errorf("served %v, want interactive first", got)
	}
	if s := c.Stats(); s.Free != 1 {
		t.Errorf("%d free, want 1", s.Free)
	}
}

func TestComputeAcquireCancelled(t *testing.T) {
	c := NewCompute(1)
	if !c.TryAcquire(Interactive) || c.TryAcquire(Interactive) {
		t.Fatal("one slot: first TryAcquire must succeed, second fail")
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- c.Acquire(ctx, Interactive) }()
	waitFor(c, 1, 0)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire = %v, want context.Canceled", err)
	}
	c.Release(Interactive)
	if s := c.Stats(); s.Free != 1 || s.Waiting != [2]int{} {
		t.Errorf("limiter %+v, want 1 free, nobody waiting", s)
	}
}

func TestClaimNeverWaitsWhenHeldOrUnlimited(t *testing.T) {
	c := NewCompute(1)
	ctx := WithCompute(context.Background(), c, Bulk)
	release, claimed, err := Claim(ctx)
	if err != nil || !claimed {
		t.Fatalf("Claim = %v, %v", claimed, err)
	}
	// The only slot is taken: a held context and one without priority
	// must go on without one instead of waiting.
	for _, ctx := range []context.Context{Holding(ctx), context.Background()} {
		if _, claimed, err := Claim(ctx); claimed || err != nil {
			t.Errorf("Claim(%v) = %v, %v; want no claim, no wait", ctx, claimed, err)
		}
		if Waits(ctx) {
			t.Errorf("Waits(%v) = true", ctx)
		}
	}
	if _, ok := TryClaim(Holding(ctx)); ok {
		t.Error("TryClaim took a slot that is not free")
	}
	release()
	if s := c.Stats(); s.Free != 1 {
		t.Errorf("%d free after release, want 1", s.Free)
	}
}

func TestComputeKeepsOneSlotFromBulkWhileInteractive(t *testing.T) {
	c := NewCompute(3)
	c.window = time.Hour // interactive work seen stays seen
	for range 3 {
		if !c.TryAcquire(Bulk) {
			t.Fatal("with nobody interacting bulk work could not take every slot")
		}
	}
	for range 3 {
		c.Release(Bulk)
	}
	c.Note()
	if !c.TryAcquire(Bulk) || !c.TryAcquire(Bulk) {
		t.Fatal("bulk could not take 2 of 3 slots")
	}
	if c.TryAcquire(Bulk) {
		t.Fatal("bulk took the last of 3 slots while interactive work runs")
	}
	done := make(chan error)
	go func() { done <- c.Acquire(context.Background(), Bulk) }()
	waitFor(c, 0, 1)
	if !c.TryAcquire(Interactive) {
		t.Fatal("interactive work found no slot with bulk waiting")
	}
	c.Release(Interactive) // the free slot is not bulk's: it stays free
	if s := c.Stats(); s.Free != 1 || s.Waiting[Bulk] != 1 {
		t.Fatalf("limiter %+v, want 1 free and the bulk waiter still waiting", s)
	}
	c.Release(Bulk) // now bulk may have one more
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Free != 1 || s.Bulk != 2 {
		t.Errorf("limiter %+v, want 1 free and 2 held by bulk", s)
	}
}

func TestUnheldGivesTheSlotBackMeanwhile(t *testing.T) {
	c := NewCompute(1)
	ctx := WithCompute(context.Background(), c, Bulk)
	release, claimed, err := Claim(ctx)
	if err != nil || !claimed {
		t.Fatalf("Claim = %v, %v", claimed, err)
	}
	Unheld(Holding(ctx), func() {
		if s := c.Stats(); s.Free != 1 {
			t.Errorf("inside Unheld %d free, want the slot back", s.Free)
		}
	})
	if s := c.Stats(); s.Free != 0 {
		t.Errorf("after Unheld %d free, want the slot claimed again", s.Free)
	}
	release()
}
