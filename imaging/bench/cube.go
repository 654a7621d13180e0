package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"cartago/imaging/fits"
)

// The cube of perf.md (f)'s cube histogram and region spectral profile
// rows: 1024×1024×200 float32 (800 MiB).
const (
	BigCubeSide  = 1024
	BigCubeDepth = 200
)

// BigCube returns the path of the perf.md (f) cube, writing it first if
// missing, under $CARTAGO_BENCH_SAMPLE or os.TempDir()/cartago-bench-sample
// like SampleDir: Gaussian noise whose level and offset change with the
// channel, a NaN band of 0–15 rows in every plane and one all-NaN plane.
// The content is deterministic; a file already there is reused.
func BigCube(ctx context.Context) (string, error) {
	dir := os.Getenv(SampleDirEnv)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "cartago-bench-sample")
	}
	path := filepath.Join(dir, fmt.Sprintf("cube-%dx%dx%d.fits", BigCubeSide, BigCubeSide, BigCubeDepth))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := writeBigCube(ctx, tmp); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("bench: write %s: %w", path, err)
	}
	return path, os.Rename(tmp, path)
}

func writeBigCube(ctx context.Context, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	e := fits.NewEncoder(f)
	n := BigCubeSide
	if err := e.WriteHeader(fits.WriteHDU{Bitpix: -32, Naxis: []int{n, n, BigCubeDepth}}); err != nil {
		return err
	}
	plane := make([]float32, n*n)
	nan := float32(math.NaN())
	for c := range BigCubeDepth {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := rand.New(rand.NewPCG(uint64(c), 7))
		sigma, offset := 1+float64(c%7)/10, float64(c)/100
		for i := range plane {
			plane[i] = float32(offset + sigma*r.NormFloat64())
			if y := i / n; y >= 100 && y < 100+c%16 || c == BigCubeDepth*3/4 {
				plane[i] = nan
			}
		}
		if err := e.WriteData(plane); err != nil {
			return err
		}
	}
	if err := e.Close(); err != nil {
		return err
	}
	return f.Close()
}
