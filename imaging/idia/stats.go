package idia

import (
	"math"

	"cartago/imaging/hdf5"
	"cartago/imaging/stats"
)

// statsSet is one Statistics group (XY: per plane; XYZ: per cube).
// MIN, MAX, SUM, SUM_SQ and NAN_COUNT are read at open (one value per
// plane or Stokes); HISTOGRAM is read per plane when asked for.
type statsSet struct {
	min, max, sum, sumSq []float64
	nan                  []int64
	hist                 *hdf5.Dataset
	bins                 int
}

// readStats reads group name of Statistics, whose datasets have rank
// lead dimensions ([stokes][channel] trimmed to the image's axes); nil
// when it is absent or does not fit the image.
func (im *Image) readStats(o *hdf5.Object, name string, lead int) *statsSet {
	if lead < 0 {
		return nil
	}
	g, err := o.Child(name)
	if err != nil {
		return nil
	}
	want := im.leadShape(lead)
	n := 1
	for _, v := range want {
		n *= v
	}
	s := &statsSet{}
	for _, k := range []struct {
		name string
		dst  *[]float64
	}{{"MIN", &s.min}, {"MAX", &s.max}, {"SUM", &s.sum}, {"SUM_SQ", &s.sumSq}} {
		d := dataset(g, k.name, want)
		if d == nil {
			return nil
		}
		*k.dst = make([]float64, n)
		if d.ReadFloat64(*k.dst, make([]int, lead), want) != nil {
			return nil
		}
	}
	d := dataset(g, "NAN_COUNT", want)
	if d == nil {
		return nil
	}
	s.nan = make([]int64, n)
	if d.ReadInt64(s.nan, make([]int, lead), want) != nil {
		return nil
	}
	if c, err := g.Child("HISTOGRAM"); err == nil {
		if h, err := c.Dataset(); err == nil && len(h.Shape) == lead+1 && equal(h.Shape[:lead], want) && h.Shape[lead] > 0 {
			s.hist, s.bins = h, h.Shape[lead]
		}
	}
	return s
}

// leadShape is [stokes][channel] trimmed to the last lead dimensions.
func (im *Image) leadShape(lead int) []int {
	full := []int{im.Layout.Stokes, im.Layout.Depth}
	return full[2-lead:]
}

func dataset(g *hdf5.Object, name string, shape []int) *hdf5.Dataset {
	c, err := g.Child(name)
	if err != nil {
		return nil
	}
	d, err := c.Dataset()
	if err != nil || !equal(d.Shape, shape) {
		return nil
	}
	return d
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// index is the position of (channel, stokes) in a set of lead dims.
func (im *Image) index(lead, channel, stokes int) (int, []int) {
	switch lead {
	case 0:
		return 0, nil
	case 1:
		if im.Layout.Depth > 1 || im.Layout.Stokes == 1 {
			return channel, []int{channel}
		}
		return stokes, []int{stokes}
	}
	return stokes*im.Layout.Depth + channel, []int{stokes, channel}
}

// basic is the summary the set stores at position i.
func (s *statsSet) basic(i int, pixels int64) stats.Basic {
	b := stats.Basic{Count: pixels - s.nan[i], NaNCount: s.nan[i], Sum: s.sum[i], SumSq: s.sumSq[i],
		Min: float32(s.min[i]), Max: float32(s.max[i]), MinIndex: -1, MaxIndex: -1}
	if b.Count <= 0 {
		b.Count, b.Min, b.Max = 0, float32(math.NaN()), float32(math.NaN())
	}
	return b
}

// histogram returns the stored histogram at i if it is the one cfg
// asks for: automatic bins over the data's own range.
func (s *statsSet) histogram(lead int, pos []int, b stats.Basic, cfg stats.Config, autoBins int) (stats.Histogram, bool) {
	if s.hist == nil || cfg.FixedBounds || (cfg.NumBins > 0 && cfg.NumBins != autoBins) || s.bins != autoBins {
		return stats.Histogram{}, false
	}
	nb, lo, hi, err := cfg.Resolve(autoBins, b)
	if err != nil || nb != s.bins || lo != float64(b.Min) || hi != float64(b.Max) {
		return stats.Histogram{}, false // the placeholder of an empty or flat plane: computed
	}
	counts := make([]int64, nb)
	start, count := make([]int, lead+1), make([]int, lead+1)
	copy(start, pos)
	for i := range lead {
		count[i] = 1
	}
	count[lead] = nb
	if s.hist.ReadInt64(counts, start, count) != nil {
		return stats.Histogram{}, false
	}
	h := stats.NewHistogram(nb, lo, hi)
	for i, c := range counts {
		h.Bins[i] = int32(min(max(c, 0), math.MaxInt32))
	}
	h.Mean, h.StdDev = b.Mean(), sigma(b)
	return h, true
}

// sigma is the sample standard deviation from the stored sums.
func sigma(b stats.Basic) float64 {
	if b.Count <= 1 {
		return math.NaN()
	}
	n := float64(b.Count)
	v := (b.SumSq - b.Sum*b.Sum/n) / (n - 1)
	return math.Sqrt(max(v, 0))
}

// PlaneHistogram returns the stored histogram of plane (channel,
// stokes) when it answers cfg, and the plane's statistics; ok is false
// when the file has none or cfg asks for other bins.
func (im *Image) PlaneHistogram(channel, stokes int, cfg stats.Config) (stats.Histogram, bool) {
	if im.xy == nil || channel < 0 || channel >= im.Layout.Depth || stokes < 0 || stokes >= im.Layout.Stokes {
		return stats.Histogram{}, false
	}
	lead := len(im.data.Shape) - 2
	i, pos := im.index(lead, channel, stokes)
	l := im.Layout
	b := im.xy.basic(i, int64(l.Width)*int64(l.Height))
	return im.xy.histogram(lead, pos, b, cfg, stats.AutoBins(l.Width, l.Height))
}

// CubeHistogram is PlaneHistogram for the whole cube of a Stokes.
func (im *Image) CubeHistogram(stokes int, cfg stats.Config) (stats.Histogram, bool) {
	if im.xyz == nil || im.Layout.Depth < 2 || stokes < 0 || stokes >= im.Layout.Stokes {
		return stats.Histogram{}, false
	}
	lead := len(im.data.Shape) - 3
	i, pos := 0, []int(nil)
	if lead == 1 {
		i, pos = stokes, []int{stokes}
	}
	l := im.Layout
	b := im.xyz.basic(i, int64(l.Width)*int64(l.Height)*int64(l.Depth))
	return im.xyz.histogram(lead, pos, b, cfg, stats.AutoBins(l.Width, l.Height))
}
