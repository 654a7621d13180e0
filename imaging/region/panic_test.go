package region

import (
	"context"
	"runtime"
	"testing"

	"cartago/imaging"
)

// panicCube panics when channel at is read.
type panicCube struct {
	*memCube
	at int
}

func (c panicCube) ReadPlane(dst []float32, ch int) error {
	if ch == c.at {
		panic("corrupt channel")
	}
	return c.memCube.ReadPlane(dst, ch)
}

func TestSpectralProfileRaisesReaderPanicInCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // the goroutine path
	src := panicCube{newMemCube(40, 30, 12), 5}
	m := mustMask(t, rect(20, 15, 10, 8, 0), 40, 30)
	var p any
	func() {
		defer func() { p = recover() }()
		_, _ = SpectralProfile(context.Background(), src, m, nil)
	}()
	if pe, ok := p.(*imaging.Panic); !ok || pe.Value != "corrupt channel" {
		t.Fatalf("recovered %T %v, want *imaging.Panic of the reader's", p, p)
	}
}
