#!/usr/bin/env bash
# Soak test: builds cartago and runs the real `cartago serve` on
# loopback for a bounded time under 200 concurrent sessions (opening
# images, changing channels, moving the cursor, requesting tiles) and a
# few hostile clients (a FIFO in the root, an oversized message,
# permessage-deflate bombs, a client that never reads), then prints
# request counts and p50/p95/p99 latencies, peak and final RSS and
# threads, and exits 1 if anything stayed unbounded. See
# scripts/soak/main.go for what is checked.
#
# Usage: scripts/soak.sh [-duration 3m] [-sessions 200] [other flags of
# scripts/soak; -h lists them]
#
# Environment:
#   CARTAGO_BENCH_SAMPLE  sample data directory, generated if missing
#                         (default $TMPDIR/cartago-bench-sample, shared
#                         with the benchmarks; about 300 MB)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

bin="$(mktemp -d "${TMPDIR:-/tmp}/cartago-soak-bin.XXXXXX")"
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/cartago" ./cmd/cartago
go build -o "$bin/soak" ./scripts/soak
echo "soak: cartago $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM" >&2
"$bin/soak" -bin "$bin/cartago" "$@"
