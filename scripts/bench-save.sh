#!/usr/bin/env bash
# SAVE_FILE throughput (issue 12): builds cartago and scripts/benchsave,
# which saves channels 50..149 of a 1024×1024×200 float32 cube through
# the real server over loopback and compares the MB/s with cp of the
# same bytes; prints the ratio and the server's peak RSS while saving.
#
# Environment:
#   CARTAGO_BENCH_SAVE_DIR  folder for the cube (kept between runs when
#                           set; default a new temporary folder, removed)
#   CARTAGO_BENCH_REPS      timed runs of each (default 5)
#   CARTAGO_BENCH_INT16     1: the cube stored as scaled int16, which a
#                           save decodes (the banded path, not a copy)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT
go build -o "${out}/cartago" ./cmd/cartago
go build -o "${out}/benchsave" ./scripts/benchsave
"${out}/benchsave" -bin "${out}/cartago" -dir "${CARTAGO_BENCH_SAVE_DIR:-}" -reps "${CARTAGO_BENCH_REPS:-5}" \
  -int16="$([[ "${CARTAGO_BENCH_INT16:-}" == 1 ]] && echo true || echo false)"
