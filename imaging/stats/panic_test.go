package stats

import (
	"context"
	"runtime"
	"testing"

	"cartago/imaging"
)

// panicCube panics when plane at is read.
type panicCube struct {
	*memCube
	at int
}

func (c panicCube) ReadRows(dst []float32, i, y0, rows int) error {
	if i == c.at {
		panic("corrupt plane")
	}
	return c.memCube.ReadRows(dst, i, y0, rows)
}

func TestCubeHistogramRaisesReaderPanicInCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // planes on several goroutines
	src := panicCube{newCube(9, 32, 24), 6}
	var p any
	func() {
		defer func() { p = recover() }()
		_, _, _ = CubeHistogram(context.Background(), src, Config{}, nil, nil)
	}()
	if pe, ok := p.(*imaging.Panic); !ok || pe.Value != "corrupt plane" {
		t.Fatalf("recovered %T %v, want *imaging.Panic of the reader's", p, p)
	}
}
