#!/usr/bin/python3
"""python-casacore side of scripts/bench-casa.sh: read a whole CASA image
with getdata() (and its mask with getmask(), which blanking as our
reader does needs), timed; print JSON with the times and a checksum (the
sum of the unmasked finite pixels) to compare with ours."""
import json
import sys
import time

import casacore.images as ci
import numpy as np


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    im = ci.image(path)
    data = im.getdata()
    t1 = time.perf_counter()
    mask = im.getmask()  # True where masked
    t2 = time.perf_counter()
    good = ~mask & np.isfinite(data)
    print(json.dumps({"getdata": t1 - t0, "getmask": t2 - t1, "bytes": int(data.nbytes),
                      "sum": float(data[good].sum(dtype=np.float64)), "finite": int(good.sum())}))


if __name__ == "__main__":
    main()
