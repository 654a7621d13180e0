"""Independent fit for scripts/fit-check.sh: scipy.optimize.curve_fit of
N 2-D Gaussians plus an offset on a box of a FITS image, with the model
of carta-backend's ImageFitter (major axis at PA counter-clockwise from
+y, i.e. axes rotated by PA - 90 degrees).

    python3 fitcheck.py IMAGE.fits X0 Y0 W H 'INITIAL_JSON'

INITIAL_JSON is [x, y, amp, fwhm_x, fwhm_y, pa, ..., offset] in
whole-image pixels. Prints JSON: values, errors (sqrt of the diagonal
of pcov, which scales by the reduced chi-square as ours does), seconds
of curve_fit alone, and the number of pixels fitted.
"""
import json
import sys
import time

import numpy as np
from astropy.io import fits
from scipy.optimize import curve_fit

SIGMA_PER_FWHM = 1 / np.sqrt(8 * np.log(2))


def model(xy, *p):
    x, y = xy
    out = np.full(x.shape, p[-1], dtype=np.float64)
    for k in range(0, len(p) - 1, 6):
        cx, cy, amp, fx, fy, pa = p[k:k + 6]
        th = np.radians(pa - 90)
        c, s = np.cos(th), np.sin(th)
        dx, dy = x - cx, y - cy
        u = dx * c + dy * s
        v = -dx * s + dy * c
        sx, sy = fx * SIGMA_PER_FWHM, fy * SIGMA_PER_FWHM
        out += amp * np.exp(-0.5 * (u * u / (sx * sx) + v * v / (sy * sy)))
    return out


def main():
    path, x0, y0, w, h, init = sys.argv[1], *map(int, sys.argv[2:6]), json.loads(sys.argv[6])
    data = fits.getdata(path).astype(np.float64)
    while data.ndim > 2:
        data = data[0]
    box = data[y0:y0 + h, x0:x0 + w]
    ys, xs = np.mgrid[y0:y0 + h, x0:x0 + w]
    keep = np.isfinite(box)
    xy = (xs[keep].astype(np.float64), ys[keep].astype(np.float64))
    z = box[keep]
    start = time.perf_counter()
    popt, pcov = curve_fit(model, xy, z, p0=init, maxfev=20000)
    took = time.perf_counter() - start
    print(json.dumps({"values": popt.tolist(), "errors": np.sqrt(np.diag(pcov)).tolist(),
                      "seconds": took, "pixels": int(z.size)}))


if __name__ == "__main__":
    main()
