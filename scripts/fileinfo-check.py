#!/usr/bin/python3
"""Independent check of the File Information entries (FILE_INFO computed
entries) of cartago, with astropy (Debian: apt-get install python3-astropy).

The entries, their order and their text formats are the reference
backend's (CARTAvis/carta-backend src/FileList/FileExtInfoLoader.cc);
every number in them is computed here from the FITS file with astropy:
world coordinates of the image corners and channels with astropy.wcs,
unit conversions and Doppler conventions with astropy.units, sexagesimal
text with astropy.coordinates.Angle.

Usage:
  fileinfo-check.py compare DIR ENTRIES.json   compare the server's entries
                                               (scripts/fileinfo-check output)
  fileinfo-check.py print FILE [HDU]           print the expected entries as JSON
"""

import json
import math
import sys
import warnings

import astropy.units as u
from astropy.coordinates import Angle
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

warnings.simplefilter("ignore", FITSFixedWarning)

SPECTRAL = ("FREQ", "ENER", "WAVN", "VRAD", "WAVE", "VOPT", "ZOPT", "AWAV", "VELO", "BETA", "FELO")
DATA_TYPES = {8: "uChar (rescaled to float)", 16: "Short (rescaled to float)", 32: "Int (rescaled to float)",
              64: "Int64", -32: "float", -64: "double"}
NAMES = {"RA": "Right Ascension", "DEC": "Declination", "GLON": "Longitude", "GLAT": "Latitude"}
STOKES = {1: "I", 2: "Q", 3: "U", 4: "V", -1: "RR", -2: "LL", -3: "RL", -4: "LR",
          -5: "XX", -6: "YY", -7: "XY", -8: "YX"}


def g(v):
    """C's %.6g."""
    return "%.6g" % v


def shortest(v):
    """fmt's {} for a double."""
    return "%d" % v if float(v).is_integer() else repr(float(v))


def sexagesimal(deg, hours, digits, decimals):
    """casacore's MVAngle text: hh:mm:ss.s for hours, +ddd.mm.ss.s (or
    +dd with digits=2) for degrees; astropy does the arithmetic."""
    a = Angle(deg, u.deg)
    if hours:
        return a.wrap_at(360 * u.deg).to_string(unit=u.hourangle, sep=":", precision=decimals, pad=True)
    text = a.to_string(unit=u.deg, sep=":", precision=decimals, pad=True, alwayssign=True)
    d, m, s = text[1:].split(":")
    return text[0] + d.zfill(digits) + "." + m + "." + s


class Axes:
    """Axis roles as the reference chooses them (FileLoader.cc)."""

    def __init__(self, h):
        self.n = h["NAXIS"]
        self.shape = [h["NAXIS%d" % (i + 1)] for i in range(self.n)]
        self.ctype = [str(h.get("CTYPE%d" % (i + 1), "")).strip() for i in range(self.n)]
        self.spectral = next((i for i, c in enumerate(self.ctype) if c.upper()[:4] in SPECTRAL), -1)
        self.stokes = next((i for i, c in enumerate(self.ctype) if c.upper().startswith("STOKES")), -1)
        self.spectral_named, self.stokes_named = self.spectral >= 0, self.stokes >= 0
        render = [i for i in range(self.n) if i != self.stokes][:2]
        self.x, self.y = render
        if self.n == 3 and self.spectral < 0 and self.stokes < 0:
            self.spectral = 2
        elif self.n == 4 and (self.spectral < 0 or self.stokes < 0):
            if self.spectral < 0 and self.stokes >= 0:
                self.spectral = 2 if self.stokes == 3 else 3
            elif self.spectral >= 0:
                self.stokes = 2 if self.spectral == 3 else 3
            elif self.shape[2] <= 4 and self.shape[3] > 4:
                self.spectral, self.stokes = 3, 2
            else:
                self.spectral, self.stokes = 2, 3

    def label(self, i):
        name = self.ctype[i].split("-")[0]
        return name or ("STOKES" if i == self.stokes else "NA")


