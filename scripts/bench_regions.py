#!/usr/bin/env python3
"""The numpy/astropy side of scripts/bench-regions.sh.

  bench_regions.py measure --dir D --go-json G.json -o N.json
      For the regions of a scripts/benchregions run, times with numpy
      and astropy.io.fits (memmap=True) what benchregions times (see its
      doc comment): building each region's mask, its statistics on the
      4096^2 plane in memory, and its spectral profile through the
      512x512x200 cube from the file. Writes the timings as JSON.

  bench_regions.py report --dir D --go G1.json ... --np N1.json ...
      Cross-checks our masks and statistics against numpy on the same
      files, then prints the comparison table. Exits 1 if a check fails.

The numpy masks are computed independently, pixel centre inside or on
the outline: rectangles and polygons by exact float64 geometry (the
regions are chosen so that no pixel centre lies within casacore's
tolerance of an outline, so geometry and casacore must agree exactly);
rotated ellipses by casacore's own per-pixel rule (LCEllipsoid: the
float32 sum x'^2/r0^2 + y'^2/r1^2 <= 1), since a generic ellipse passes
within float32 rounding of some pixel centre. The numpy statistics of a
region are nansum, nansum of squares, count of finite values, nanmean,
nanstd(ddof=1) (all float64), nanmin and nanmax of sub[mask].
"""

import argparse
import gc
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import astropy
from astropy.io import fits

IMAGE = "image-4096.fits"
CUBE = "cube-512x512x200.fits"
REL_TOL = 1e-9
RECTANGLE, ELLIPSE, POLYGON = 3, 4, 6


def load_native(path):
    with fits.open(path, memmap=True) as hdul:
        return np.array(hdul[0].data, dtype=np.float32)


# ---------------------------------------------------------------- masks

def rect_corners(r):
    (cx, cy), (w, h) = r["points"]
    th = math.radians(r["rotation"])
    c, s = math.cos(th), math.sin(th)
    return [(cx + sx * w / 2 * c - sy * h / 2 * s, cy + sx * w / 2 * s + sy * h / 2 * c)
            for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]


def pixel_box(xs, ys, w, h):
    x0, y0 = max(0, math.ceil(min(xs))), max(0, math.ceil(min(ys)))
    x1, y1 = min(w - 1, math.floor(max(xs))), min(h - 1, math.floor(max(ys)))
    return x0, y0, x1 + 1, y1 + 1


def polygon_mask(pts, w, h):
    """Even-odd fill of pixel centres, outline inclusive, exact float64;
    assumes no vertex lies on a pixel row (true for the bench regions)."""
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, y0, x1, y1 = pixel_box(xs, ys, w, h)
    rows = np.arange(y0, y1, dtype=np.float64)[:, None]
    px, py = np.array(xs), np.array(ys)
    qx, qy = np.roll(px, -1), np.roll(py, -1)
    lo, hi = np.minimum(py, qy), np.maximum(py, qy)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = px + (rows - py) * (qx - px) / (qy - py)
    xc = np.where((rows > lo) & (rows < hi), xc, np.nan)
    xc = np.sort(xc, axis=1)  # NaN last
    nx = x1 - x0
    acc = np.zeros((y1 - y0, nx + 1), dtype=np.int32)
    r = np.arange(y1 - y0)
    for k in range(0, xc.shape[1] - 1, 2):
        a, b = xc[:, k], xc[:, k + 1]
        ok = ~np.isnan(a) & ~np.isnan(b)
        s = np.clip(np.ceil(a[ok]) - x0, 0, nx).astype(np.int64)
        e = np.clip(np.floor(b[ok]) - x0 + 1, 0, nx).astype(np.int64)
        keep = s < e
        np.add.at(acc, (r[ok][keep], s[keep]), 1)
        np.add.at(acc, (r[ok][keep], e[keep]), -1)
    return (x0, y0), np.cumsum(acc, axis=1)[:, :nx] > 0


def rect_mask(r, w, h):
    if r["rotation"] == 0:
        (cx, cy), (rw, rh) = r["points"]
        x0, y0, x1, y1 = pixel_box([cx - rw / 2, cx + rw / 2], [cy - rh / 2, cy + rh / 2], w, h)
        return (x0, y0), np.ones((y1 - y0, x1 - x0), dtype=bool)
    (cx, cy), (rw, rh) = r["points"]
    xs, ys = zip(*rect_corners(r))
    x0, y0, x1, y1 = pixel_box(xs, ys, w, h)
    th = math.radians(r["rotation"])
    X, Y = np.meshgrid(np.arange(x0, x1) - cx, np.arange(y0, y1) - cy)
    u = X * math.cos(th) + Y * math.sin(th)
    v = -X * math.sin(th) + Y * math.cos(th)
    return (x0, y0), (np.abs(u) <= rw / 2) & (np.abs(v) <= rh / 2)


