#!/usr/bin/env bash
# Checks imaging/zfp against the zfp C library: builds zfpref (see
# build.sh; Debian's libzfp-dev by default), then runs the package's
# golden test and TestLibrary, which compares the library's streams for
# every golden case with the manifest and, on 200 random arrays, our
# streams with the library's and our decoder with zfp_decompress.
#
#   scripts/zfpref/check.sh           check
#   scripts/zfpref/check.sh -update   regenerate imaging/zfp/testdata/golden first
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH="/usr/local/go/bin:${PATH}"

update=()
case "${1:-}" in
  "") ;;
  -update) update=(-update) ;;
  *) echo "usage: check.sh [-update]" >&2; exit 2 ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
scripts/zfpref/build.sh "${tmp}/zfpref"
echo "reference: $("${tmp}/zfpref" version)"
if [[ ${#update[@]} -gt 0 ]]; then
  ZFPREF="${tmp}/zfpref" go test -count=1 -run '^TestGolden$' ./imaging/zfp -update
fi
ZFPREF="${tmp}/zfpref" go test -count=1 -run '^(TestGolden|TestLibrary)$' -v ./imaging/zfp | grep -E '^(--- |ok|FAIL|PASS)|library:' | grep -v -- '--- PASS: TestGolden/'
