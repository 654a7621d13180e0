# Shared set-up of the scripts that compare us with numpy
# (bench-imaging.sh, bench-regions.sh). Sourced, not run: the caller sets
# $bench to its name and is already in the repository root.

log() { printf '%s: %s\n' "${bench}" "$*" >&2; }

export GOMAXPROCS="${GOMAXPROCS:-2}"
export CARTAGO_BENCH_SAMPLE="${CARTAGO_BENCH_SAMPLE:-${TMPDIR:-/tmp}/cartago-bench-sample}"
out="${CARTAGO_BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/${bench}.XXXXXX")}"
mkdir -p "${out}"
python="${CARTAGO_BENCH_PYTHON:-/usr/bin/python3}"
[[ -x "${python}" ]] || python="python3"

# install_python installs Debian's numpy and astropy if the interpreter
# cannot import them (as root or with sudo).
install_python() {
  "${python}" -c 'import numpy, astropy' 2>/dev/null && return
  log "installing Debian's python3-numpy and python3-astropy"
  local sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      log "numpy and astropy are missing and this is not root; install them: apt-get install python3-numpy python3-astropy"
      exit 1
    fi
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-numpy python3-astropy >/dev/null
  "${python}" -c 'import numpy, astropy' || { log "${python} still cannot import numpy and astropy"; exit 1; }
}

# run_python runs the interpreter without the OpenBLAS overrides some
# environments set (perf.md (e)).
run_python() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${python}" "$@"; }

# sample_data writes (or reuses) the sample images the benchmarks read.
sample_data() {
  log "sample data in ${CARTAGO_BENCH_SAMPLE}"
  go run ./cmd/cartago sample-data "${CARTAGO_BENCH_SAMPLE}" >/dev/null
}
