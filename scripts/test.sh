#!/usr/bin/env bash
# Runs the whole test suite: formatting, vet, unit and end-to-end tests
# (race detector on), the browser test against the real CARTA frontend in
# headless Chromium, and a short run of every fuzz target.
#
# Installs what it needs and lacks: Go modules, the frontend (npm), and
# Debian's chromium (apt, as root or with sudo).
# Environment: CARTAGO_FUZZTIME (default 20000x: runs per fuzz target),
# CARTAGO_ARTIFACTS (where screenshots go, default artifacts/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

log() { printf 'test.sh: %s\n' "$*" >&2; }

# Debian packages the tests need: chromium (browser tests), libzfp-dev
# (our ZFP streams against the C library), zstd (contour frames against
# the zstd tool), python3-astropy (file information against astropy:
# scripts/fileinfo-check.sh and the File Information browser test),
# python3-scipy (image fitting against curve_fit: scripts/fit-check.sh),
# python3-casacore (CASA image fixtures: scripts/casa-fixture.py),
# python3-h5py (IDIA HDF5 fixtures: scripts/fits2hdf5.py).
install_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  /usr/bin/python3 -c 'import astropy' >/dev/null 2>&1 || missing+=(python3-astropy)
  /usr/bin/python3 -c 'import scipy' >/dev/null 2>&1 || missing+=(python3-scipy)
  /usr/bin/python3 -c 'import casacore.images' >/dev/null 2>&1 || missing+=(python3-casacore)
  /usr/bin/python3 -c 'import h5py' >/dev/null 2>&1 || missing+=(python3-h5py)
  command -v zstd >/dev/null 2>&1 || missing+=(zstd)
  dpkg -s libzfp-dev >/dev/null 2>&1 || missing+=(libzfp-dev)
  [[ ${#missing[@]} -eq 0 ]] && return
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { log "missing ${missing[*]}; install them: apt-get install ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_packages
# Tests that check against these tools fail, rather than skip, without them.
export CARTAGO_REQUIRE_TOOLS=1
scripts/fetch-frontend.sh
go mod download

unformatted="$(gofmt -l $(git ls-files '*.go'))"
if [[ -n "${unformatted}" ]]; then
  log "gofmt would change:"; printf '%s\n' "${unformatted}" >&2; exit 1
fi
go vet ./...

export CARTAGO_ARTIFACTS="${CARTAGO_ARTIFACTS:-$(pwd)/artifacts}"
mkdir -p "${CARTAGO_ARTIFACTS}"
# The browser and process tests (cmd/cartago) run on their own, after the
# rest: Chromium renders in software and is slow to start when other
# packages' tests compete for the two cores.
go test -race -count=1 -timeout 20m $(go list ./... | grep -v '^cartago/cmd/cartago$')
go test -race -count=1 -timeout 40m ./cmd/cartago
# Our ZFP coder against the zfp C library, case by case.
scripts/zfpref/check.sh
# The File Information entries of the real server against astropy.
scripts/fileinfo-check.sh

# A count, not a duration: a duration can end in the middle of
# minimising a new input, which go test reports as a failure.
fuzztime="${CARTAGO_FUZZTIME:-20000x}"
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "${pkg}" | grep '^Fuzz' || true); do
    log "fuzzing ${pkg} ${target} for ${fuzztime}"
    # Inputs can be whole FITS blocks: bound minimisation, or it stalls.
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "${fuzztime}" -fuzzminimizetime 1x "${pkg}"
  done
done
log "all tests passed"
