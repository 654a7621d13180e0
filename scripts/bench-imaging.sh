#!/usr/bin/env bash
# Benchmarks cartago's imaging against numpy/astropy on the same sample
# FITS files, in one run, and prints a table with the ../shared/perf.md
# targets:
#   - our kernels on the real files (scripts/benchimaging: per-channel
#     histogram of the 4096² image, basic statistics, cube histogram of
#     the 512²×200 cube, cursor spectrum through it) against the same
#     operations in numpy + astropy.io.fits (scripts/bench_imaging.py),
#     whose results must agree with ours;
#   - the websocket benchmarks of ws/bench_test.go (open to last tile,
#     warm viewport tiles, cursor spectrum), which have no numpy peer.
# Rounds run Go, numpy and the websocket benchmarks in turn (ABAB..., as
# perf.md (e) asks); each reports medians of repeated runs after a
# warm-up, the table the median and range over rounds. Exits non-zero if
# a cross-check fails.
#
# Installs Debian's python3-numpy and python3-astropy if missing (apt, as
# root or with sudo). Environment:
#   CARTAGO_BENCH_SAMPLE     sample data directory, generated if missing
#                            (default $TMPDIR/cartago-bench-sample, also
#                            what `go test -bench` in ws uses)
#   CARTAGO_BENCH_ROUNDS     interleaved rounds (default 5)
#   CARTAGO_BENCH_REPS       timed runs per kernel per round (default 7)
#   CARTAGO_BENCH_BENCHTIME  -benchtime of the websocket benchmarks
#                            (default 20x)
#   CARTAGO_BENCH_OUT        where raw results go (default a new temp dir)
#   CARTAGO_BENCH_PYTHON     interpreter (default Debian's /usr/bin/python3,
#                            which the apt packages are for)
#   GOMAXPROCS               default 2, as in perf.md (e)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

bench=bench-imaging
source scripts/bench-lib.sh

rounds="${CARTAGO_BENCH_ROUNDS:-5}"
reps="${CARTAGO_BENCH_REPS:-7}"
benchtime="${CARTAGO_BENCH_BENCHTIME:-20x}"

py() { run_python scripts/bench_imaging.py "$@"; }

install_python
sample_data
go build -o "${out}/benchimaging" ./scripts/benchimaging
go test -c -o "${out}/ws.test" ./ws

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before="$(load)"
: >"${out}/gobench.txt"
for i in $(seq 1 "${rounds}"); do
  log "round ${i}/${rounds}"
  "${out}/benchimaging" -dir "${CARTAGO_BENCH_SAMPLE}" -reps "${reps}" -o "${out}/go-${i}.json"
  py measure --dir "${CARTAGO_BENCH_SAMPLE}" --go-json "${out}/go-${i}.json" --reps "${reps}" -o "${out}/np-${i}.json"
  "${out}/ws.test" -test.run '^$' -test.bench '^Benchmark(OpenToLastTile|ViewportTiles|ViewportTilesInProcess|CursorSpectrum)$' \
    -test.benchtime "${benchtime}" >>"${out}/gobench.txt"
done
load_after="$(load)"

set +e
{
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average before ${load_before}, after ${load_after}"
  py report --dir "${CARTAGO_BENCH_SAMPLE}" --go "${out}"/go-*.json --np "${out}"/np-*.json --gobench "${out}/gobench.txt"
} | tee "${out}/report.txt"
status="${PIPESTATUS[0]}"
set -e
log "raw results in ${out}"
exit "${status}"
