#!/usr/bin/env bash
# Benchmarks cartago's region kernels (imaging/region) against numpy on
# the same sample FITS files and regions, in one run, and prints a table
# with the ../shared/perf.md targets:
#   - scripts/benchregions: masks, statistics of a box, a 400×400 box, a
#     rotated box, an ellipse and a polygon on image-4096.fits (plane in
#     memory), and spectral profiles of two regions through
#     cube-512x512x200.fits (from the file);
#   - scripts/bench_regions.py: the same with numpy and astropy.io.fits,
#     its masks computed independently (pixel centre inside or on the
#     outline); the report checks that masks are identical and the
#     statistics equal within 1e-9 relative of a float64 reference.
# Rounds run Go and numpy in turn (ABAB..., as perf.md (e) asks); each
# reports medians of repeated runs after a warm-up, the table the median
# and range over rounds. Exits non-zero if a cross-check fails.
#
# Installs Debian's python3-numpy and python3-astropy if missing (apt, as
# root or with sudo). Environment:
#   CARTAGO_BENCH_SAMPLE  sample data directory, generated if missing
#                         (default $TMPDIR/cartago-bench-sample, shared
#                         with scripts/bench-imaging.sh)
#   CARTAGO_BENCH_ROUNDS  interleaved rounds (default 5)
#   CARTAGO_BENCH_REPS    timed runs per operation per round (default 7)
#   CARTAGO_BENCH_OUT     where raw results go (default a new temp dir)
#   CARTAGO_BENCH_PYTHON  interpreter (default Debian's /usr/bin/python3,
#                         which the apt packages are for)
#   GOMAXPROCS            default 2, as in perf.md (e)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

bench=bench-regions
source scripts/bench-lib.sh

rounds="${CARTAGO_BENCH_ROUNDS:-5}"
reps="${CARTAGO_BENCH_REPS:-7}"

py() { run_python scripts/bench_regions.py "$@"; }

install_python
sample_data
go build -o "${out}/benchregions" ./scripts/benchregions

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before="$(load)"
for i in $(seq 1 "${rounds}"); do
  log "round ${i}/${rounds}"
  "${out}/benchregions" -dir "${CARTAGO_BENCH_SAMPLE}" -reps "${reps}" -o "${out}/go-${i}.json"
  py measure --dir "${CARTAGO_BENCH_SAMPLE}" --go-json "${out}/go-${i}.json" --reps "${reps}" -o "${out}/np-${i}.json"
done
load_after="$(load)"

set +e
{
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average before ${load_before}, after ${load_after}"
  py report --dir "${CARTAGO_BENCH_SAMPLE}" --go "${out}"/go-*.json --np "${out}"/np-*.json
} | tee "${out}/report.txt"
status="${PIPESTATUS[0]}"
set -e
log "raw results in ${out}"
exit "${status}"
