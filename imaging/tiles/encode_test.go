package tiles

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

var nan = float32(math.NaN())

func TestAppendUncompressed(t *testing.T) {
	inf := float32(math.Inf(1))
	data := []float32{1.5, nan, -2, inf, -inf, 0, float32(math.Copysign(0, -1)), nan}
	prefix := []byte{9, 9}
	got := AppendUncompressed(slices.Clone(prefix), data)
	if len(got) != len(prefix)+4*len(data) || got[0] != 9 || got[1] != 9 {
		t.Fatalf("len %d, prefix %v", len(got), got[:2])
	}
	for i, v := range data {
		u := binary.LittleEndian.Uint32(got[2+4*i:])
		want := math.Float32bits(v)
		if math.IsNaN(float64(v)) {
			want = 0xff7fffff // −FLT_MAX
		}
		if u != want {
			t.Errorf("value %d (%v): bits %#x, want %#x", i, v, u, want)
		}
	}
	if math.Float32frombits(0xff7fffff) != BlankValue {
		t.Errorf("BlankValue = %v", BlankValue)
	}
	buf := make([]byte, 0, 4*len(data))
	if n := testing.AllocsPerRun(10, func() { buf = AppendUncompressed(buf[:0], data) }); n != 0 {
		t.Errorf("AppendUncompressed with capacity allocates %v times", n)
	}
}

func TestNaNRuns(t *testing.T) {
	inf := float32(math.Inf(-1))
	tests := []struct {
		name string
		data []float32
		want []int32
	}{
		{"empty", nil, []int32{0}},
		{"no NaN", []float32{1, 2, inf, 4}, []int32{4}},
		{"all NaN", []float32{nan, nan, nan}, []int32{0, 3}},
		{"leading NaN", []float32{nan, nan, 1, 2, nan}, []int32{0, 2, 2, 1}},
		{"trailing valid", []float32{1, nan, 2, 3}, []int32{1, 1, 2}},
		{"single NaN", []float32{nan}, []int32{0, 1}},
		{"single valid", []float32{5}, []int32{1}},
		{"alternating", []float32{1, nan, 2, nan}, []int32{1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendNaNRuns(nil, tt.data)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("AppendNaNRuns = %v, want %v", got, tt.want)
			}
			var sum int32
			for _, r := range got {
				sum += r
			}
			if int(sum) != len(tt.data) {
				t.Errorf("runs sum to %d, want %d", sum, len(tt.data))
			}
			b := AppendNaNEncodings([]byte{7}, tt.data)
			if len(b) != 1+4*len(tt.want) {
				t.Fatalf("AppendNaNEncodings gave %d bytes", len(b))
			}
			for i, r := range tt.want {
				if v := int32(binary.LittleEndian.Uint32(b[1+4*i:])); v != r {
					t.Errorf("encoded run %d = %d, want %d", i, v, r)
				}
			}
		})
	}
}

func TestFillNaNBlocks(t *testing.T) {
	// 6×5 tile: blocks are x∈[0,4)/[4,6), y∈[0,4)/[4,5).
	data := []float32{
		1, 2, nan, 4, nan, nan,
		nan, 6, 7, 8, nan, nan,
		9, 10, 11, 12, nan, nan,
		13, 14, 15, nan, nan, nan,
		nan, 1, 2, 3, nan, 5,
	}
	FillNaNBlocks(data, 6, 5)
	// Block (0,0): valid values sum to 1+2+4+6+7+8+9+10+11+12+13+14+15 = 112, 13 values.
	m00 := float32(112) / 13
	// Block (4,0) is all NaN and stays so; block (0,4): 1+2+3 = 6/3 = 2;
	// block (4,4): 5.
	want := []float32{
		1, 2, m00, 4, nan, nan,
		m00, 6, 7, 8, nan, nan,
		9, 10, 11, 12, nan, nan,
		13, 14, 15, m00, nan, nan,
		2, 1, 2, 3, 5, 5,
	}
	for i := range want {
		g, w := data[i], want[i]
		if g != w && !(g != g && w != w) {
			t.Errorf("data[%d] (x=%d,y=%d) = %v, want %v", i, i%6, i/6, g, w)
		}
	}
}
