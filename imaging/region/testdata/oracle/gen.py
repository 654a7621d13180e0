# Random regions for oracle.cc: python3 gen.py COUNT SEED > in.txt (one region a line:
# id kind width height rotation npoints x y ...; float32 values).
import numpy as np, sys, json
rng = np.random.default_rng(int(sys.argv[2]))
N = int(sys.argv[1])
f32 = lambda v: float(np.float32(v))
def coord(lo, hi):
    v = rng.uniform(lo, hi)
    r = rng.random()
    if r < 0.3: v = round(v)
    elif r < 0.5: v = round(v*2)/2
    return f32(v)
def size(lo, hi):
    v = rng.uniform(lo, hi)
    r = rng.random()
    if r < 0.35: v = max(1, round(v))
    elif r < 0.5: v = max(0.5, round(v*2)/2)
    return f32(v)
def rot():
    r = rng.random()
    if r < 0.35: return 0.0
    if r < 0.6: return f32(rng.choice([45, 90, 30, 60, 135, 180, -45, 270, 22.5, 360, -90]))
    return f32(rng.uniform(-360, 360))
out = []
for i in range(N):
    big = rng.random() < 0.1
    if big:
        W, H = 5000, 4100
        ox, oy = rng.uniform(0, W), rng.uniform(0, H)
    else:
        W, H = int(rng.integers(1, 65)), int(rng.integers(1, 65))
        ox, oy = W/2, H/2
    span = 40
    kind = int(rng.choice([0, 3, 4, 6], p=[0.1, 0.35, 0.3, 0.25]))
    if kind == 0:
        pts = [(coord(ox-W/2-3, ox+W/2+3) if not big else coord(ox-5, ox+5), coord(oy-H/2-3, oy+H/2+3) if not big else coord(oy-5, oy+5))]
        r = 0.0
    elif kind in (3, 4):
        c = (coord(ox-span/2-10, ox+span/2+10), coord(oy-span/2-10, oy+span/2+10)) if big else (coord(-10, W+10), coord(-10, H+10))
        s = (size(0.1, 40), size(0.1, 40)) if kind == 3 else (size(0.1, 25), size(0.1, 25))
        if rng.random() < 0.1: s = (s[0], s[0])
        pts = [c, s]; r = rot()
    else:
        n = int(rng.integers(3, 9))
        if big:
            pts = [(coord(ox-span, ox+span), coord(oy-span, oy+span)) for _ in range(n)]
        else:
            pts = [(coord(-10, W+10), coord(-10, H+10)) for _ in range(n)]
        r = 0.0
    out.append((i, kind, W, H, r, pts))
for (i, kind, W, H, r, pts) in out:
    print(i, kind, W, H, repr(r), len(pts), " ".join(f"{repr(x)} {repr(y)}" for x, y in pts))
