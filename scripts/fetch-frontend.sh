#!/usr/bin/env bash
# fetch-frontend.sh — install the unmodified CARTA frontend (npm carta-frontend@6.0.0)
# that cartago serves.
#
# Usage: scripts/fetch-frontend.sh [TARGET_DIR]
#   TARGET_DIR defaults to <repo root>/frontend (git-ignored). Runnable from any cwd.
#
# What it does: `npm pack` the pinned version from the npm registry into a temporary
# folder, checks the tarball against the pinned sha1 shasum and sha512 integrity (and
# against what npm itself reports), extracts the package's build/ folder and moves it into
# TARGET_DIR, writing TARGET_DIR/.version. Idempotent: when TARGET_DIR/.version already
# says the pinned version and TARGET_DIR/index.html exists, it does nothing.
# Needs: npm (Node.js), tar, sha1sum, sha512sum, base64.
set -euo pipefail

readonly FE_NAME="carta-frontend"
readonly FE_VERSION="6.0.0"
# Pinned from the npm registry's dist metadata for carta-frontend@6.0.0.
readonly FE_SHASUM="c251a15458cfb91fa7a89d2a4a04317b55007072"
readonly FE_INTEGRITY="sha512-pEUMTfPc25C2vM2NcxZKpQ7Kwkp7s55yp2perS4YC6zXYswCgTVPBwWLgSRRSk5yyT/f/EwKqVRMjc8YEOclHQ=="

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
repo_root="$(cd -- "${script_dir}/.." && pwd -P)"

target="${1:-${repo_root}/frontend}"
# Make the target absolute (it may not exist yet).
case "${target}" in
  /*) ;;
  *) target="$(pwd -P)/${target}" ;;
esac
target="${target%/}"

log() { printf 'fetch-frontend: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -f "${target}/index.html" && -f "${target}/.version" ]] \
   && [[ "$(tr -d '[:space:]' < "${target}/.version")" == "${FE_VERSION}" ]]; then
  log "${FE_NAME}@${FE_VERSION} already installed in ${target}; nothing to do"
  exit 0
fi

for tool in npm tar sha1sum sha512sum base64; do
  command -v "${tool}" >/dev/null 2>&1 || die "'${tool}' is required but not found in PATH"
done

parent="$(dirname -- "${target}")"
mkdir -p -- "${parent}"

# Temp dir next to the target so the final mv is a same-filesystem rename.
work="$(mktemp -d "${parent}/.fetch-frontend.XXXXXX")"
cleanup() { rm -rf -- "${work}"; }
trap cleanup EXIT

log "downloading ${FE_NAME}@${FE_VERSION} with npm pack"
# --ignore-scripts: pack never runs lifecycle scripts for a registry spec, but be explicit.
pack_json="$(cd -- "${work}" && npm pack "${FE_NAME}@${FE_VERSION}" --json --ignore-scripts --silent)"

tarball="${work}/${FE_NAME}-${FE_VERSION}.tgz"
[[ -f "${tarball}" ]] || die "npm pack did not produce ${tarball}"

# What npm reports (it also verifies the download against the registry's integrity).
npm_shasum="$(printf '%s' "${pack_json}" | sed -n 's/.*"shasum": *"\([0-9a-f]*\)".*/\1/p' | head -n1)"
npm_integrity="$(printf '%s' "${pack_json}" | sed -n 's/.*"integrity": *"\([^"]*\)".*/\1/p' | head -n1)"
[[ "${npm_shasum}" == "${FE_SHASUM}" ]] \
  || die "npm reports shasum '${npm_shasum}', expected ${FE_SHASUM}"
[[ "${npm_integrity}" == "${FE_INTEGRITY}" ]] \
  || die "npm reports integrity '${npm_integrity}', expected ${FE_INTEGRITY}"

# Our own check of the bytes on disk (sha512 compared in hex: SRI base64 -> hex via od).
got_shasum="$(sha1sum "${tarball}" | cut -d' ' -f1)"
[[ "${got_shasum}" == "${FE_SHASUM}" ]] \
  || die "tarball sha1 is ${got_shasum}, expected ${FE_SHASUM}"
want_sha512="$(printf '%s' "${FE_INTEGRITY#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
got_sha512="$(sha512sum "${tarball}" | cut -d' ' -f1)"
[[ "${got_sha512}" == "${want_sha512}" ]] \
  || die "tarball sha512 is ${got_sha512}, expected ${want_sha512} (${FE_INTEGRITY})"
log "integrity verified (${FE_INTEGRITY})"

mkdir -p -- "${work}/x"
tar -xzf "${tarball}" -C "${work}/x" --no-same-owner package/build
staged="${work}/x/package/build"
[[ -f "${staged}/index.html" ]] || die "package has no build/index.html"
printf '%s\n' "${FE_VERSION}" > "${staged}/.version"

if [[ -e "${target}" ]]; then
  log "replacing existing ${target}"
  mv -- "${target}" "${work}/old"
fi
mv -- "${staged}" "${target}"
log "installed ${FE_NAME}@${FE_VERSION} into ${target}"