def ellipse_mask(r, w, h):
    """casacore's rotated-ellipse rule (LCEllipsoid::_defineMask2D as the
    reference sets it up) in float32, over the ellipse's box."""
    f32 = np.float32
    (cx, cy), (a, b) = r["points"]
    cx, cy, a, b, rot = f32(cx), f32(cy), f32(a), f32(b), f32(r["rotation"])
    r0, r1, deg = (a, b, f32(float(rot) + 90)) if a > b else (b, a, rot)
    theta = f32(float(deg) * (math.pi / 180))
    t = f32(math.fmod(float(theta), float(f32(math.pi))))
    if t < 0:
        t = f32(float(t) + math.pi)
    assert abs(float(t) - math.pi / 2) > 1e-4 and abs(float(t)) > 1e-6, "bench ellipses must be rotated"
    rad = max(r0, r1)
    eps = f32(10.0 ** (int(math.log10(float(f32(2) * rad))) - 5))
    blc = [max(int(c - rad + f32(1) - eps), 0) for c in (cx, cy)]
    trc = [min(int(c + rad + eps), n - 1) for c, n in ((cx, w), (cy, h))]
    X = np.arange(trc[0] - blc[0] + 1, dtype=f32) - (cx - f32(blc[0]))
    Y = np.arange(trc[1] - blc[1] + 1, dtype=f32) - (cy - f32(blc[1]))
    cs, sn = f32(math.cos(-float(t))), f32(math.sin(-float(t)))
    X, Y = X[None, :], Y[:, None]
    xp = X * cs - Y * sn
    yp = X * sn + Y * cs
    s = (xp * xp) / (r0 * r0) + (yp * yp) / (r1 * r1)
    return (blc[0], blc[1]), s <= f32(1)


def region_mask(r, w, h):
    if r["kind"] == RECTANGLE:
        return rect_mask(r, w, h)
    if r["kind"] == POLYGON:
        return polygon_mask(r["points"], w, h)
    if r["kind"] == ELLIPSE:
        return ellipse_mask(r, w, h)
    raise ValueError(f"no numpy mask for kind {r['kind']}")


