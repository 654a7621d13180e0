package imaging

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers is how many goroutines ForTasks uses for the given number of
// tasks: GOMAXPROCS, or fewer when there are fewer tasks.
func Workers(tasks int) int { return min(runtime.GOMAXPROCS(0), tasks) }

// ForTasks splits [0, n) into tasks of tlen items and calls
// fn(worker, task, lo, hi) for each from Workers goroutines (inline when
// there is one), handing tasks out dynamically so a slow core does not
// hold the others back. worker indexes per-goroutine scratch state. It
// stops handing out tasks once ctx is done and then returns ctx.Err().
func ForTasks(ctx context.Context, n, tlen int, fn func(worker, task, lo, hi int)) error {
	tlen = max(tlen, 1)
	tasks := (n + tlen - 1) / tlen
	workers := Workers(tasks)
	var next atomic.Int64
	run := func(w int) {
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks || ctx.Err() != nil {
				return
			}
			fn(w, t, t*tlen, min((t+1)*tlen, n))
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
