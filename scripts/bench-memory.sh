#!/usr/bin/env bash
# Memory of open images and memory given back (issue 9, defect 2): builds
# cartago and scripts/benchmem, which start a real server on loopback
# with --idle-timeout 300ms and print, per case, the idle baseline, the
# peak RSS and RssAnon, the opens that succeeded and RssAnon once the
# sessions closed and the idle timeout passed:
#   ids:    one session opens a 4000×4000 float32 image under N file ids;
#   sparse: a sparse 20000×20000 float32 image (1.6 GB data unit, a hole
#           on disk) opened and closed.
# Peak RSS counts each open's mapping of the file again (RssFile): page
# cache shared by all of them, not memory of the process.
#
# Environment:
#   CARTAGO_BENCH_IDS     file ids of the ids case (default 50)
#   CARTAGO_MEMORY_LIMIT  --memory-limit for the server (default: its own)
#   TMPDIR                where the images go (the sparse one takes no space)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT
go build -o "${out}/cartago" ./cmd/cartago
go build -o "${out}/benchmem" ./scripts/benchmem
"${out}/benchmem" -bin "${out}/cartago" -ids "${CARTAGO_BENCH_IDS:-50}" -limit "${CARTAGO_MEMORY_LIMIT:-}"
