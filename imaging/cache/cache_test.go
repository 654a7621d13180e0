package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"cartago/imaging/budget"
)

// value loads a fixed value of size bytes, counting loads.
func value(v any, size int64, loads *int) Loader {
	return Loader{What: "test value", Load: func(context.Context) (any, int64, error) {
		*loads++
		return v, size, nil
	}}
}

func key(ch int) Key { return Key{HDU: "0", Channel: ch, What: "plane"} }

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrentGetsLoadOnce(t *testing.T) {
	c := New(Options{Size: 1 << 20})
	gate := make(chan struct{})
	var mu sync.Mutex
	loads := 0
	l := Loader{What: "plane", Load: func(context.Context) (any, int64, error) {
		mu.Lock()
		loads++
		mu.Unlock()
		<-gate
		return "plane data", 100, nil
	}}
	const n = 20
	var wg sync.WaitGroup
	got := make([]any, n)
	for i := range n {
		wg.Go(func() {
			ref, err := c.Get(t.Context(), key(0), l)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = ref.Value()
			ref.Release()
		})
	}
	waitFor(t, "19 waiters", func() bool { return c.Stats().Waits == n-1 })
	close(gate)
	wg.Wait()
	if loads != 1 {
		t.Fatalf("%d loads for %d concurrent requests, want 1", loads, n)
	}
	for i, v := range got {
		if v != "plane data" {
			t.Fatalf("request %d got %v", i, v)
		}
	}
	if s := c.Stats(); s.Loads != 1 || s.Bytes != 100 {
		t.Fatalf("stats %+v", s)
	}
}

func TestInUseNeverEvicted(t *testing.T) {
	c := New(Options{Size: 0}) // keeps nothing unused
	loads := 0
	held, err := c.Get(t.Context(), key(0), value("a", 10, &loads))
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.Get(t.Context(), key(1), value("b", 10, &loads))
	if err != nil {
		t.Fatal(err)
	}
	other.Release()
	if c.Has(key(1)) || !c.Has(key(0)) {
		t.Fatalf("after release: has unused %v, has held %v; want false, true", c.Has(key(1)), c.Has(key(0)))
	}
	again, err := c.Get(t.Context(), key(0), value("a2", 10, &loads))
	if err != nil || again.Value() != "a" {
		t.Fatalf("held entry: %v, %v", again.Value(), err)
	}
	again.Release()
	held.Release()
	held.Release() // idempotent
	if s := c.Stats(); s.Bytes != 0 || s.Entries != 0 || loads != 2 {
		t.Fatalf("after the last release: %+v, %d loads", s, loads)
	}
}

