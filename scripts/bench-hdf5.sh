#!/usr/bin/env bash
# IDIA HDF5 against FITS (issue 16): builds cartago and scripts/benchhdf5,
# which writes a 1024×1024×200 float32 cube, converts it to IDIA HDF5
# with scripts/fits2hdf5.py (statistics, swizzled copy, mips; contiguous
# and chunked+deflate+shuffle), and prints side by side open → first
# histogram and a 200-channel cursor spectral profile through the real
# server for each form, then our HDF5 reader's throughput against h5py
# on the same reads (ratio; target ≥ 1), with the server's peak RSS and
# its RSS after the sessions ended.
#
# Environment:
#   CARTAGO_BENCH_HDF5_DIR  folder for the files (kept between runs when
#                           set; default a new temporary folder, removed)
#   CARTAGO_BENCH_REPS      timed rounds (default 5)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"
bench=bench-hdf5
source scripts/bench-lib.sh
install_python
"${python}" -c 'import h5py' 2>/dev/null || { log "${python} cannot import h5py: apt-get install python3-h5py"; exit 1; }

bin="$(mktemp -d)"
trap 'rm -rf "${bin}"' EXIT
go build -o "${bin}/cartago" ./cmd/cartago
go build -o "${bin}/benchhdf5" ./scripts/benchhdf5
"${bin}/benchhdf5" -bin "${bin}/cartago" -script scripts/fits2hdf5.py -py scripts/benchhdf5/read_h5py.py -python "${python}" \
  -dir "${CARTAGO_BENCH_HDF5_DIR:-}" -reps "${CARTAGO_BENCH_REPS:-5}"
