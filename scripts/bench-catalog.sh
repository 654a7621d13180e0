#!/bin/sh
# Catalog benchmark: a generated 1,000,000-row VOTable (TABLEDATA) and the
# same table as a FITS BINTABLE, read whole, previewed, filtered
# (flux > 5) and sorted (RA) by imaging/catalog (in-process, through the
# package the session uses: no websocket) and by astropy in the same run.
# Prints each side's times and peak RSS and the ratios astropy/cartago
# (target: cartago at least 3x faster on read + filter). Then the same
# over the real server's websocket (cmd/cartago TestCatalogOverWebsocket:
# OPEN_CATALOG_FILE to its ACK, and CATALOG_FILTER_REQUEST to the last
# chunk of every matching row, 6 columns).
#
# Usage: scripts/bench-catalog.sh [rows]   (default 1000000)
# Needs /usr/bin/python3 with astropy (apt-get install -y python3-astropy).
set -eu
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
dir="${TMPDIR:-/tmp}/cartago-bench-catalog"
mkdir -p "$dir"
if ! /usr/bin/python3 -c "import astropy" 2>/dev/null; then
  echo "bench-catalog: /usr/bin/python3 cannot import astropy (sudo apt-get install -y python3-astropy)" >&2
  exit 1
fi
go build -o "$dir/bench-catalog" ./scripts/bench-catalog
"$dir/bench-catalog" -gen -rows "$rows" -dir "$dir"
vot="$dir/bench-catalog-$rows.vot"
fits="$dir/bench-catalog-$rows.fits"
ls -l "$vot" "$fits" | awk '{printf "file %s %.1f MiB\n", $NF, $5/1048576}'
ours="$("$dir/bench-catalog" -rows "$rows" -dir "$dir")"
echo "$ours"
theirs="$(/usr/bin/python3 scripts/bench-catalog.py "$vot" "$fits")"
echo "$theirs"
printf '%s\n%s\n' "$ours" "$theirs" | awk '
  function val(s, k,   i, n, kv) { n = split(s, kv, " "); for (i = 1; i <= n; i++) if (index(kv[i], k "=") == 1) return substr(kv[i], length(k) + 2); return "" }
  /^cartago file=/ { f = val($0, "file"); co[f] = val($0, "open_preview_s"); cq[f] = val($0, "filter_sort_s") }
  /^astropy file=/ { f = val($0, "file"); ar[f] = val($0, "read_s"); aq[f] = val($0, "filter_sort_s") }
  END {
    for (f in co) if (f in ar)
      printf "ratio file=%s read: astropy/cartago = %.1fx; read+filter+sort: astropy %.2fs / cartago %.2fs = %.1fx\n",
        f, ar[f] / co[f], ar[f] + aq[f], co[f] + cq[f], (ar[f] + aq[f]) / (co[f] + cq[f])
  }'
go test -count=1 -v -run TestCatalogOverWebsocket ./cmd/cartago -args -catalog-rows="$rows" | grep '^websocket '