func TestLeastRecentlyUsedGoesFirst(t *testing.T) {
	c := New(Options{Size: 20})
	loads := 0
	for ch := range 3 {
		ref, err := c.Get(t.Context(), key(ch), value(ch, 10, &loads))
		if err != nil {
			t.Fatal(err)
		}
		ref.Release()
		if ch == 1 { // touch 0 again: 1 is now the oldest
			r0, _ := c.Get(t.Context(), key(0), value(0, 10, &loads))
			r0.Release()
		}
	}
	if !c.Has(key(0)) || c.Has(key(1)) || !c.Has(key(2)) {
		t.Fatalf("kept 0:%v 1:%v 2:%v, want 0 and 2", c.Has(key(0)), c.Has(key(1)), c.Has(key(2)))
	}
	if s := c.Stats(); s.Bytes != 20 || s.Evictions != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestBudgetPressureEvictsUnusedOnly(t *testing.T) {
	mem := budget.NewMemory(30)
	c := New(Options{Size: 1 << 20, Memory: mem})
	loads := 0
	held, err := c.Get(t.Context(), key(0), value(0, 10, &loads))
	if err != nil {
		t.Fatal(err)
	}
	for ch := 1; ch <= 3; ch++ { // the third one needs the first unused one's room
		ref, err := c.Get(t.Context(), key(ch), Loader{Reserve: 10, What: "plane", Load: func(context.Context) (any, int64, error) {
			return ch, 10, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		ref.Release()
	}
	if !c.Has(key(0)) || c.Has(key(1)) || mem.Stats().Used != 30 {
		t.Fatalf("held kept %v, oldest unused kept %v, used %d", c.Has(key(0)), c.Has(key(1)), mem.Stats().Used)
	}
	// Nothing unused can make room for more than the budget.
	_, err = c.Get(t.Context(), key(9), Loader{Reserve: 25, What: "plane 9", Load: func(context.Context) (any, int64, error) {
		t.Fatal("loaded without room")
		return nil, 0, nil
	}})
	if !errors.Is(err, budget.ErrOverBudget) || !c.Has(key(0)) || c.Has(key(9)) {
		t.Fatalf("over budget: %v; held kept %v", err, c.Has(key(0)))
	}
	held.Release()
	c2 := c.Stats()
	if c2.Bytes != mem.Stats().Used {
		t.Fatalf("cache bytes %d, budget used %d", c2.Bytes, mem.Stats().Used)
	}
}

func TestAnyChargeTheBudgetRefusesEvictsUnusedEntries(t *testing.T) {
	mem := budget.NewMemory(30)
	c := New(Options{Size: 1 << 20, Memory: mem})
	loads := 0
	for ch := range 2 {
		ref, err := c.Get(t.Context(), key(ch), Loader{Reserve: 10, What: "plane", Load: func(context.Context) (any, int64, error) {
			loads++
			return ch, 10, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		ref.Release()
	}
	// A region mask, a message: anything charged beyond what is free.
	if err := mem.Acquire(15, "region mask"); err != nil {
		t.Fatalf("a charge with unused cache entries to evict: %v", err)
	}
	if c.Has(key(0)) || !c.Has(key(1)) || mem.Stats().Used != 25 {
		t.Fatalf("evicted: oldest %v, newest %v; budget used %d", !c.Has(key(0)), !c.Has(key(1)), mem.Stats().Used)
	}
}

func TestFailedLoadIsNotCached(t *testing.T) {
	c := New(Options{Size: 1 << 20})
	boom := errors.New("boom")
	_, err := c.Get(t.Context(), key(0), Loader{What: "x", Load: func(context.Context) (any, int64, error) { return nil, 0, boom }})
	if !errors.Is(err, boom) || c.Has(key(0)) {
		t.Fatalf("err %v, cached %v", err, c.Has(key(0)))
	}
	loads := 0
	ref, err := c.Get(t.Context(), key(0), value("ok", 1, &loads))
	if err != nil || ref.Value() != "ok" {
		t.Fatalf("retry: %v %v", ref, err)
	}
}

func TestAPanickingLoadFailsItsWaiters(t *testing.T) {
	mem := budget.NewMemory(1 << 20)
	c := New(Options{Size: 1 << 20, Memory: mem})
	gate := make(chan struct{})
	go func() {
		defer func() { _ = recover() }()
		_, _ = c.Get(t.Context(), key(0), Loader{Reserve: 100, What: "plane 0", Load: func(context.Context) (any, int64, error) {
			<-gate
			panic("decoder bug")
		}})
	}()
	waitFor(t, "the load", func() bool { return c.Has(key(0)) })
	waited := make(chan error, 1)
	go func() {
		loads := 0
		_, err := c.Get(t.Context(), key(0), value(1, 1, &loads))
		waited <- err
	}()
	waitFor(t, "the waiter", func() bool { return c.Stats().Waits == 1 })
	close(gate)
	select {
	case err := <-waited:
		if err == nil {
			t.Fatal("a waiter of a load that panicked got no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter of a load that panicked waits for ever")
	}
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 || mem.Stats().Used != 0 {
		t.Fatalf("after a panicked load: %+v, budget %+v", s, mem.Stats())
	}
}

func TestWaiterLoadsWhenTheLoaderIsCancelled(t *testing.T) {
	c := New(Options{Size: 1 << 20})
	ctx, cancel := context.WithCancel(t.Context())
	started := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx, key(0), Loader{What: "x", Load: func(ctx context.Context) (any, int64, error) {
			close(started)
			<-ctx.Done()
			return nil, 0, ctx.Err()
		}})
		first <- err
	}()
	<-started
	second := make(chan any, 1)
	go func() {
		loads := 0
		ref, err := c.Get(t.Context(), key(0), value("second", 1, &loads))
		if err != nil {
			second <- err
			return
		}
		second <- ref.Value()
	}()
	waitFor(t, "the waiter", func() bool { return c.Stats().Waits == 1 })
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled loader: %v", err)
	}
	if v := <-second; v != "second" {
		t.Fatalf("waiter got %v, want its own load", v)
	}
}

func TestWaitingEndsWithItsContext(t *testing.T) {
	c := New(Options{Size: 1 << 20})
	gate := make(chan struct{})
	go func() {
		ref, err := c.Get(t.Context(), key(0), Loader{What: "x", Load: func(context.Context) (any, int64, error) {
			<-gate
			return 1, 1, nil
		}})
		if err == nil {
			ref.Release()
		}
	}()
	waitFor(t, "the load", func() bool { return c.Has(key(0)) })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	loads := 0
	if _, err := c.Get(ctx, key(0), value(2, 1, &loads)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait past the deadline: %v", err)
	}
	close(gate)
	waitFor(t, "the value to become unused", func() bool { return c.Unused() == 1 })
	if s := c.Stats(); s.Entries != 1 || loads != 0 {
		t.Fatalf("stats %+v, %d loads", s, loads)
	}
}

func ExampleCache_Get() {
	c := New(Options{Size: 64 << 20})
	ref, err := c.Get(context.Background(), Key{HDU: "0", What: "plane"}, Loader{
		Reserve: 16, What: "plane 2×2",
		Load: func(context.Context) (any, int64, error) { return []float32{1, 2, 3, 4}, 16, nil },
	})
	if err != nil {
		panic(err)
	}
	defer ref.Release()
	fmt.Println(ref.Value())
	// Output: [1 2 3 4]
}
