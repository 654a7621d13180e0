#!/usr/bin/env bash
# Builds the zfpref tool (zfpref.c) into the path given as $1.
#
# By default it links Debian's libzfp-dev, installing it with apt-get (as
# root or with sudo) when missing. To check against another zfp, such as
# 0.5.5 built from its release sources (the version the CARTA frontend
# runs), point ZFPREF_CFLAGS and ZFPREF_LIBS at it, e.g.
#
#   ZFPREF_CFLAGS=-I$HOME/zfp-0.5.5/include \
#   ZFPREF_LIBS="$HOME/zfp-0.5.5/lib/libzfp.a -lm" scripts/zfpref/build.sh /tmp/zfpref
set -euo pipefail
out="${1:?usage: build.sh OUTPUT}"
here="$(dirname "${BASH_SOURCE[0]}")"

log() { printf 'zfpref/build.sh: %s\n' "$*" >&2; }

if [[ -z "${ZFPREF_LIBS:-}" ]] && ! dpkg -s libzfp-dev >/dev/null 2>&1; then
  log "installing Debian's libzfp-dev"
  sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { log "libzfp-dev is missing; install it: apt-get install libzfp-dev"; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libzfp-dev >/dev/null
fi
command -v gcc >/dev/null 2>&1 || { log "gcc is missing"; exit 1; }
# shellcheck disable=SC2086 # flags are word lists
gcc -O2 -Wall ${ZFPREF_CFLAGS:-} -o "${out}" "${here}/zfpref.c" ${ZFPREF_LIBS:--lzfp}