def expected(path, index, hdu):
    """The computed entries of one image HDU, as [name, value] pairs."""
    h = hdu.header
    a = Axes(h)
    out = [["Name", path.split("/")[-1]], ["HDU", str(index)]]
    if str(h.get("EXTNAME", "")).strip():
        out.append(["Extension name", str(h["EXTNAME"]).strip()])
    out.append(["Data type", DATA_TYPES[h["BITPIX"]]])
    out.append(["Shape", "[%s] (%s)" % (", ".join(map(str, a.shape)), ", ".join(a.label(i) for i in range(a.n)))])
    if a.spectral >= 0:
        out.append(["Number of channels", str(a.shape[a.spectral])])
    if a.stokes >= 0:
        out.append(["Number of polarizations", str(a.shape[a.stokes])])
    out += reference_entries(h, a)
    if all(k in h for k in ("BMAJ", "BMIN", "BPA")):
        out.append(["Restoring beam", '%s" X %s", %s deg' % (
            g((h["BMAJ"] * u.deg).to_value(u.arcsec)), g((h["BMIN"] * u.deg).to_value(u.arcsec)), g(h["BPA"]))])
    out += sky_ranges(h, a)
    out += spectral_ranges(h, a)
    if a.stokes_named:
        w = WCS(h).sub([a.stokes + 1])
        codes = w.wcs_pix2world([[p] for p in range(a.shape[a.stokes])], 0)
        out.append(["Stokes coverage", "[%s]" % ", ".join(STOKES[int(round(c[0]))] for c in codes)])
    return out


def reference_entries(h, a):
    """Entries about the render axes, the unit and the frames."""
    out = []
    k1, k2 = a.x + 1, a.y + 1
    c1, c2 = (str(h.get("CTYPE%d" % k, "")).split("/")[0].strip() for k in (k1, k2))
    units = [u.Unit(str(h.get("CUNIT%d" % k, "deg")).strip() or "") for k in (k1, k2)]
    radesys = str(h.get("RADESYS", "")).strip()
    names = [c1, c2]
    if c1 and c2:
        names = [NAMES.get(c.split("-")[0], c.split("-")[0]) for c in (c1, c2)]
        if not radesys and c1.split("-")[0] == "GLON":
            radesys = "GALACTIC"
        out.append(["Coordinate type", ", ".join(names)])
        proj = c1.split("-", 1)[1].lstrip("-") if "-" in c1 else ""
        if proj:
            out.append(["Projection", proj])
    if "CRPIX%d" % k1 in h and "CRPIX%d" % k2 in h:
        out.append(["Image reference pixels", "[%s, %s]" % (shortest(h["CRPIX%d" % k1]), shortest(h["CRPIX%d" % k2]))])
    if "CRVAL%d" % k1 in h and "CRVAL%d" % k2 in h:
        vals = [h["CRVAL%d" % k1] * units[0], h["CRVAL%d" % k2] * units[1]]
        out.append(["Image reference coords", "[%s]" % ", ".join(ref_text(n, v) for n, v in zip(names, vals))])
        out.append(["Image ref coords (deg)", "[%s]" % ", ".join(
            g(v.to_value(u.deg) + (360 if n == "Longitude" and v.to_value(u.deg) < 0 else 0)) + " deg" for n, v in zip(names, vals))])
    if "CDELT%d" % k1 in h and "CDELT%d" % k2 in h:
        incs = [(h["CDELT%d" % k] * un).to_value(u.arcsec) for k, un in ((k1, units[0]), (k2, units[1]))]
        out.append(["Pixel increment", ", ".join(g(v) + '"' for v in incs)])
    if str(h.get("BUNIT", "")).strip():
        out.append(["Pixel unit", str(h["BUNIT"]).strip()])
    frame = celestial_frame(h, radesys)
    if frame:
        out.append(["Celestial frame", frame])
    specsys = str(h.get("SPECSYS", "")).strip()
    if "SPECSYS" not in h and a.spectral >= 0 and "-" in a.ctype[a.spectral]:
        specsys = a.ctype[a.spectral].split("-", 1)[1].lstrip("-")
    if specsys:
        out.append(["Spectral frame", specsys])
    if "VELREF" in h:
        v = h["VELREF"]
        out.append(["Velocity definition", "OPTICAL" if v < 4 else "RADIO" if v > 256 else "UNKNOWN"])
    return out


def ref_text(name, value):
    if name == "Right Ascension":
        return sexagesimal(value.to_value(u.deg), True, 2, 4)
    if name in ("Declination", "Longitude", "Latitude"):
        deg = value.to_value(u.deg)
        return sexagesimal(deg + 360 if name == "Longitude" and deg < 0 else deg, False, 3, 4)
    return "%s %s" % (g(value.value), value.unit)


