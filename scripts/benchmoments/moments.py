"""numpy side of scripts/benchmoments: moment 0 (integrated, km/s) and
moment 1 (intensity-weighted radio velocity) of a FITS cube read through
a memory map, as a numpy user would write them. Prints one JSON object:
with "time", the seconds each took once; with "compare", the largest
differences from cartago's results (FITS files).

usage: moments.py time CUBE RESTFREQ FROM TO
       moments.py compare CUBE RESTFREQ FROM TO OURS_M0 OURS_M1
"""
import json
import sys
import time

import numpy as np
from astropy.io import fits


def velocities(hdr, rest, n):
    pix = np.arange(n, dtype=np.float64)
    freq = hdr["CRVAL3"] + hdr["CDELT3"] * (pix + 1 - hdr["CRPIX3"])
    return 299792458.0 * (1 - freq / rest) / 1e3


def moment0(data, vel):
    return np.nansum(data, axis=0, dtype=np.float64) * abs(vel[1] - vel[0])


def moment1(data, vel):
    s0 = np.zeros(data.shape[1:], dtype=np.float64)
    s1 = np.zeros(data.shape[1:], dtype=np.float64)
    for c in range(data.shape[0]):  # a plane at a time: the cube does not fit twice in memory
        plane = np.nan_to_num(data[c].astype(np.float64), nan=0.0)
        s0 += plane
        s1 += plane * vel[c]
    with np.errstate(invalid="ignore", divide="ignore"):
        return s1 / s0


def main():
    mode, cube, rest, lo, hi = sys.argv[1:6]
    rest, lo, hi = float(rest), int(lo), int(hi)
    with fits.open(cube, memmap=True) as hl:
        hdr = hl[0].header
        vel = velocities(hdr, rest, hdr["NAXIS3"])[lo:hi + 1]
        data = hl[0].data[lo:hi + 1]
        if mode == "time":
            times = {}
            for key, fn in (("m0", moment0), ("m1", moment1)):
                start = time.perf_counter()
                fn(data, vel)
                times[key] = time.perf_counter() - start
            print(json.dumps(times))
            return
        out = {"m0": moment0(data, vel), "m1": moment1(data, vel)}
        # A spectrum without a counted value is NaN in ours (casacore
        # masks it); numpy's nansum gives 0 for moment 0 there.
        blank = np.ones(data.shape[1:], dtype=bool)
        for c in range(data.shape[0]):
            blank &= np.isnan(data[c])
    diff, rel, nans = {}, {}, {}
    for key, path in (("m0", sys.argv[6]), ("m1", sys.argv[7])):
        theirs = np.where(blank, np.nan, out[key])
        with fits.open(path) as f:
            ours = np.squeeze(f[0].data).astype(np.float64)
        nans[key] = bool(np.array_equal(np.isnan(ours), np.isnan(theirs)))
        ok = ~np.isnan(ours) & ~np.isnan(theirs)
        d = np.abs(ours[ok] - theirs[ok])
        diff[key] = float(d.max()) if d.size else 0.0
        # relative to the value, or to a millionth of the largest for values near 0
        scale = np.maximum(np.abs(theirs[ok]), np.abs(theirs[ok]).max() * 1e-6)
        rel[key] = float((d / scale).max()) if d.size else 0.0
    print(json.dumps({"max_abs_diff": diff, "max_rel_diff": rel, "nan_agree": nans}))


if __name__ == "__main__":
    main()
