#!/usr/bin/env bash
# Runs the whole test suite: formatting, vet, unit and end-to-end tests
# (race detector on), the browser test against the real CARTA frontend in
# headless Chromium, and a short run of every fuzz target.
#
# Installs what it needs and lacks: Go modules, the frontend (npm), and
# Debian's chromium (apt, as root or with sudo).
# Environment: CARTAGO_FUZZTIME (default 5s per fuzz target),
# CARTAGO_ARTIFACTS (where screenshots go, default artifacts/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

log() { printf 'test.sh: %s\n' "$*" >&2; }

install_chromium() {
  command -v chromium >/dev/null 2>&1 && return
  log "installing Debian's chromium for the browser test"
  local sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { log "chromium is missing; install it: apt-get install chromium"; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

install_chromium
scripts/fetch-frontend.sh
go mod download

unformatted="$(gofmt -l $(git ls-files '*.go'))"
if [[ -n "${unformatted}" ]]; then
  log "gofmt would change:"; printf '%s\n' "${unformatted}" >&2; exit 1
fi
go vet ./...

export CARTAGO_ARTIFACTS="${CARTAGO_ARTIFACTS:-$(pwd)/artifacts}"
mkdir -p "${CARTAGO_ARTIFACTS}"
go test -race -count=1 -timeout 20m ./...

fuzztime="${CARTAGO_FUZZTIME:-5s}"
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "${pkg}" | grep '^Fuzz' || true); do
    log "fuzzing ${pkg} ${target} for ${fuzztime}"
    # Inputs can be whole FITS blocks: bound minimisation, or it stalls.
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "${fuzztime}" -fuzzminimizetime 1x "${pkg}"
  done
done
log "all tests passed"
