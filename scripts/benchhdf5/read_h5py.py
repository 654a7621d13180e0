#!/usr/bin/python3
"""The h5py side of scripts/benchhdf5: times reading every plane of
DATA and a set of spectra from the swizzled copy of an IDIA file, the
same reads benchhdf5 does with our reader; prints JSON seconds and a
checksum per read so both sides are seen to read the same values.

usage: read_h5py.py FILE SPECTRA
"""
import json
import sys
import time

import h5py
import numpy as np


def main():
    path, nspec = sys.argv[1], int(sys.argv[2])
    out = {}
    with h5py.File(path, "r") as f:
        g = f["0"]
        data = g["DATA"]
        depth, h, w = data.shape[-3:]
        plane = np.empty((h, w), dtype="<f4")
        t = time.perf_counter()
        total = 0.0
        for c in range(depth):
            data.read_direct(plane, np.s_[c, :, :])
            total += float(np.nansum(plane[::97, ::89], dtype=np.float64))
        out["planes"] = time.perf_counter() - t
        out["planes_sum"] = total
        if "SwizzledData" in g:
            sw = g["SwizzledData/ZYX"]
            spec = np.empty(depth, dtype="<f4")
            t = time.perf_counter()
            total = 0.0
            for i in range(nspec):
                x, y = (i * 7919) % w, (i * 104729) % h
                sw.read_direct(spec, np.s_[x, y, :])
                total += float(np.nansum(spec, dtype=np.float64))
            out["spectra"] = time.perf_counter() - t
            out["spectra_sum"] = total
    print(json.dumps(out))


if __name__ == "__main__":
    main()
