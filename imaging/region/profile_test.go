package region

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"

	"cartago/imaging"
	"cartago/imaging/stats"
)

// memCube is an in-memory cube; reads count the values decoded.
type memCube struct {
	planes []imaging.Plane
	read   atomic.Int64
	fail   int // channel whose read fails, -1 for none
}

func newMemCube(w, h, depth int) *memCube {
	c := &memCube{fail: -1}
	for i := range depth {
		c.planes = append(c.planes, testPlane(w, h, float64(i), uint64(i)+100))
	}
	return c
}

var errRead = errors.New("read failed")

func (c *memCube) Shape() (int, int, int) {
	return c.planes[0].Width, c.planes[0].Height, len(c.planes)
}

func (c *memCube) ReadPlane(dst []float32, ch int) error {
	if ch == c.fail {
		return errRead
	}
	c.read.Add(int64(len(dst)))
	copy(dst, c.planes[ch].Data)
	return nil
}

// bandCube also reads bands of rows.
type bandCube struct{ *memCube }

func (c bandCube) ReadRows(dst []float32, ch, y0, rows int) error {
	w := c.planes[ch].Width
	c.read.Add(int64(len(dst)))
	copy(dst, c.planes[ch].Data[y0*w:(y0+rows)*w])
	return nil
}

// rectCube also reads rectangles (and, unused then, bands).
type rectCube struct{ bandCube }

func (c rectCube) ReadRect(dst []float32, ch, x0, y0, w, rows int) error {
	p := c.planes[ch]
	c.read.Add(int64(len(dst)))
	for y := range rows {
		copy(dst[y*w:(y+1)*w], p.Data[(y0+y)*p.Width+x0:])
	}
	return nil
}

func TestSpectralProfile(t *testing.T) {
	cube := newMemCube(120, 90, 23)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		for name, d := range testRegions {
			m := mustMask(t, d.scaled(0.4), 120, 90)
			var want []stats.Basic
			for _, p := range cube.planes {
				s, err := Compute(context.Background(), p, m)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, s)
			}
			for _, src := range []Planes{cube, bandCube{cube}, rectCube{bandCube{cube}}} {
				cube.read.Store(0)
				calls, last := 0, 0
				got, err := SpectralProfile(context.Background(), src, m, func(done int, prof []stats.Basic) {
					calls++
					if done != last+1 || len(prof) != 23 {
						t.Errorf("progress(%d, %d entries) after %d", done, len(prof), last)
					}
					last = done
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) || calls != 23 {
					t.Errorf("%s procs %d %T: profile differs from per-plane Compute (%d progress calls)", name, procs, src, calls)
				}
				box := m.Bounds()
				if _, ok := src.(RectReader); ok {
					if cube.read.Load() != int64(23*box.Dx()*box.Dy()) {
						t.Errorf("%s: rectangle reader decoded %d values, want %d", name, cube.read.Load(), 23*box.Dx()*box.Dy())
					}
				} else if _, ok := src.(RowReader); ok && cube.read.Load() != int64(23*120*box.Dy()) {
					t.Errorf("%s: band reader decoded %d values, want %d", name, cube.read.Load(), 23*120*box.Dy())
				}
			}
		}
	}
}

// scaled returns d with coordinates and sizes multiplied by f.
func (d Desc) scaled(f float64) Desc {
	d = d.clone()
	for i := range d.Points {
		d.Points[i].X *= f
		d.Points[i].Y *= f
	}
	return d
}

func TestSpectralProfileCancelAndErrors(t *testing.T) {
	cube := newMemCube(64, 64, 40)
	m := mustMask(t, rect(30, 30, 20, 20, 0), 64, 64)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		_, err := SpectralProfile(ctx, cube, m, func(done int, _ []stats.Basic) {
			calls++
			if done == 3 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) || calls > 3+procs {
			t.Errorf("procs %d: cancelled profile: %v after %d calls", procs, err, calls)
		}
		cube.fail = 17
		if _, err := SpectralProfile(context.Background(), cube, m, nil); !errors.Is(err, errRead) {
			t.Errorf("procs %d: read error: %v", procs, err)
		}
		cube.fail = -1
	}
	if _, err := SpectralProfile(context.Background(), cube, mustMask(t, rect(30, 30, 20, 20, 0), 65, 64), nil); !errors.Is(err, ErrMismatch) {
		t.Errorf("size mismatch: %v", err)
	}
}

func TestValues(t *testing.T) {
	prof := []stats.Basic{stats.Compute([]float32{1, 2, 3}), {}, stats.Compute([]float32{4})}
	got := Values(prof, Mean, Brightness{})
	if got[0] != 2 || got[2] != 4 || got[1] == got[1] {
		t.Errorf("Values(Mean) = %v, want [2 NaN 4]", got)
	}
}
