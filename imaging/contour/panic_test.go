package contour

import (
	"context"
	"runtime"
	"testing"

	"cartago/imaging"
	"cartago/imaging/budget"
)

func recoverPanic(fn func()) (p any) {
	defer func() { p = recover() }()
	fn()
	return nil
}

func TestStreamRaisesEmitPanicInCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const n = 64
	plane := imaging.Plane{Width: n, Height: n, Data: make([]float32, n*n)}
	for i := range plane.Data {
		plane.Data[i] = float32(i % n)
	}
	levels := []float64{5, 10, 20, 30, 40, 50}
	p := recoverPanic(func() {
		_ = Stream(context.Background(), Field{Plane: plane, Scale: 1}, levels, 0, func(c Chunk) error {
			if c.Index == 3 {
				panic("emit failed")
			}
			return nil
		})
	})
	if pe, ok := p.(*imaging.Panic); !ok || pe.Value != "emit failed" {
		t.Fatalf("recovered %T %v, want *imaging.Panic", p, p)
	}
}

func TestParallelRowsRaisesPanicInCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	p := recoverPanic(func() {
		_ = parallelRows(context.Background(), 1000, func(y0, _ int) {
			if y0 == 640 {
				panic("smoothing failed")
			}
		})
	})
	if pe, ok := p.(*imaging.Panic); !ok || pe.Value != "smoothing failed" {
		t.Fatalf("recovered %T %v, want *imaging.Panic", p, p)
	}
}

// TestStreamEmitsWithoutASlot: emit may block on a slow client, which
// must not keep a compute slot from other sessions.
func TestStreamEmitsWithoutASlot(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // one tracer: the only slot is its
	const n = 64
	plane := imaging.Plane{Width: n, Height: n, Data: make([]float32, n*n)}
	for i := range plane.Data {
		plane.Data[i] = float32(i % n)
	}
	c := budget.NewCompute(1)
	ctx := budget.WithCompute(context.Background(), c, budget.Bulk)
	emitted := 0
	err := Stream(ctx, Field{Plane: plane, Scale: 1}, []float64{5, 10, 20}, 0, func(Chunk) error {
		emitted++
		if s := c.Stats(); s.Free != 1 {
			t.Errorf("emit called holding a slot: %+v", s)
		}
		return nil
	})
	if err != nil || emitted != 3 {
		t.Fatalf("Stream = %v after %d chunks, want 3", err, emitted)
	}
}
