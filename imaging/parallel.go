package imaging

import (
	"context"
	"runtime"
	"sync/atomic"

	"cartago/imaging/budget"
)

// Workers is how many goroutines ForTasks uses at most for the given
// number of tasks: GOMAXPROCS, or fewer when there are fewer tasks.
func Workers(tasks int) int { return min(runtime.GOMAXPROCS(0), tasks) }

// ForTasks splits [0, n) into tasks of tlen items and calls
// fn(worker, task, lo, hi) for each from up to Workers goroutines
// (including the caller's), handing tasks out dynamically so a slow core
// does not hold the others back. worker indexes per-goroutine scratch
// state and is below Workers(tasks). It stops handing out tasks once ctx
// is done and then returns ctx.Err().
//
// Each task runs on a compute slot of ctx's limiter (see budget.Compute),
// claimed before and released after it. A panic in fn stops the handing
// out and is raised again in the caller as a *Panic once every goroutine
// has returned.
//
// A task that fans out again must use ForTasksCtx and pass on the
// context it is given: that context says the task holds a slot, and a
// fan-out from it never waits for another.
func ForTasks(ctx context.Context, n, tlen int, fn func(worker, task, lo, hi int)) error {
	return ForTasksCtx(ctx, n, tlen, func(_ context.Context, w, t, lo, hi int) { fn(w, t, lo, hi) })
}

// ForTasksCtx is ForTasks for tasks that need a context: fn gets the
// context to run the task with.
func ForTasksCtx(ctx context.Context, n, tlen int, fn func(ctx context.Context, worker, task, lo, hi int)) error {
	tlen = max(tlen, 1)
	tasks := (n + tlen - 1) / tlen
	if tasks <= 0 {
		return ctx.Err()
	}
	// claims ends with ctx, once every task is handed out, or on a
	// panic: it ends waits for slots and the handing out.
	claims, stop := context.WithCancel(ctx)
	defer stop()
	holding := budget.Holding(ctx)
	var next atomic.Int64
	take := func() (int, bool) {
		if claims.Err() != nil {
			return 0, false
		}
		t := int(next.Add(1) - 1)
		if t >= tasks-1 {
			stop()
		}
		return t, t < tasks
	}
	// one runs one task on a slot, or reports false when none is left.
	one := func(w int, claim claimFunc) bool {
		release, claimed, ok := claim(claims)
		if !ok {
			return false
		}
		defer release()
		t, ok := take()
		if !ok {
			return false
		}
		tctx := ctx
		if claimed {
			tctx = holding
		}
		fn(tctx, w, t, t*tlen, min((t+1)*tlen, n))
		return true
	}
	g := NewGroup(stop)
	helper := claimWaiting
	if !budget.Waits(ctx) {
		helper = claimFree // the caller holds a slot or needs none: never wait
	}
	for w := 1; w < Workers(tasks); w++ {
		g.Go(func() {
			for one(w, helper) {
			}
		})
	}
	g.Do(func() {
		for one(0, claimWaiting) {
		}
	})
	g.Wait()
	return ctx.Err()
}

// claimFunc claims a slot for one task: release gives it back, claimed
// says one was taken, ok false means give up (no slot, ctx ended).
type claimFunc func(ctx context.Context) (release func(), claimed, ok bool)

// claimWaiting is budget.Claim: it waits when ctx may wait, and claims
// nothing when ctx holds a slot or has no limit.
func claimWaiting(ctx context.Context) (func(), bool, bool) {
	release, claimed, err := budget.Claim(ctx)
	return release, claimed, err == nil
}

// claimFree takes a slot only if one is free.
func claimFree(ctx context.Context) (func(), bool, bool) {
	release, ok := budget.TryClaim(ctx)
	return release, ok, ok
}
