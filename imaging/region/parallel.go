package region

import (
	"context"

	"cartago/imaging"
)

// parallelRange calls fn on consecutive pieces [lo, hi) of [0, n) of at
// most chunk items, from up to GOMAXPROCS goroutines (inline when there
// is one piece or one processor), and returns when all are done.
func parallelRange(n, chunk int, fn func(lo, hi int)) {
	_ = imaging.ForTasks(context.Background(), n, chunk, func(_, _, lo, hi int) { fn(lo, hi) })
}
