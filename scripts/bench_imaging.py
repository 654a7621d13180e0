#!/usr/bin/env python3
"""The numpy/astropy side of scripts/bench-imaging.sh.

  bench_imaging.py measure --dir D --go-json G.json -o N.json
      Times, on the sample FITS files, the same operations as
      scripts/benchimaging (see its doc comment) with astropy.io.fits
      (memmap=True) and numpy; writes the timings as JSON.

  bench_imaging.py report --dir D --go G1.json ... --np N1.json ...
                          [--gobench bench.txt]
      Cross-checks our results against numpy on the same files, then
      prints the comparison table with the perf.md targets. Exits 1 if a
      result disagrees.

The numpy operations:
  plane_hist_ram   nanmin, nanmax, np.histogram(bins=int(max(sqrt(w*h), 2)),
                   range=(min, max)) of the 4096^2 plane as a native
                   float32 array in memory
  plane_fill_ram   np.histogram alone, min and max known
  plane_hist_file  the same on the memmapped big-endian data of
                   image-4096.fits, fits.open to close
  plane_stats_ram  nansum, nanmean, nanstd(ddof=1) (all dtype=float64, the
                   precision we accumulate in), nanmin, nanmax of the plane
  cube_hist_file   nanmin, nanmax, np.histogram(bins=512) of the whole
                   memmapped 512x512x200 cube, fits.open to close
  spectrum         np.array(data[:, y, x]) through the open memmapped cube,
                   per call, at the pixels the Go run used
Our histograms also compute mean and sigma in the same passes; numpy's
are not asked to, which favours numpy.
"""

import argparse
import gc
import json
import math
import os
import re
import statistics
import sys
import time

import numpy as np
import astropy
from astropy.io import fits

IMAGE = "image-4096.fits"
CUBE = "cube-512x512x200.fits"
REL_TOL = 1e-9


def auto_bins(w, h):
    return int(max(math.sqrt(w * h), 2))


def load_native(path):
    """The first HDU's data as a native-endian float32 array in memory."""
    with fits.open(path, memmap=True) as hdul:
        return np.array(hdul[0].data, dtype=np.float32)


# ---------------------------------------------------------------- measure