def region_stats(v):
    """The numpy way: the statistics of the masked values v."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.nansum(v, dtype=np.float64)
        ss = np.nansum(np.square(v, dtype=np.float64))
        n = int(np.count_nonzero(np.isfinite(v)))
        mean = np.nanmean(v, dtype=np.float64)
        sd = np.nanstd(v, ddof=1, dtype=np.float64)
        mn, mx = np.nanmin(v), np.nanmax(v)
    return n, s, ss, mean, sd, mn, mx


# ---------------------------------------------------------------- measure

def measure(args):
    go = json.load(open(args.go_json))
    timings, pixels = {}, {}

    def timer(name, npix, fn):
        pixels[name] = npix
        runs = []
        for i in range(args.warmup + args.reps):
            gc.collect()
            start = time.perf_counter_ns()
            fn()
            if i >= args.warmup:
                runs.append(time.perf_counter_ns() - start)
        timings[name] = runs

    a = load_native(os.path.join(args.dir, IMAGE))
    h, w = a.shape
    for r in go["regions"]:
        timer("mask/" + r["name"], 0, lambda: region_mask(r, w, h))
        (x0, y0), m = region_mask(r, w, h)
        sub = a[y0:y0 + m.shape[0], x0:x0 + m.shape[1]]
        timer("stats/" + r["name"], int(m.sum()), lambda: region_stats(sub[m]))
    del a

    cube_path = os.path.join(args.dir, CUBE)
    for r in go["profiles"]:
        c = go["cube"]

        def profile():
            (x0, y0), m = region_mask(r, c["width"], c["height"])
            with fits.open(cube_path, memmap=True) as hdul:
                d = hdul[0].data
                for ch in range(d.shape[0]):
                    region_stats(d[ch, y0:y0 + m.shape[0], x0:x0 + m.shape[1]][m])
                del d

        timer("profile/" + r["name"], 0, profile)

    out = {"numpy": np.__version__, "astropy": astropy.__version__,
           "python": sys.version.split()[0], "reps": args.reps,
           "timings_ns": timings, "pixels": pixels}
    with open(args.o, "w") as f:
        json.dump(out, f)


# ---------------------------------------------------------------- checks

class Checks:
    def __init__(self):
        self.failed, self.lines = [], []

    def ok(self, cond, what):
        self.lines.append(("ok      " if cond else "MISMATCH") + "  " + what)
        if not cond:
            self.failed.append(what)


def rel(a, b):
    if a is None or b is None:
        return 0.0 if a is None and b is None else math.inf
    return abs(a - b) / max(abs(b), 1e-300)


def go_mask(r):
    x, y, bw, bh = r["box"]
    m = np.zeros((bh, bw), dtype=bool)
    for yy, x0, x1 in r["spans"]:
        m[yy - y, x0 - x:x1 - x] = True
    return (x, y), m


def same_pixels(m1, m2, shape):
    """Whether two (origin, bool array) masks select the same pixels."""
    full = []
    for (x0, y0), m in (m1, m2):
        f = np.zeros(shape, dtype=bool)
        f[y0:y0 + m.shape[0], x0:x0 + m.shape[1]] = m
        full.append(f)
    return int(np.count_nonzero(full[0] != full[1]))


def reference(v, beam_area):
    """float64 reference statistics of masked values v (two passes)."""
    f = v[np.isfinite(v)].astype(np.float64)
    n = f.size
    if n == 0:
        return {"num_pixels": None, "nan_count": int(v.size)}
    s, ss = float(f.sum()), float(np.square(f).sum())
    mean = s / n
    sigma = math.sqrt(float(np.square(f - mean).sum()) / (n - 1)) if n > 1 else 0.0
    mn, mx = float(f.min()), float(f.max())
    return {"num_pixels": n, "nan_count": int(v.size - n), "sum": s, "sum_sq": ss, "mean": mean,
            "rms": math.sqrt(ss / n), "sigma": sigma, "min": mn, "max": mx,
            "extrema": mn if abs(mn) > abs(mx) else mx, "flux_density": s / beam_area}


def beam_area(path):
    hdr = fits.getheader(path)
    return math.pi / (4 * math.log(2)) * hdr["BMAJ"] * hdr["BMIN"] / abs(hdr["CDELT1"] * hdr["CDELT2"])


EXACT = ("num_pixels", "nan_count", "min", "max", "extrema")
CLOSE = ("sum", "sum_sq", "mean", "rms", "sigma", "flux_density")


def check_values(c, label, ours, ref):
    exact = all(ours.get(k) == ref.get(k) for k in EXACT)
    c.ok(exact, f"{label}: count {ours.get('num_pixels')}, NaN count {ours.get('nan_count')}, min, max, extrema "
         f"identical to numpy's")
    worst = max(rel(ours.get(k), ref.get(k)) for k in CLOSE)
    c.ok(worst <= REL_TOL, f"{label}: sum, sum of squares, mean, RMS, sigma, flux density within {REL_TOL:g} "
         f"relative of a float64 reference (worst {worst:.1e})")


def cross_check(args, go):
    c = Checks()
    keys = ("regions", "profiles")
    c.ok(all(all(g[k] == go[0][k] for k in keys) for g in go[1:]), "every Go run gave identical results")
    g = go[0]
    img = os.path.join(args.dir, IMAGE)
    a = load_native(img)
    area = beam_area(img)
    c.ok(rel(g["image"]["beam_area_pixels"], area) <= REL_TOL,
         f"beam area {g['image']['beam_area_pixels']:.6f} pixels as computed from the header")
    for r in g["regions"]:
        ours = go_mask(r)
        diff = same_pixels(region_mask(r, a.shape[1], a.shape[0]), ours, a.shape)
        c.ok(diff == 0, f"{r['name']}: mask of {int(ours[1].sum())} pixels identical to numpy's"
             + ("" if diff == 0 else f" ({diff} pixels differ)"))
        (x0, y0), m = ours
        v = a[y0:y0 + m.shape[0], x0:x0 + m.shape[1]][m]
        check_values(c, f"{r['name']} statistics", r["stats"], reference(v, area))
    del a
    cube_path = os.path.join(args.dir, CUBE)
    carea = beam_area(cube_path)
    with fits.open(cube_path, memmap=True) as hdul:
        d = hdul[0].data
        for p in g["profiles"]:
            ours = go_mask(p)
            diff = same_pixels(region_mask(p, d.shape[2], d.shape[1]), ours, d.shape[1:])
            c.ok(diff == 0, f"profile {p['name']}: mask of {int(ours[1].sum())} pixels identical to numpy's")
            (x0, y0), m = ours
            worst_exact, worst = True, 0.0
            for ch in range(d.shape[0]):
                ref = reference(np.asarray(d[ch, y0:y0 + m.shape[0], x0:x0 + m.shape[1]][m], dtype=np.float32), carea)
                mine = {k: v[ch] for k, v in p["values"].items()}
                worst_exact &= all(mine.get(k) == ref.get(k) for k in EXACT)
                worst = max([worst] + [rel(mine.get(k), ref.get(k)) for k in CLOSE])
            c.ok(worst_exact and worst <= REL_TOL,
                 f"profile {p['name']}: {d.shape[0]} channels, counts and extrema identical, sums within "
                 f"{REL_TOL:g} (worst {worst:.1e})")
        del d
    return c


# ---------------------------------------------------------------- report

def summarize(runs):
    meds = [statistics.median(r) / 1e6 for r in runs if r]
    if not meds:
        return None
    return statistics.median(meds), min(meds), max(meds)


def fmt_ms(s):
    if s is None:
        return "—"
    med, lo, hi = s
    digits = 3 if med < 1 else (2 if med < 10 else 1)
    return f"{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def report(args):
    go = [json.load(open(p)) for p in args.go]
    nps = [json.load(open(p)) for p in args.np]
    pix = go[0]["pixels"]
    rows = []

    def row(label, op, target=None, goal_ms=None):
        o = summarize([g["timings_ns"].get(op, []) for g in go])
        n = summarize([x["timings_ns"].get(op, []) for x in nps])
        ratio = n[0] / o[0] if o and n else None
        mpix = f"{pix[op] / (o[0] / 1e3) / 1e6:.0f}" if o and pix.get(op) else "—"
        bad = []
        if target and ratio is not None and ratio < target:
            bad.append(f"ratio {ratio:.2f} < {target:g}")
        if goal_ms and o and o[0] > goal_ms:
            bad.append(f"{o[0]:.3g} ms > {goal_ms:g}")
        verdict = "—" if not (target or goal_ms) else ("met" if not bad else "NOT met: " + "; ".join(bad))
        tgt = "; ".join(t for t in (f"≥ {target:g}× numpy (e2)" if target else "",
                                     f"≤ {goal_ms:g} ms (f)" if goal_ms else "") if t) or "— (context)"
        rows.append([label, fmt_ms(o), mpix, fmt_ms(n), f"{ratio:.2f}" if ratio else "—", tgt, verdict])

    for r in go[0]["regions"]:
        row(f"statistics {r['name']} ({pix['stats/' + r['name']] / 1e6:.2f} Mpix), 4096², in RAM",
            "stats/" + r["name"], target=3)
    for r in go[0]["regions"]:
        row(f"mask {r['name']}", "mask/" + r["name"])
    for p in go[0]["profiles"]:
        goal = 0.1 * 636 if p["name"] == "box400" else None
        row(f"spectral profile {p['name']}, 512²×200 from file", "profile/" + p["name"], goal_ms=goal)

    checks = cross_check(args, go)
    g0, n0 = go[0], nps[0]
    print(f"bench-regions: {len(go)} interleaved rounds (Go, numpy) of {g0['reps']} timed runs after warm-up; "
          f"{g0['go']} GOMAXPROCS={g0['gomaxprocs']}; numpy {n0['numpy']}, astropy {n0['astropy']}, "
          f"Python {n0['python']}")
    print("times: median of per-round medians (min–max of the round medians); numpy/ours > 1 means we are faster;")
    print("targets from ../shared/perf.md: e2 = section (e) metric 2; f = section (f) goal (400x400 rectangle")
    print("profile through 200 channels: reference 636 ms on a 1024²×200 cube, goal ≤ 0.1×; our cube is 512²×200)")
    print()
    head = ["operation", "ours ms", "Mpix/s", "numpy ms", "numpy/ours", "target", "verdict"]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths]] + rows:
        print("  ".join(col.ljust(w) for col, w in zip(r, widths)).rstrip())
    print()
    print("cross-checks (our masks and results vs numpy on the same files):")
    for line in checks.lines:
        print("  " + line)
    if checks.failed:
        print(f"\n{len(checks.failed)} cross-check(s) failed", file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--dir", required=True)
    m.add_argument("--go-json", required=True, help="a benchregions output: the regions to measure")
    m.add_argument("--reps", type=int, default=7)
    m.add_argument("--warmup", type=int, default=1)
    m.add_argument("-o", required=True)
    r = sub.add_parser("report")
    r.add_argument("--dir", required=True)
    r.add_argument("--go", nargs="+", required=True)
    r.add_argument("--np", nargs="+", required=True)
    args = p.parse_args()
    if args.cmd == "measure":
        measure(args)
        return 0
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
