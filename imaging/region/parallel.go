package region

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelRange calls fn on consecutive pieces [lo, hi) of [0, n) of at
// most chunk items, from up to GOMAXPROCS goroutines (inline when there
// is one piece or one processor), and returns when all are done.
func parallelRange(n, chunk int, fn func(lo, hi int)) {
	_ = parallelTasks(context.Background(), n, chunk, func(_, _, lo, hi int) { fn(lo, hi) })
}

// parallelTasks splits [0, n) into tasks of chunk items and calls
// fn(worker, task, lo, hi) for each from up to GOMAXPROCS goroutines,
// handing tasks out dynamically. It stops handing out tasks once ctx is
// done and then returns ctx.Err().
func parallelTasks(ctx context.Context, n, chunk int, fn func(worker, task, lo, hi int)) error {
	chunk = max(chunk, 1)
	tasks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), tasks)
	var next atomic.Int64
	run := func(w int) {
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks || ctx.Err() != nil {
				return
			}
			fn(w, t, t*chunk, min((t+1)*chunk, n))
		}
	}
	if workers <= 1 {
		run(0)
		return ctx.Err()
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { run(w) })
	}
	wg.Wait()
	return ctx.Err()
}
