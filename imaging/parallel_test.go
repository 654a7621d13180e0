package imaging

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cartago/imaging/budget"
)

// catchPanic runs fn and returns what it panicked with.
func catchPanic(fn func()) (p any) {
	defer func() { p = recover() }()
	fn()
	return nil
}

func TestForTasksRaisesHelperPanicInCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	ctx := budget.WithCompute(context.Background(), budget.NewCompute(4), budget.Bulk)
	helperRan := make(chan struct{})
	var once sync.Once
	p := catchPanic(func() {
		_ = ForTasks(ctx, 64, 1, func(w, _, _, _ int) {
			if w == 0 { // the caller's goroutine waits until a helper panicked
				<-helperRan
				return
			}
			once.Do(func() { close(helperRan) })
			panic("boom in a helper")
		})
	})
	pe, ok := p.(*Panic)
	if !ok {
		t.Fatalf("recovered %T %v, want *Panic", p, p)
	}
	if pe.Value != "boom in a helper" || !strings.Contains(string(pe.Stack), "TestForTasksRaisesHelperPanicInCaller") {
		t.Errorf("panic %v with stack\n%s", pe.Value, pe.Stack)
	}
}

func TestForTasksPanicKeepsErrorAndFreesSlots(t *testing.T) {
	c := budget.NewCompute(2)
	ctx := budget.WithCompute(context.Background(), c, budget.Interactive)
	boom := errors.New("boom")
	p := catchPanic(func() {
		_ = ForTasks(ctx, 100, 1, func(_, task, _, _ int) {
			if task == 7 {
				panic(boom)
			}
		})
	})
	if err, ok := p.(error); !ok || !errors.Is(err, boom) {
		t.Fatalf("recovered %v, want an error wrapping boom", p)
	}
	if s := c.Stats(); s.Free != 2 {
		t.Errorf("after the panic %d slots free, want 2", s.Free)
	}
}

// TestForTasksNestedFanOutsShareSlots runs fan-outs inside the tasks of
// fan-outs, from more callers than slots: it must finish (a held slot
// never waits for another) with never more tasks running than slots.
func TestForTasksNestedFanOutsShareSlots(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	c := budget.NewCompute(2)
	var running, peak, inner atomic.Int64
	leaf := func() {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		inner.Add(1)
		running.Add(-1)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for caller := range 6 {
			prio := budget.Priority(caller % 2)
			wg.Go(func() {
				ctx := budget.WithCompute(context.Background(), c, prio)
				_ = ForTasksCtx(ctx, 8, 1, func(ctx context.Context, _, _, _, _ int) {
					_ = ForTasksCtx(ctx, 8, 1, func(ctx context.Context, _, _, _, _ int) {
						_ = ForTasks(ctx, 4, 1, func(_, _, _, _ int) { leaf() })
					})
				})
			})
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("nested fan-outs deadlocked: %d of %d leaf tasks ran, limiter %+v", inner.Load(), 6*8*8*4, c.Stats())
	}
	if inner.Load() != 6*8*8*4 {
		t.Errorf("%d leaf tasks ran, want %d", inner.Load(), 6*8*8*4)
	}
	if peak.Load() > 2 {
		t.Errorf("%d tasks ran at once on 2 slots", peak.Load())
	}
	if s := c.Stats(); s.Free != 2 {
		t.Errorf("%d slots free after all work, want 2", s.Free)
	}
}

func TestForTasksCancelledWhileWaiting(t *testing.T) {
	c := budget.NewCompute(1)
	if !c.TryAcquire(budget.Bulk) {
		t.Fatal("no slot")
	}
	ctx, cancel := context.WithCancel(budget.WithCompute(context.Background(), c, budget.Bulk))
	errc := make(chan error)
	go func() { errc <- ForTasks(ctx, 10, 1, func(_, _, _, _ int) { t.Error("task ran without a slot") }) }()
	for c.Stats().Waiting[budget.Bulk] == 0 {
		runtime.Gosched()
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("ForTasks = %v, want context.Canceled", err)
	}
	c.Release(budget.Bulk)
	if s := c.Stats(); s.Free != 1 || s.Waiting != [2]int{} {
		t.Errorf("limiter %+v after cancel, want 1 free and no waiters", s)
	}
}

func TestGroupDoPanicWaitsForOthers(t *testing.T) {
	var finished atomic.Bool
	release := make(chan struct{})
	g := NewGroup(func() { close(release) })
	g.Go(func() {
		<-release
		finished.Store(true)
	})
	p := catchPanic(func() {
		g.Do(func() { panic("in the caller") })
		g.Wait()
	})
	if pe, ok := p.(*Panic); !ok || pe.Value != "in the caller" {
		t.Fatalf("recovered %v", p)
	}
	if !finished.Load() {
		t.Error("Wait raised the panic before the other goroutine returned")
	}
}
