#!/usr/bin/env bash
# Image fitting against scipy (issue 13): builds cartago and
# scripts/fitcheck, which fits 3 Gaussians on a 512×512 region of a
# generated image with noise through the real server over loopback and
# the same pixels from the same initial values with scipy's curve_fit
# (/usr/bin/python3, Debian python3-scipy and python3-astropy); prints
# both parameter sets, our errors, whether each parameter is within our
# error of scipy's, both times and their ratio, the server's peak RSS
# and its RSS after the session ends. Exits non-zero on disagreement.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT
go build -o "${out}/cartago" ./cmd/cartago
go build -o "${out}/fitcheck" ./scripts/fitcheck
"${out}/fitcheck" -bin "${out}/cartago" -py scripts/fitcheck/fitcheck.py
