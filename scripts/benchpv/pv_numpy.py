"""The numpy side of scripts/benchpv: the PV image of the same boxes.

usage: pv_numpy.py CUBE BOXES OURS REPS

BOXES holds each box's pixels (int64 count, int64 offsets, int32 ys,
int32 xs); each PV pixel is the mean of the finite cube values of a
box in one channel. Reads the cube memory-mapped (astropy), gathers
the boxes' pixels of every channel by fancy indexing and averages
them with np.add.reduceat. Times REPS runs after one warm-up, then
compares with OURS (the server's PV image saved as FITS) and prints
key=value words.
"""
import sys
import time

import numpy as np
from astropy.io import fits


def read_boxes(path):
    raw = open(path, "rb").read()
    nb = int(np.frombuffer(raw, "<i8", 1)[0])
    offs = np.frombuffer(raw, "<i8", nb + 1, 8)
    n = int(offs[-1])
    pix = np.frombuffer(raw, "<i4", 2 * n, 8 * (nb + 2))
    return offs, pix[:n], pix[n:]


def pv(cube, offs, ys, xs):
    with fits.open(cube, memmap=True) as hdul:
        vals = hdul[0].data[:, ys, xs].astype(np.float64)  # channels × pixels
    finite = np.isfinite(vals)
    starts = offs[:-1]
    sums = np.add.reduceat(np.where(finite, vals, 0.0), starts, axis=1)
    counts = np.add.reduceat(finite, starts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / counts
    out[:, offs[1:] == starts] = np.nan  # empty boxes (reduceat would repeat a pixel)
    out[counts == 0] = np.nan
    return out.astype(np.float32)


def main():
    cube, boxes, ours, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    offs, ys, xs = read_boxes(boxes)
    times = []
    for _ in range(reps + 1):
        t = time.perf_counter()
        theirs = pv(cube, offs, ys, xs)
        times.append(time.perf_counter() - t)
    times = sorted(times[1:])
    mine = np.squeeze(fits.getdata(ours)).astype(np.float32)
    if mine.shape != theirs.shape:
        print(f"shape mismatch: ours {mine.shape} numpy {theirs.shape}", file=sys.stderr)
        sys.exit(2)
    nan_a, nan_b = np.isnan(mine), np.isnan(theirs)
    both = ~nan_a & ~nan_b
    diff = float(np.max(np.abs(mine[both].astype(np.float64) - theirs[both]))) if both.any() else 0.0
    print(f"numpy_s={times[len(times) // 2]:.6f} max_abs_diff={diff:.6g} "
          f"max_abs={float(np.max(np.abs(theirs[both]))):.6g} nan_mismatch={int(np.sum(nan_a != nan_b))}")


if __name__ == "__main__":
    main()
