package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/scripts/procstat"
	"cartago/store/etcdtest"
)

// BenchmarkCheckpointCommit compares the group commit on bbolt (one
// file, fsync) and on a 3-member etcd cluster on loopback (embedded in
// this process, fsync on each member), side by side, under the load of
// 200 sessions changing 10 times a second with the default 50 ms
// checkpoint interval: each commit, paced at 50 ms, writes the 100
// sessions that changed in it (snapshots of about 1.5 KB: two images
// with regions and requirements). It reports p50 and p99 commit latency
// of each and their ratios, and the process's peak RSS (which includes
// the three etcd members).
//
//	go test -run '^$' -bench CheckpointCommit -benchtime 200x ./store
func BenchmarkCheckpointCommit(b *testing.B) {
	peak := procstat.StartPeak(os.Getpid())
	c := etcdtest.Start(b, 3)
	ets, err := OpenEtcd(EtcdConfig{Endpoints: c.Endpoints(), Prefix: "/bench/"})
	if err != nil {
		b.Fatal(err)
	}
	defer ets.Close()
	bolt, err := Open(filepath.Join(b.TempDir(), "s.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer bolt.Close()
	var lat [2][]time.Duration
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		batch := benchBatch(i)
		for k, s := range []*Store{bolt, ets} {
			start := time.Now()
			if err := s.Put(batch...); err != nil {
				b.Fatal(err)
			}
			lat[k] = append(lat[k], time.Since(start))
		}
	}
	b.StopTimer()
	ms := func(k int, q float64) float64 {
		l := slices.Sorted(slices.Values(lat[k]))
		return float64(l[min(len(l)-1, int(q*float64(len(l))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(proto.Size(benchBatch(0)[0])), "snapshot-bytes")
	b.ReportMetric(ms(0, 0.5), "bbolt-p50-ms")
	b.ReportMetric(ms(0, 0.99), "bbolt-p99-ms")
	b.ReportMetric(ms(1, 0.5), "etcd-p50-ms")
	b.ReportMetric(ms(1, 0.99), "etcd-p99-ms")
	b.ReportMetric(ms(1, 0.5)/ms(0, 0.5), "p50-ratio")
	b.ReportMetric(ms(1, 0.99)/ms(0, 0.99), "p99-ratio")
	if m, err := peak.Stop(); err == nil {
		b.Logf("peak RSS %s (test process with three etcd members)", procstat.MiB(m.RSS))
	}
	if m, err := procstat.ReadMem(os.Getpid()); err == nil {
		b.Logf("RSS after the commits %s", procstat.MiB(m.RSS))
	}
}

// benchBatch is the 100 sessions of 200 that changed in commit i.
func benchBatch(i int) []*Snapshot {
	var out []*Snapshot
	for k := range 100 {
		id := uint32((i%2)*100 + k)
		snap := &Snapshot{SessionId: id, LastActiveUnixMs: time.Now().UnixMilli(), Owner: make([]byte, 32)}
		for f := range 2 {
			img := &Image{FileId: int32(f), Directory: "data/survey", File: fmt.Sprintf("cube-%d.fits", f), Channel: int32(i % 100),
				Regions: map[int32]*Region{}}
			for r := range 4 {
				img.Regions[int32(r+1)] = &Region{Info: &icd.RegionInfo{RegionType: icd.RegionType_POLYGON,
					ControlPoints: []*icd.Point{{X: 1, Y: 2}, {X: 30, Y: 4}, {X: 25, Y: 40}, {X: 3, Y: 33}}},
					Stats: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum, icd.StatsType_Mean}}}}
			}
			snap.Images = append(snap.Images, img)
		}
		out = append(out, snap)
	}
	return out
}
