#!/usr/bin/env bash
# Measures cartago on a 3-member etcd cluster (embedded in the Go test
# process, loopback, fsync on) against bbolt, and prints the figures of
# issue 15:
#   - checkpoint commit latency, p50 and p99, etcd and bbolt side by side
#     in one run (store/etcd_bench_test.go: 200 sessions changing 10
#     times a second, one group commit of 100 snapshots every 50 ms),
#     with their ratios and the peak RSS of the process;
#   - failover time, from SIGKILL of the node serving a session to
#     RESUME_SESSION_ACK from another node through a reverse proxy, with
#     no client reconnect delay (cmd/cartago/etcd_process_test.go, run
#     CARTAGO_BENCH_FAILOVER_RUNS times, default 5; median and maximum),
#     against the target of 2 s.
# Environment: CARTAGO_BENCH_COMMITS (default 200), GOMAXPROCS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOMAXPROCS=${GOMAXPROCS:-2}
commits=${CARTAGO_BENCH_COMMITS:-200}
runs=${CARTAGO_BENCH_FAILOVER_RUNS:-5}

echo "== checkpoint commit, $commits commits of 100 snapshots"
go test -run '^$' -bench CheckpointCommit -benchtime "${commits}x" ./store | grep -E 'Benchmark|RSS'

echo "== failover, $runs runs"
go test -count="$runs" -v -run 'TestEtcdNodeKilledSessionResumesElsewhere$' ./cmd/cartago |
	sed -n 's/.*through the proxy in \([0-9.]*\)\(ms\|s\).*/\1 \2/p' |
	awk '{ v = ($2 == "s") ? $1 * 1000 : $1; print v }' | sort -n |
	awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "no failover measured"; exit 1 }
		med = a[int((NR + 1) / 2)]
		printf "failover SIGKILL -> RESUME_SESSION_ACK: median %.0f ms, max %.0f ms over %d runs; target 2000 ms (ratio %.3f)\n", med, a[NR], NR, med / 2000
	}'
