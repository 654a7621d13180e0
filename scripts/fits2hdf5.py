#!/usr/bin/python3
"""Convert a FITS image to the IDIA HDF5 schema (as fits2idia writes it).

Our own converter, for test fixtures and benchmarks: group "0" holds the
header cards as attributes and DATA (axes reversed: [stokes][chan][y][x]),
optionally MipMaps/DATA/DATA_XY_<m>, Statistics/XY and Statistics/XYZ
(MIN, MAX, SUM, SUM_SQ, NAN_COUNT, HISTOGRAM) and SwizzledData/ZYX or
ZYXW. Histograms use cartago's binning (float32 arithmetic, last bin
closed) over sqrt(width*height) bins, as fits2idia's bin count.

usage: fits2hdf5.py IN.fits OUT.hdf5 [--chunk N] [--deflate] [--shuffle]
       [--no-mips] [--no-stats] [--no-swizzle] [--libver earliest|latest]
       [--resizable]

--resizable writes DATA with an unlimited leading axis (chunked, tiles
of --chunk or 512 pixels): with --libver latest libhdf5 indexes its
chunks with an extensible array, as a converter appending planes would.
"""
import argparse
import math
import os

import h5py
import numpy as np
from astropy.io import fits

SKIP = {"COMMENT", "HISTORY", ""}


def header_attrs(group, header):
    for card in header.cards:
        key = card.keyword
        if key in SKIP or key in group.attrs:
            continue
        v = card.value
        if isinstance(v, (bool, np.bool_)):
            group.attrs[key] = np.bool_(v)
        elif isinstance(v, (int, np.integer)):
            group.attrs[key] = np.int64(v)
        elif isinstance(v, (float, np.floating)):
            group.attrs[key] = np.float64(v)
        else:
            group.attrs.create(key, np.bytes_(str(v).encode("ascii", "replace")))


def hist32(plane, lo, hi, nbins):
    """cartago's histogram: float32 bins int((v-lo)/w), last bin closed."""
    if not lo < hi:
        return np.zeros(nbins, dtype=np.int64)
    lo32, hi32 = np.float32(lo), np.float32(hi)
    w = np.float32((float(hi32) - float(lo32)) / nbins)
    v = plane[np.isfinite(plane)]
    v = v[(v >= lo32) & (v <= hi32)]
    idx = ((v - lo32) / w).astype(np.int64)
    np.minimum(idx, nbins - 1, out=idx)
    return np.bincount(idx, minlength=nbins).astype(np.int64)


def plane_stats(plane):
    fin = plane[np.isfinite(plane)]
    if fin.size == 0:
        return np.nan, np.nan, 0.0, 0.0, plane.size
    f64 = fin.astype(np.float64)
    return fin.min(), fin.max(), f64.sum(), (f64 * f64).sum(), plane.size - fin.size


def write_stats(g, data, nbins):
    """Statistics/XY per plane and Statistics/XYZ per Stokes of a 4-D
    [stokes][chan][y][x] array."""
    ns, nc = data.shape[:2]
    xy = {k: np.zeros((ns, nc), dt) for k, dt in
          [("MIN", "<f4"), ("MAX", "<f4"), ("SUM", "<f8"), ("SUM_SQ", "<f8"), ("NAN_COUNT", "<i8")]}
    xy["HISTOGRAM"] = np.zeros((ns, nc, nbins), "<i8")
    xyz = {k: np.zeros(ns, v.dtype) for k, v in xy.items() if k != "HISTOGRAM"}
    xyz["HISTOGRAM"] = np.zeros((ns, nbins), "<i8")
    for s in range(ns):
        for c in range(nc):
            mn, mx, sm, sq, nan = plane_stats(data[s, c])
            for k, v in zip(["MIN", "MAX", "SUM", "SUM_SQ", "NAN_COUNT"], [mn, mx, sm, sq, nan]):
                xy[k][s, c] = v
            xy["HISTOGRAM"][s, c] = hist32(data[s, c], mn, mx, nbins)
        fin = xy["NAN_COUNT"][s] < data.shape[2] * data.shape[3]
        xyz["MIN"][s] = xy["MIN"][s][fin].min() if fin.any() else np.nan
        xyz["MAX"][s] = xy["MAX"][s][fin].max() if fin.any() else np.nan
        xyz["SUM"][s], xyz["SUM_SQ"][s] = xy["SUM"][s].sum(), xy["SUM_SQ"][s].sum()
        xyz["NAN_COUNT"][s] = xy["NAN_COUNT"][s].sum()
        for c in range(nc):
            xyz["HISTOGRAM"][s] += hist32(data[s, c], xyz["MIN"][s], xyz["MAX"][s], nbins)
    return xy, xyz


