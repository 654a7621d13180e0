#!/usr/bin/env bash
# Moments against numpy (issue 13): builds cartago and
# scripts/benchmoments, which computes moment 0 and moment 1 of a
# 1024×1024×200 float32 cube through the real server over loopback and
# with numpy (/usr/bin/python3, memory-mapped FITS) in the same run;
# prints times, ratios (target: ours ≤ 0.33 of numpy's), the
# MOMENT_PROGRESS cadence, the server's peak RSS and its RSS after the
# session, and fails when the results disagree.
#
# Environment:
#   CARTAGO_BENCH_MOMENTS_DIR  folder for the cube (kept between runs when
#                              set; default a new temporary folder, removed)
#   CARTAGO_BENCH_REPS         timed rounds (default 5)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"
bench=bench-moments
source scripts/bench-lib.sh
install_python

bin="$(mktemp -d)"
trap 'rm -rf "${bin}"' EXIT
go build -o "${bin}/cartago" ./cmd/cartago
go build -o "${bin}/benchmoments" ./scripts/benchmoments
"${bin}/benchmoments" -bin "${bin}/cartago" -py scripts/benchmoments/moments.py -python "${python}" \
  -dir "${CARTAGO_BENCH_MOMENTS_DIR:-}" -reps "${CARTAGO_BENCH_REPS:-5}"