def celestial_frame(h, radesys):
    for card in h.cards:
        if card.keyword.startswith(("EQUINOX", "TELEQUIN", "EPOCH")):
            v = card.value
            text = shortest(v) if isinstance(v, (int, float)) else str(v)
            if "2000" in text:
                return "FK5, J2000"
            if "1950" in text:
                return "FK4, B1950"
            return text
    return radesys


def sky_ranges(h, a):
    w = WCS(h)
    if not w.has_celestial or w.wcs.lng != a.x or w.wcs.lat != a.y:
        return []
    cel = w.celestial
    xmax, ymax = a.shape[a.x] - 1, a.shape[a.y] - 1
    lon, lat = cel.wcs_pix2world([[0, 0], [xmax, ymax], [0, ymax], [xmax, 0]], 0).T
    if w.wcs.lngtyp == "RA":
        return [["RA range", "[%s, %s]" % tuple(sexagesimal(v, True, 2, 3) for v in (lon.min(), lon.max()))],
                ["DEC range", "[%s, %s]" % tuple(sexagesimal(v, False, 2, 3) for v in (lat.min(), lat.max()))]]
    return [["LON range", "[%.6f, %.6f]" % (lon.min() % 360, lon.max() % 360)],
            ["LAT range", "[%.6f, %.6f]" % (lat.min(), lat.max())]]


def spectral_ranges(h, a):
    if not a.spectral_named:
        return []
    w = WCS(h).sub([a.spectral + 1])
    kind = a.ctype[a.spectral].upper()[:4]
    rest = h.get("RESTFRQ", h.get("RESTFREQ", 0)) * u.Hz
    doppler = {"VOPT": u.doppler_optical, "FELO": u.doppler_optical, "ZOPT": u.doppler_optical,
               "VELO": u.doppler_relativistic}.get(kind, u.doppler_radio)
    n = a.shape[a.spectral]
    ends = w.wcs_pix2world([[0], [n - 1]], 0)[:, 0] * u.Unit(w.wcs.cunit[0])
    if kind == "FREQ":
        freqs = ends.to(u.Hz)
    elif kind == "WAVE":
        freqs = ends.to(u.Hz, equivalencies=u.spectral())
    elif rest.value > 0 and kind in ("VRAD", "VOPT", "FELO", "VELO"):
        freqs = ends.to(u.Hz, equivalencies=doppler(rest))
    else:
        return []
    ghz = freqs.to_value(u.GHz)
    out = []
    if n > 1:
        out.append(["Frequency range", "[%.4f, %.4f] (GHz)" % tuple(ghz)])
    else:
        out.append(["Frequency", "%.4f (GHz)" % ghz[0]])
    if rest.value > 0:
        kms = freqs.to_value(u.km / u.s, equivalencies=doppler(rest))
        if n > 1:
            out.append(["Velocity range", "[%.4f, %.4f] (km/s)" % tuple(kms)])
        else:
            out.append(["Velocity", "%.4f (km/s)" % kms[0]])
    return out


def expected_file(path):
    out = {}
    with fits.open(path) as hl:
        for i, hdu in enumerate(hl):
            if isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU)) and hdu.header.get("NAXIS", 0) >= 2:
                out[str(i)] = expected(path, i, hdu)
    return out


def compare(folder, entries_path):
    with open(entries_path) as f:
        got = json.load(f)
    bad = 0
    for rel in sorted(got):
        want = expected_file(folder + "/" + rel)
        if set(want) != set(got[rel]):
            print("%s: HDUs %s, want %s" % (rel, sorted(got[rel]), sorted(want)))
            bad += 1
            continue
        for hdu in sorted(want):
            if got[rel][hdu] != want[hdu]:
                bad += 1
                print("%s HDU %s differs:" % (rel, hdu))
                for line in diff(got[rel][hdu], want[hdu]):
                    print("  " + line)
    n = sum(len(v) for v in got.values())
    print("fileinfo-check: %d files, %d HDUs, %d differ" % (len(got), n, bad))
    return 1 if bad else 0


def diff(got, want):
    for i in range(max(len(got), len(want))):
        g_ = got[i] if i < len(got) else None
        w_ = want[i] if i < len(want) else None
        if g_ != w_:
            yield "entry %d: got %s, want %s" % (i, g_, w_)


def main(argv):
    if len(argv) == 4 and argv[1] == "compare":
        return compare(argv[2], argv[3])
    if len(argv) in (3, 4) and argv[1] == "print":
        want = expected_file(argv[2])
        json.dump(want[argv[3]] if len(argv) == 4 else want, sys.stdout, indent=1)
        print()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
