#!/usr/bin/env bash
# PV image (issue 13): builds cartago and scripts/benchpv, which asks the
# real server over a websocket for the PV image of a 1,000-pixel line,
# width 3, through 200 channels of a 1024×1024×200 float32 cube, and
# computes the same sampling with numpy (scripts/benchpv/pv_numpy.py,
# /usr/bin/python3 with numpy and astropy) in the same run. Prints both
# times and their ratio (target: cartago/numpy <= 0.33), the server's
# peak RSS and its RSS after the session ended, and the largest
# difference between the results; exits non-zero if they disagree.
#
# Environment:
#   CARTAGO_BENCH_PV_DIR  folder for the cube (kept between runs when
#                         set; default a new temporary folder, removed)
#   CARTAGO_BENCH_REPS    timed runs of each (default 5)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"
if ! /usr/bin/python3 -c "import numpy, astropy" 2>/dev/null; then
  echo "bench-pv: /usr/bin/python3 cannot import numpy and astropy (sudo apt-get install -y python3-numpy python3-astropy)" >&2
  exit 1
fi

out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT
go build -o "${out}/cartago" ./cmd/cartago
go build -o "${out}/benchpv" ./scripts/benchpv
"${out}/benchpv" -bin "${out}/cartago" -script scripts/benchpv/pv_numpy.py \
  -dir "${CARTAGO_BENCH_PV_DIR:-}" -reps "${CARTAGO_BENCH_REPS:-5}"