def measure(args):
    with open(args.go_json) as f:
        positions = json.load(f)["spectra"]["positions"]
    timings, pixels = {}, {}

    def timer(name, npix, fn, per=1):
        pixels[name] = npix
        runs = []
        for i in range(args.warmup + args.reps):
            gc.collect()
            start = time.perf_counter_ns()
            fn()
            elapsed = time.perf_counter_ns() - start
            if i >= args.warmup:
                runs.append(elapsed // per)
        timings[name] = runs

    image_path = os.path.join(args.dir, IMAGE)
    cube_path = os.path.join(args.dir, CUBE)
    a = load_native(image_path)
    h, w = a.shape
    bins = auto_bins(w, h)

    def plane_hist(d):
        lo, hi = np.nanmin(d), np.nanmax(d)
        return np.histogram(d, bins=bins, range=(lo, hi))

    timer("plane_hist_ram", a.size, lambda: plane_hist(a))
    lo, hi = np.nanmin(a), np.nanmax(a)
    timer("plane_fill_ram", a.size, lambda: np.histogram(a, bins=bins, range=(lo, hi)))

    def plane_hist_file():
        with fits.open(image_path, memmap=True) as hdul:
            plane_hist(hdul[0].data)

    timer("plane_hist_file", a.size, plane_hist_file)

    def plane_stats():
        np.nansum(a, dtype=np.float64)
        np.nanmean(a, dtype=np.float64)
        np.nanstd(a, ddof=1, dtype=np.float64)
        np.nanmin(a)
        np.nanmax(a)

    timer("plane_stats_ram", a.size, plane_stats)
    del a

    def cube_hist_file():
        with fits.open(cube_path, memmap=True) as hdul:
            d = hdul[0].data
            lo, hi = np.nanmin(d), np.nanmax(d)
            np.histogram(d, bins=auto_bins(d.shape[2], d.shape[1]), range=(lo, hi))

    with fits.open(cube_path, memmap=True) as hdul:
        shape = hdul[0].data.shape
    timer("cube_hist_file", int(np.prod(shape)), cube_hist_file)

    with fits.open(cube_path, memmap=True) as hdul:
        d = hdul[0].data

        def spectra():
            for x, y in positions:
                np.array(d[:, y, x])

        timer("spectrum", shape[0], spectra, per=len(positions))
        del d

    out = {"numpy": np.__version__, "astropy": astropy.__version__,
           "python": sys.version.split()[0], "reps": args.reps,
           "timings_ns": timings, "pixels": pixels}
    with open(args.o, "w") as f:
        json.dump(out, f)


# ---------------------------------------------------------------- checks

class Checks:
    def __init__(self):
        self.failed = []
        self.lines = []

    def ok(self, cond, what):
        self.lines.append(("ok      " if cond else "MISMATCH") + "  " + what)
        if not cond:
            self.failed.append(what)

    def info(self, what):
        self.lines.append("info      " + what)


def rel(a, b):
    if a is None or b is None:
        return math.inf
    return abs(a - b) / max(abs(b), 1e-300)


def reference_stats(d):
    """Count, NaN count, sum, mean, sigma (n-1), min, max of the finite
    values, all in float64 (two passes, numpy's pairwise sums)."""
    finite = np.isfinite(d)
    v = d[finite].astype(np.float64)
    n = v.size
    s = float(v.sum())
    mean = s / n
    sigma = math.sqrt(float(np.square(v - mean).sum()) / (n - 1))
    return {"count": n, "nan_count": int(d.size - n), "sum": s, "mean": mean,
            "sigma": sigma, "min": float(v.min()), "max": float(v.max())}


def check_stats(c, label, ours, ref):
    c.ok(ours["count"] == ref["count"] and ours["nan_count"] == ref["nan_count"],
         f"{label}: count {ours['count']} / NaN {ours['nan_count']} "
         f"(numpy {ref['count']} / {ref['nan_count']})")
    c.ok(ours["min"] == ref["min"] and ours["max"] == ref["max"],
         f"{label}: min/max {ours['min']!r}/{ours['max']!r} identical to numpy's")
    worst = max(rel(ours[k], ref[k]) for k in ("sum", "mean", "sigma"))
    c.ok(worst <= REL_TOL, f"{label}: sum, mean, sigma within {REL_TOL:g} relative "
         f"of a float64 reference (worst {worst:.1e})")


def our_rule(d, h):
    """Our binning (the reference backend's) evaluated with numpy: bin =
    int(float32(v - lo) / float32 width), clamped to the last bin, for
    lo <= v <= hi, all in float32."""
    lo, hi, w = np.float32(h["min"]), np.float32(h["max"]), np.float32(h["bin_width"])
    v = d[np.isfinite(d)].ravel()
    v = v[(v >= lo) & (v <= hi)]
    idx = ((v - lo) / w).astype(np.int64)
    idx = np.minimum(idx, h["num_bins"] - 1)
    return np.bincount(idx, minlength=h["num_bins"])


def check_histogram(c, label, d, h):
    ours = np.array(h["bins"], dtype=np.int64)
    lo, hi = np.nanmin(d), np.nanmax(d)
    c.ok(float(lo) == h["min"] and float(hi) == h["max"] and len(ours) == h["num_bins"],
         f"{label}: {h['num_bins']} bins over [{h['min']!r}, {h['max']!r}] as numpy's "
         f"nanmin/nanmax")
    c.ok(np.array_equal(ours, our_rule(d, h)),
         f"{label}: counts identical to the same binning rule evaluated by numpy")
    npc, _ = np.histogram(d, bins=h["num_bins"], range=(lo, hi))
    diff = np.abs(npc - ours)
    c.ok(npc.sum() == ours.sum(), f"{label}: total {int(ours.sum())} equals np.histogram's")
    if diff.any():
        c.info(f"{label}: vs np.histogram {int(np.count_nonzero(diff))} of {len(ours)} bins "
               f"differ, {int(diff.sum()) // 2} pixels in a neighbouring bin: np.histogram bins "
               f"against edges linspace(min, max) rounded to float32, we (like the reference "
               f"backend) by int(float32(v - min) / float32(width)); values within rounding of "
               f"an edge can land on either side")
    else:
        c.ok(True, f"{label}: counts identical to np.histogram's")


def cross_check(args, go):
    c = Checks()
    keys = ("plane_hist", "plane_stats", "cube_hist", "spectra")
    c.ok(all(other[k] == go[0][k] for other in go[1:] for k in keys),
         f"all {len(go)} Go runs gave identical results")
    g = go[0]
    a = load_native(os.path.join(args.dir, IMAGE))
    ref = reference_stats(a)
    check_histogram(c, "plane histogram", a, g["plane_hist"])
    check_stats(c, "plane histogram stats", g["plane_hist"]["stats"], ref)
    check_stats(c, "plane statistics", g["plane_stats"], ref)
    del a
    cube = load_native(os.path.join(args.dir, CUBE))
    check_histogram(c, "cube histogram", cube, g["cube_hist"])
    check_stats(c, "cube histogram stats", g["cube_hist"]["stats"], reference_stats(cube))
    del cube
    sp = g["spectra"]
    with fits.open(os.path.join(args.dir, sp["file"]), memmap=True) as hdul:
        d = hdul[0].data
        same = all(
            np.array_equal(np.array(d[:, y, x]).astype("<f4").view("<u4"), np.array(bits, dtype="<u4"))
            for (x, y), bits in zip(sp["positions"], sp["bits"]))
        del d
    c.ok(same, f"spectra at {len(sp['bits'])} pixels bit-identical to astropy's memmap")
    return c


# ---------------------------------------------------------------- report

class Series:
    """One operation's times in ms: per-round medians (or, for go test
    benchmarks, the median each run reported) and the fastest single run."""

    def __init__(self, meds, best):
        self.meds, self.best = meds, best
        self.med = statistics.median(meds)

    def fmt(self):
        d = 3 if self.med < 1 else (2 if self.med < 10 else 1)
        return f"{self.med:.{d}f} ({min(self.meds):.{d}f}–{max(self.meds):.{d}f})", f"{self.best:.{d}f}"


def rounds_series(runs):
    """A Series from per-round lists of ns, or None."""
    runs = [r for r in runs if r]
    if not runs:
        return None
    return Series([statistics.median(r) / 1e6 for r in runs], min(min(r) for r in runs) / 1e6)


def paired_ratio(peer, ours):
    """Median over rounds of peer/ours, the rounds being interleaved
    pairs; the ratio of medians if the counts differ."""
    if peer is None or ours is None:
        return None
    if len(peer.meds) == len(ours.meds):
        return statistics.median(p / o for p, o in zip(peer.meds, ours.meds))
    return peer.med / ours.med


def parse_gobench(path):
    """{name: {unit: [value per run]}} from `go test -bench` output."""
    out = {}
    if not path:
        return out
    line_re = re.compile(r"^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$")
    with open(path) as f:
        for line in f:
            m = line_re.match(line.strip())
            if not m:
                continue
            fields = m.group(3).split()
            metrics = out.setdefault(m.group(1), {})
            for value, unit in zip(fields[::2], fields[1::2]):
                metrics.setdefault(unit, []).append(float(value))
    return out


def bench_series(gb, name, unit):
    vals = gb.get(name, {}).get(unit)
    return Series(vals, min(vals)) if vals else None


def verdict(checks, ours, ratio, mpix):
    if not checks or ours is None:
        return "—"
    bad = []
    for kind, limit in checks:
        if kind == "ms" and ours.med > limit:
            bad.append(f"{ours.med:.3g} ms > {limit:g}")
        if kind == "ratio" and ratio is not None and ratio < limit:
            bad.append(f"ratio {ratio:.2f} < {limit:.2f}")
        if kind == "mpix" and mpix is not None and mpix < limit:
            bad.append(f"{mpix:.0f} Mpix/s < {limit:g}")
    return "met" if not bad else "NOT met: " + "; ".join(bad)


def report(args):
    go = [json.load(open(p)) for p in args.go]
    np_runs = [json.load(open(p)) for p in args.np]
    gb = parse_gobench(args.gobench)
    pix = go[0]["pixels"]
    rows = []

    def cells(series, rate_pixels=None):
        if series is None:
            return ["—", "—", "—"]
        med, best = series.fmt()
        rate = f"{rate_pixels / (series.med / 1e3) / 1e6:.0f}" if rate_pixels else "—"
        return [med, best, rate]

    def kernel(label, op, target, checks):
        o = rounds_series([g["timings_ns"].get(op, []) for g in go])
        n = rounds_series([r["timings_ns"].get(op, []) for r in np_runs])
        ratio = paired_ratio(n, o)
        npix = pix[op] if op != "spectrum" else None
        mpix = npix / (o.med / 1e3) / 1e6 if o and npix else None
        rows.append([label] + cells(o, npix) + ["numpy"] + cells(n, npix) +
                    [f"{ratio:.2f}" if ratio else "—", target, verdict(checks, o, ratio, mpix)])

    def ws(label, name, unit, target, checks, peer=None):
        o = bench_series(gb, name, unit)
        p = bench_series(gb, peer, "ms-to-last-tile") if peer else None
        ratio = paired_ratio(p, o)
        rows.append([label] + cells(o) + ["in-process" if peer else "—"] + cells(p) +
                    [f"{ratio:.2f}" if ratio else "—", target, verdict(checks, o, ratio, None)])

    kernel("per-channel histogram 4096², in RAM", "plane_hist_ram",
           "≤ 25 ms, ≥ 650 Mpix/s (t0); ≥ 2.5× numpy (e3)", [("ms", 25), ("mpix", 650), ("ratio", 2.5)])
    kernel("  counting pass alone (min/max known)", "plane_fill_ram", "— (diagnostic)", [])
    kernel("per-channel histogram 4096², open+decode", "plane_hist_file", "— (context)", [])
    kernel("basic statistics 4096², in RAM", "plane_stats_ram", "≥ 3× numpy (e2)", [("ratio", 3)])
    kernel("cube histogram 512²×200 (200 MiB), open→done", "cube_hist_file",
           "≥ 2× numpy; 0.6 s/GiB → ≤ 117 ms (t0, e1)", [("ratio", 2), ("ms", 117)])
    kernel("spectral profile, 200 ch, mmap, per pixel", "spectrum",
           "≤ 1 ms (t0); ≤ 2× astropy or ≤ 0.1 ms (e6)", [("ms", 0.1)])
    ws("cursor → spectrum, 200 ch, websocket", "BenchmarkCursorSpectrum", "ms-to-spectrum",
       "≤ 1 ms (t0); ≤ 0.5×7.3 = 3.65 ms (f)", [("ms", 1)])
    ws("OPEN_FILE 4096² → histogram", "BenchmarkOpenToLastTile/fit-1600x1000", "ms-to-histogram",
       "≤ 0.5×78 = 39 ms (f)", [("ms", 39)])
    ws("OPEN_FILE 4096² → last tile, fit view (16 tiles)", "BenchmarkOpenToLastTile/fit-1600x1000",
       "ms-to-last-tile", "— (f: open 78 + fit 16 ms ref)", [])
    ws("OPEN_FILE 4096² → last tile, full-res 1600×1000 (32)", "BenchmarkOpenToLastTile/full-res-1600x1000",
       "ms-to-last-tile", "—", [])
    ws("tiles, fit view 1600×1000 (16), warm", "BenchmarkViewportTiles/fit-1600x1000", "ms-to-last-tile",
       "≤ 0.8×16 = 12.8 ms (f); ws ≤ 1.1× in-process (e5)", [("ms", 12.8), ("ratio", 1 / 1.1)],
       peer="BenchmarkViewportTilesInProcess/fit-1600x1000")
    ws("tiles, full-res 1600×1000 (32), warm", "BenchmarkViewportTiles/full-res-1600x1000", "ms-to-last-tile",
       "≤ 30 ms (t0); ws ≤ 1.1× in-process (e5)", [("ms", 30), ("ratio", 1 / 1.1)],
       peer="BenchmarkViewportTilesInProcess/full-res-1600x1000")
    ws("tiles, full-res 1920×1080 (48), warm", "BenchmarkViewportTiles/full-res-1920x1080", "ms-to-last-tile",
       "≤ 30 ms (t0); ≤ 0.8×29 = 23 ms (f); e5", [("ms", 23.2), ("ratio", 1 / 1.1)],
       peer="BenchmarkViewportTilesInProcess/full-res-1920x1080")

    checks = cross_check(args, go)

    g0, n0 = go[0], np_runs[0]
    print(f"bench-imaging: {len(go)} interleaved rounds (Go, numpy, websocket) of {g0['reps']} timed runs "
          f"after a warm-up; {g0['go']} GOMAXPROCS={g0['gomaxprocs']}; numpy {n0['numpy']}, "
          f"astropy {n0['astropy']}, Python {n0['python']}")
    print("ms: median of the round medians (their min–max); best: fastest single run (websocket rows: "
          "fastest round median);")
    print("peer/ours: median over rounds of the paired ratio, > 1 means we are faster; verdicts use medians;")
    print("targets from ../shared/perf.md: t0 = table 0, eN = section (e) metric N, f = section (f) goals "
          "against the reference backend")
    print()
    head = ["operation", "ours ms", "best", "Mpix/s", "peer", "peer ms", "best", "Mpix/s", "peer/ours",
            "target", "verdict"]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths]] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    ceiling = rounds_series([g["timings_ns"].get("read_ceiling", []) for g in go])
    hist = rounds_series([g["timings_ns"].get("plane_hist_ram", []) for g in go])
    if ceiling and hist:
        def gbs(series, op):
            return pix[op] * 4 / (series.med / 1e3) / 1e9
        print()
        print(f"memory read ceiling (one core, 64 MiB XOR): {gbs(ceiling, 'read_ceiling'):.1f} GB/s; "
              f"per-channel histogram reads {gbs(hist, 'plane_hist_ram'):.2f} GB/s "
              f"= {gbs(hist, 'plane_hist_ram') / gbs(ceiling, 'read_ceiling') * 100:.0f}% of it (e10)")
    print()
    print("cross-checks (our results vs numpy on the same files):")
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
    m.add_argument("--go-json", required=True, help="a benchimaging output, for the spectrum pixels")
    m.add_argument("--reps", type=int, default=7)
    m.add_argument("--warmup", type=int, default=1)
    m.add_argument("-o", required=True)
    r = sub.add_parser("report")
    r.add_argument("--dir", required=True)
    r.add_argument("--go", nargs="+", required=True)
    r.add_argument("--np", nargs="+", required=True)
    r.add_argument("--gobench")
    args = p.parse_args()
    if args.cmd == "measure":
        measure(args)
        return 0
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
