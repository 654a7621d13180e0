#!/usr/bin/python3
"""Convert one of our FITS samples into a CASA image with python-casacore,
for the reader's tests and scripts/bench-casa.sh.

usage: casa-fixture.py IN.fits OUT.im [--endian big|little] [--no-mask]
                       [--tile N,N,...] [--zero-masked]

--endian      byte order of the tile data (casacore's table.endianformat)
--no-mask     do not keep the mask casacore makes of NaN pixels
--tile        tile shape, axis 0 first (default: casacore's choice)
--zero-masked write 0 into the masked pixels' data, so only the mask
              makes them blank (a reader ignoring the mask shows zeros)
"""
import argparse
import os
import sys
import tempfile


def main():
    p = argparse.ArgumentParser()
    p.add_argument("fits")
    p.add_argument("out")
    p.add_argument("--endian", choices=["big", "little"], default="little")
    p.add_argument("--no-mask", action="store_true")
    p.add_argument("--tile", default="")
    p.add_argument("--zero-masked", action="store_true")
    a = p.parse_args()
    # casacore reads its settings (aipsrc) once, at first use: set the
    # byte order before importing it.
    rc = tempfile.NamedTemporaryFile("w", suffix=".casarc", delete=False)
    rc.write("table.endianformat: %s\n" % a.endian)
    rc.close()
    os.environ["CASARCFILES"] = rc.name
    os.environ["HOME"] = os.path.dirname(rc.name)
    import casacore.images as ci
    import numpy as np

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tile = tuple(int(n) for n in a.tile.split(",")) if a.tile else ()
    src = ci.image(a.fits)
    # casacore lists axes last first (numpy order); the tile shape
    # argument is in that order too.
    src.saveas(a.out, overwrite=True, copymask=not a.no_mask, newtileshape=tuple(reversed(tile)))
    del src
    if a.zero_masked:
        im = ci.image(a.out)
        data = im.getdata()
        mask = im.getmask()  # True where masked
        if not mask.any():
            sys.exit("--zero-masked: no pixel is masked")
        data[mask] = 0
        im.putdata(data)
        del im
    os.unlink(rc.name)


if __name__ == "__main__":
    main()
