#!/usr/bin/env bash
# Measures region file import on the real server (scripts/benchregionfile):
# a CRTF and a DS9 file of 10,000 regions in world coordinates, time from
# IMPORT_REGION to its ack and to the statistics of every region, and the
# server's peak RSS. Environment:
#   CARTAGO_BENCH_REGIONS  regions per file (default 10000)
#   CARTAGO_BENCH_REPS     imports per format (default 3)
#   GOMAXPROCS             default 2, as in perf.md (e)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"
export GOMAXPROCS="${GOMAXPROCS:-2}"
out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT
go build -o "${out}/cartago" ./cmd/cartago
go build -o "${out}/benchregionfile" ./scripts/benchregionfile
echo "machine: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"${out}/benchregionfile" -bin "${out}/cartago" -n "${CARTAGO_BENCH_REGIONS:-10000}" -reps "${CARTAGO_BENCH_REPS:-3}"
