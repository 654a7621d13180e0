#!/usr/bin/python3
"""astropy side of scripts/bench-catalog.sh: read each file whole, then
filter (flux > 5) and sort (RA ascending), as imaging/catalog does."""
import resource
import sys
import time

from astropy.io.votable import parse_single_table
from astropy.table import Table


def read(path):
    if path.endswith(".vot"):
        return parse_single_table(path).to_table()
    return Table.read(path, format="fits")


for path in sys.argv[1:]:
    t0 = time.perf_counter()
    t = read(path)
    t1 = time.perf_counter()
    m = t[t["flux"] > 5]
    m.sort("RA", kind="stable")
    t2 = time.perf_counter()
    print("astropy file=%s read_s=%.3f filter_sort_s=%.3f rows_matched=%d"
          % (path.rsplit("/", 1)[-1], t1 - t0, t2 - t1, len(m)), flush=True)
print("astropy peak_rss_mib=%.0f" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
