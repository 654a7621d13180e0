# Like gen.py, with coordinates at or within a hair of integers and half-integers
# on images up to 20000², where casacore's relative tolerances matter.
import numpy as np, sys
rng = np.random.default_rng(int(sys.argv[2]))
N = int(sys.argv[1])
f32 = lambda v: float(np.float32(v))
def jit(v):
    r = rng.random()
    if r < 0.3: return v
    off = rng.choice([1e-7, 1e-6, 1e-5, 3e-5, 1e-4, 1e-3, 0.01, 0.03, 0.049, 0.05, 0.1, 0.5])
    return v + off * rng.choice([-1, 1])
for i in range(N):
    W = int(rng.choice([64, 5000, 9000, 20000]))
    H = int(rng.choice([64, 5000, 9000, 20000]))
    ox = rng.integers(0, W); oy = rng.integers(0, H)
    kind = int(rng.choice([3, 4, 6, 0]))
    if kind == 6:
        n = int(rng.integers(3, 7))
        pts = [(f32(jit(ox + rng.integers(-12, 13))), f32(jit(oy + rng.integers(-12, 13)))) for _ in range(n)]
        r = 0.0
    elif kind == 0:
        pts = [(f32(jit(ox + rng.choice([0, 0.5, -0.5]))), f32(jit(oy + rng.choice([0, 0.5, -0.5]))))]
        r = 0.0
    else:
        c = (f32(jit(ox + rng.choice([0, 0.5]))), f32(jit(oy + rng.choice([0, 0.5]))))
        s = (f32(jit(rng.integers(1, 25))), f32(jit(rng.integers(1, 25))))
        if s[0] <= 0 or s[1] <= 0: s = (1.0, 1.0)
        r = f32(rng.choice([0, 45, 90, 180, 270, -90, 30, 60, 135, 1e-3, 89.999, 360, 720]))
        pts = [c, s]
    print(i, kind, W, H, repr(r), len(pts), " ".join(f"{repr(x)} {repr(y)}" for x, y in pts))
