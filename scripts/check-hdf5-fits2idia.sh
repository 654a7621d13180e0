#!/usr/bin/env bash
# Cross-checks our reading of IDIA HDF5 files written by the fits2idia
# converter (CARTAvis/fits2idia) against the FITS files they came from:
# writes the sample images, converts each with fits2idia and runs
# scripts/hdf5check (shape, header, every plane bit for bit, swizzled
# spectra, mip levels; the stored histograms and statistics are
# reported, as fits2idia bins in its own way). This repository neither
# contains nor builds fits2idia: point FITS2IDIA at a binary you built.
#
# Environment:
#   FITS2IDIA  path of the fits2idia binary (required)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"
: "${FITS2IDIA:?set FITS2IDIA to a fits2idia binary}"
dir="$(mktemp -d)"
trap 'rm -rf "${dir}"' EXIT
go run ./cmd/cartago sample-data "${dir}" >/dev/null
pairs=()
for f in image-4096 cube-512x512x200 cube-stokes; do
  "${FITS2IDIA}" -o "${dir}/${f}.hdf5" "${dir}/${f}.fits"
  pairs+=("${dir}/${f}.fits" "${dir}/${f}.hdf5")
done
go run ./scripts/hdf5check "${pairs[@]}"
