#!/usr/bin/env bash
# What extra sessions cost (issue 10): builds cartago and
# scripts/benchscale, which starts the real server on loopback once per
# case and drives it like frontend 6.0.0 (permessage-deflate offered):
#   same: N = 1, 5, 20, 50 concurrent sessions each connect, register,
#         open the same 4096×4096 float32 image and get the fit view (16
#         ZFP tiles at quality 11) and the image histogram;
#   diff: the same with N different images (copies, distinct files);
#   seq:  200 such sessions one after another on the same image.
# Prints wall time for all N, p95 per session, peak RSS (VmRSS and
# RssAnon of the server process), RSS once the sessions ended and the
# idle timeout passed, and each session's cost beyond the first; then the
# ratios to the reference backend's figures quoted in issue 10 (the
# reference is not run here).
#
# Environment:
#   CARTAGO_BENCH_N           concurrent sessions (default 1,5,20,50)
#   CARTAGO_BENCH_SEQ         sequential sessions (default 200)
#   CARTAGO_BENCH_CASES       cases (default same,diff,seq)
#   CARTAGO_BENCH_IDLE        --idle-timeout of the server (default 15s)
#   CARTAGO_BENCH_BEFORE      a commit to measure too, first (e.g. main)
#   CARTAGO_CACHE_SIZE, CARTAGO_MEMORY_LIMIT  passed to the server
#   TMPDIR                    where the images go (51 × 64 MiB, reused)
#   GOMAXPROCS                default 2, as in perf.md (e)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"
export GOMAXPROCS="${GOMAXPROCS:-2}"

out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT
go build -o "${out}/benchscale" ./scripts/benchscale
args=(-n "${CARTAGO_BENCH_N:-1,5,20,50}" -seq "${CARTAGO_BENCH_SEQ:-200}" -cases "${CARTAGO_BENCH_CASES:-same,diff,seq}"
  -idle "${CARTAGO_BENCH_IDLE:-15s}" -cache-size "${CARTAGO_CACHE_SIZE:-}" -memory-limit "${CARTAGO_MEMORY_LIMIT:-}"
  -dir "${TMPDIR:-/tmp}/cartago-benchscale")

if [[ -n "${CARTAGO_BENCH_BEFORE:-}" ]]; then
  mkdir "${out}/before"
  git archive "${CARTAGO_BENCH_BEFORE}" | tar -x -C "${out}/before"
  (cd "${out}/before" && go build -o "${out}/cartago-before" ./cmd/cartago)
  echo "== before: $(git rev-parse --short "${CARTAGO_BENCH_BEFORE}")"
  "${out}/benchscale" -bin "${out}/cartago-before" "${args[@]}"
  echo
  echo "== after: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + changes')"
fi
go build -o "${out}/cartago" ./cmd/cartago
"${out}/benchscale" -bin "${out}/cartago" "${args[@]}"
