#!/usr/bin/env bash
# Checks the File Information entries (FILE_INFO computed entries) the
# real server sends against the same entries computed independently with
# astropy: writes the small sample set and a few extra FITS headers,
# serves them with `cartago serve`, asks for FILE_INFO of every file
# (scripts/fileinfo-check) and compares (scripts/fileinfo-check.py).
# Exits 1 when any entry differs.
#
# Needs Debian's python3-astropy (apt-get install python3-astropy).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

work="$(mktemp -d "${TMPDIR:-/tmp}/cartago-fileinfo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
go build -o "$work/cartago" ./cmd/cartago
go build -o "$work/fileinfo-check" ./scripts/fileinfo-check
"$work/fileinfo-check" -bin "$work/cartago" -dir "$work/files" > "$work/entries.json"
/usr/bin/python3 scripts/fileinfo-check.py compare "$work/files" "$work/entries.json"
