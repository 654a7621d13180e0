package zfp

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The benchmark tiles: benchTiles 256×256 tiles per generator, encoded
// round-robin so one hot tile does not flatter the cache. The same tiles
// feed the C library in scripts/bench-zfp.sh through -dumptiles.
const (
	benchSize  = 256
	benchTiles = 8
)

var dumpTiles = flag.String("dumptiles", "", "write the benchmark tiles as raw float32 files into this directory (scripts/bench-zfp.sh)")

func benchTileSet(gen string) [][]float32 {
	ts := make([][]float32, benchTiles)
	for i := range ts {
		ts[i] = generate(gen, benchSize, benchSize, uint64(i+1))
	}
	return ts
}

// TestDumpBenchTiles writes <gen>.f32 (all tiles of a generator,
// concatenated, native float32) for scripts/bench-zfp.sh.
func TestDumpBenchTiles(t *testing.T) {
	if *dumpTiles == "" {
		t.Skip("only with -dumptiles DIR (scripts/bench-zfp.sh)")
	}
	for _, gen := range []string{"noise", "smooth"} {
		var b []byte
		for _, tile := range benchTileSet(gen) {
			b = append(b, floatBytes(tile)...)
		}
		if err := os.WriteFile(filepath.Join(*dumpTiles, gen+".f32"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// cpuClock measures a benchmark loop in CPU time of its locked thread.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock {
	runtime.LockOSThread()
	return cpuClock{threadCPU()}
}

// report adds cpu-MB/s, throughput per CPU second of the benchmark's
// thread, when the platform can measure it, and unlocks the thread.
func (c cpuClock) report(b *testing.B) {
	defer runtime.UnlockOSThread()
	if d := threadCPU() - c.start; c.start > 0 && d > 0 {
		b.ReportMetric(float64(b.N)*4*benchSize*benchSize/d.Seconds()/1e6, "cpu-MB/s")
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, gen := range []string{"noise", "smooth"} {
		tiles := benchTileSet(gen)
		for _, p := range []int{9, 11, 22, 32} {
			b.Run(fmt.Sprintf("%s/p%d", gen, p), func(b *testing.B) {
				var e Encoder
				buf := make([]byte, 0, MaxSize(benchSize, benchSize, p))
				total := 0
				for _, tile := range tiles {
					total += len(e.Encode(buf[:0], tile, benchSize, benchSize, p))
				}
				b.SetBytes(4 * benchSize * benchSize)
				cpu := startCPU()
				for i := 0; b.Loop(); i++ {
					buf = e.Encode(buf[:0], tiles[i%benchTiles], benchSize, benchSize, p)
				}
				cpu.report(b)
				b.ReportMetric(float64(total)/benchTiles, "B/tile")
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, gen := range []string{"noise", "smooth"} {
		tiles := benchTileSet(gen)
		var e Encoder
		streams := make([][]byte, benchTiles)
		for i, tile := range tiles {
			streams[i] = e.Encode(nil, tile, benchSize, benchSize, 11)
		}
		b.Run(gen+"/p11", func(b *testing.B) {
			var d Decoder
			out := make([]float32, 0, benchSize*benchSize)
			b.SetBytes(4 * benchSize * benchSize)
			cpu := startCPU()
			for i := 0; b.Loop(); i++ {
				var err error
				if out, err = d.Decode(out[:0], streams[i%benchTiles], benchSize, benchSize, 11); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}
