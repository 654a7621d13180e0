#!/usr/bin/env bash
# Compares imaging/zfp's encoder with the zfp C library, single-threaded,
# on the same 256x256 float32 tiles (8 deterministic noise and 8 smooth
# tiles, written by the Go test binary with -dumptiles), in one run:
# builds scripts/zfpref/zfpref.c against Debian's libzfp-dev (installed
# if missing; ZFPREF_CFLAGS/ZFPREF_LIBS pick another zfp, see
# scripts/zfpref/build.sh), then alternates the C tool and
# `go test -bench BenchmarkEncode` for a few rounds, both pinned to one
# CPU when taskset exists, and prints the best round of each.
#
#   scripts/bench-zfp.sh [PRECISION]    PRECISION: 9, 11 (default), 22 or 32
#
# Environment: ZFP_BENCH_ROUNDS (default 5), ZFP_BENCH_SECONDS per run
# (default 1).
#
# MB/s is raw float32 bytes per wall-clock second; cpu-MB/s per CPU second
# of the encoding thread, which is the fairer figure on a busy machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

p="${1:-11}"
case "${p}" in
  9 | 11 | 22 | 32) ;;
  *) echo "usage: bench-zfp.sh [9|11|22|32]" >&2; exit 2 ;;
esac
rounds="${ZFP_BENCH_ROUNDS:-5}"
secs="${ZFP_BENCH_SECONDS:-1}"

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
scripts/zfpref/build.sh "${tmp}/zfpref"
go test -c -o "${tmp}/zfp.test" ./imaging/zfp
"${tmp}/zfp.test" -test.run '^TestDumpBenchTiles$' -dumptiles "${tmp}" >/dev/null

pin=()
if command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c 0)
fi

# Each run prints "impl gen MB/s cpu-MB/s bytes_per_tile".
run_c() {
  "${pin[@]}" "${tmp}/zfpref" bench 256 256 "${p}" "${secs}" "${tmp}/$1.f32" |
    sed -E 's/.* MB\/s=([0-9.]+) cpu-MB\/s=([0-9.]+) bytes_per_tile=([0-9]+).*/\1 \2 \3/' |
    awk -v g="$1" '{print "c", g, $1, $2, $3}'
}
run_go() {
  "${pin[@]}" "${tmp}/zfp.test" -test.run '^$' -test.bench "^BenchmarkEncode/$1/p${p}\$" \
    -test.cpu 1 -test.benchtime "${secs}s" |
    awk -v g="$1" '/^BenchmarkEncode/ {
      for (i = 2; i <= NF; i++) {
        if ($i == "MB/s") mb = $(i-1)
        if ($i == "cpu-MB/s") cpu = $(i-1)
        if ($i == "B/tile") bytes = $(i-1)
      }
      print "go", g, mb, cpu, bytes
    }'
}

echo "C library: $("${tmp}/zfpref" version); Go: $(go env GOVERSION); precision ${p}; best of ${rounds} rounds of ${secs}s"
for ((r = 0; r < rounds; r++)); do
  for gen in noise smooth; do
    run_c "${gen}"
    run_go "${gen}"
  done
done | awk -v raw=$((256 * 256 * 4)) '
  { k = $1 " " $2; if ($3 > mb[k]) mb[k] = $3; if ($4 > cpu[k]) cpu[k] = $4; bytes[k] = $5 }
  END {
    printf "%-7s %10s %10s %6s   %12s %12s %6s   %11s %11s\n", "tile", "C MB/s", "Go MB/s", "Go/C",
      "C cpu-MB/s", "Go cpu-MB/s", "Go/C", "bytes/tile", "ratio"
    split("noise smooth", gens, " ")
    for (i = 1; i <= 2; i++) {
      g = gens[i]; c = "c " g; o = "go " g
      if (!(c in mb) || !(o in mb) || mb[c] == 0 || cpu[c] == 0) { print g ": missing results"; bad = 1; continue }
      printf "%-7s %10.1f %10.1f %6.2f   %12.1f %12.1f %6.2f   %11d %10.2fx\n", g, mb[c], mb[o], mb[o] / mb[c],
        cpu[c], cpu[o], cpu[o] / cpu[c], bytes[o], raw / bytes[o]
    }
    printf "(bytes/tile is our stream; uncompressed %d bytes. Debian libzfp pads streams to a byte, not a 64-bit word: up to 7 bytes less.)\n", raw
    exit bad
  }'