def trim(arr, keep):
    """Drops leading axes of length 1 beyond the image's dimensions."""
    while arr.ndim > keep and arr.shape[0] == 1:
        arr = arr[0]
    return arr


def mips(data, tile):
    """Block means of finite values over m×m blocks, m = 2, 4, ... while
    the level is larger than one tile."""
    out = {}
    h, w = data.shape[2:]
    m = 2
    while -(-w // (m // 2)) > tile or -(-h // (m // 2)) > tile:
        mh, mw = -(-h // m), -(-w // m)
        pad = np.full(data.shape[:2] + (mh * m, mw * m), np.nan, np.float64)
        pad[:, :, :h, :w] = data
        blocks = pad.reshape(data.shape[:2] + (mh, m, mw, m))
        fin = np.isfinite(blocks)
        s = np.where(fin, blocks, 0).sum(axis=(3, 5))
        n = fin.sum(axis=(3, 5))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[m] = np.where(n > 0, s / np.maximum(n, 1), np.nan).astype("<f4")
        m *= 2
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--hdu", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=0, help="chunk tiles of N×N pixels (0: contiguous)")
    ap.add_argument("--deflate", action="store_true")
    ap.add_argument("--shuffle", action="store_true")
    ap.add_argument("--no-mips", action="store_true")
    ap.add_argument("--no-stats", action="store_true")
    ap.add_argument("--no-swizzle", action="store_true")
    ap.add_argument("--mip-tile", type=int, default=512, help="mip levels down to this size")
    ap.add_argument("--libver", default="earliest")
    ap.add_argument("--resizable", action="store_true", help="DATA with an unlimited leading axis")
    a = ap.parse_args()

    with fits.open(a.src, memmap=False) as hl:
        hdu = hl[a.hdu]
        header = hdu.header
        data = np.asarray(hdu.data, dtype="<f4")
    n = data.ndim
    full = data.reshape((1,) * (4 - n) + data.shape)
    ns, nc, h, w = full.shape
    nbins = int(max(math.sqrt(w * h), 2))

    def opts(shape, resizable=False):
        o = {}
        if a.chunk or resizable:
            tile = a.chunk or 512
            o["chunks"] = tuple([1] * (len(shape) - 2) + [min(tile, shape[-2]), min(tile, shape[-1])])
        if resizable:
            o["maxshape"] = (None,) + tuple(shape[1:])
        if a.chunk:
            if a.deflate:
                o["compression"] = "gzip"
            if a.shuffle:
                o["shuffle"] = True
        return o

    tmp = a.dst + ".tmp"
    with h5py.File(tmp, "w", libver=a.libver) as f:
        g = f.create_group("0")
        g.attrs.create("SCHEMA_VERSION", np.bytes_(b"0.3"))
        g.attrs.create("HDF5_CONVERTER", np.bytes_(b"cartago fits2hdf5.py"))
        g.attrs.create("HDF5_CONVERTER_VERSION", np.bytes_(b"1"))
        header_attrs(g, header)
        g.create_dataset("DATA", data=data, **opts(data.shape, a.resizable))
        if not a.no_mips:
            for m, level in mips(full, a.mip_tile).items():
                lv = trim(level, n)
                g.create_dataset(f"MipMaps/DATA/DATA_XY_{m}", data=lv, **opts(lv.shape))
        if not a.no_stats:
            xy, xyz = write_stats(g, full, nbins)
            for k, v in xy.items():
                g.create_dataset(f"Statistics/XY/{k}", data=trim(v, n - 2 + (k == "HISTOGRAM")))
            if nc > 1:
                for k, v in xyz.items():
                    g.create_dataset(f"Statistics/XYZ/{k}", data=trim(v, n - 3 + (k == "HISTOGRAM")))
        if not a.no_swizzle and nc > 1:
            sw = np.ascontiguousarray(full.transpose(0, 3, 2, 1))  # [stokes][x][y][chan]
            name = "ZYX" if n == 3 else "ZYXW"
            g.create_dataset(f"SwizzledData/{name}", data=trim(sw, n))
    os.replace(tmp, a.dst)


if __name__ == "__main__":
    main()
