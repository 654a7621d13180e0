package fits

import (
	"math"
	"testing"
)

const benchSide = 4096

// benchImage writes a 4096×4096 image of the given BITPIX once per
// benchmark and returns it opened.
func benchImage(b *testing.B, bitpix int, extra ...string) *Image {
	b.Helper()
	n := benchSide * benchSide
	var data []byte
	switch bitpix {
	case -32:
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(math.Sin(float64(i)))
		}
		data = bigEndian(v)
	case 16:
		v := make([]int16, n)
		for i := range v {
			v[i] = int16(i)
		}
		data = bigEndian(v)
	}
	cards := append(imageCards(true, bitpix, benchSide, benchSide), extra...)
	path := writeTemp(b, "bench.fits", rawFITS(rawHDU{cards: cards, data: data}))
	return mustImage(b, mustOpen(b, path), "")
}

// benchPlane measures ReadPlane into a reused buffer (pages warm).
func benchPlane(b *testing.B, im *Image) {
	dst := make([]float32, benchSide*benchSide)
	b.SetBytes(im.DataLen())
	b.ResetTimer()
	for b.Loop() {
		if err := im.ReadPlane(dst, 0, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlaneFloat32(b *testing.B) { benchPlane(b, benchImage(b, -32)) }

func BenchmarkPlaneFloat32Scaled(b *testing.B) {
	benchPlane(b, benchImage(b, -32, kv("BSCALE", 2.0), kv("BZERO", 1.0)))
}

func BenchmarkPlaneInt16Scaled(b *testing.B) {
	benchPlane(b, benchImage(b, 16, kv("BSCALE", 0.5), kv("BZERO", 10.0), kv("BLANK", -32768)))
}

// BenchmarkPlaneFloat32Alloc includes allocating the Plane.
func BenchmarkPlaneFloat32Alloc(b *testing.B) {
	im := benchImage(b, -32)
	b.SetBytes(im.DataLen())
	b.ResetTimer()
	for b.Loop() {
		if _, err := im.Plane(0, 0); err != nil {
			b.Fatal(err)
		}
	}
}
