#!/usr/bin/env bash
# Sets up and runs cartago on sample data with the real CARTA frontend:
# installs the frontend (npm), builds the server, generates the sample
# images (once; the cube also as IDIA HDF5 and CASA image when Debian's
# h5py and python-casacore are installed) and serves them. Extra arguments go to `cartago serve`,
# e.g. --port 3003 or --no-auth. The session database is the default one
# (~/.local/state/cartago/sessions.db) unless --db is given.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

scripts/fetch-frontend.sh
go build -o cartago ./cmd/cartago
./cartago sample-data sample-data
# The same cube as IDIA HDF5 and as a CASA image, when Debian's h5py and
# python-casacore are there (scripts/test.sh installs them); made once.
py=/usr/bin/python3
if [[ ! -e sample-data/cube-512x512x200.hdf5 ]] && "${py}" -c 'import h5py, astropy' 2>/dev/null; then
  "${py}" scripts/fits2hdf5.py sample-data/cube-512x512x200.fits sample-data/cube-512x512x200.hdf5 \
    || echo "run-sample: no HDF5 sample (fits2hdf5.py failed)" >&2
fi
if [[ ! -e sample-data/cube-512x512x200.image ]] && "${py}" -c 'import casacore.images' 2>/dev/null; then
  "${py}" scripts/casa-fixture.py sample-data/cube-512x512x200.fits sample-data/cube-512x512x200.image \
    || echo "run-sample: no CASA sample (casa-fixture.py failed)" >&2
fi
exec ./cartago serve --root sample-data --frontend-folder frontend "$@"
