#!/usr/bin/env bash
# CASA images against FITS and python-casacore (issue 16): builds cartago
# and scripts/benchcasa, which writes a 1024×1024×200 float32 cube,
# converts it to a CASA image with python-casacore and, in one run,
# times open → first histogram and a 200-channel cursor spectral profile
# of both through the real server, and our reader's whole-image read
# against python-casacore's getdata() (ratio; target ≥ 1; checksums
# must agree). Prints the server's peak RSS and its RSS after the
# sessions ended.
#
# Environment:
#   CARTAGO_BENCH_CASA_DIR  folder for the images (kept between runs when
#                           set; default a new temporary folder, removed)
#   CARTAGO_BENCH_REPS      timed rounds (default 5)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"
bench=bench-casa
source scripts/bench-lib.sh
"${python}" -c 'import casacore.images' 2>/dev/null || { log "${python} lacks python-casacore: apt-get install python3-casacore"; exit 1; }

bin="$(mktemp -d)"
trap 'rm -rf "${bin}"' EXIT
go build -o "${bin}/cartago" ./cmd/cartago
go build -o "${bin}/benchcasa" ./scripts/benchcasa
"${bin}/benchcasa" -bin "${bin}/cartago" -script scripts/casa-fixture.py -py scripts/benchcasa/read.py \
  -python "${python}" -dir "${CARTAGO_BENCH_CASA_DIR:-}" -reps "${CARTAGO_BENCH_REPS:-5}"
