#!/usr/bin/env bash
# Sets up and runs cartago on sample data with the real CARTA frontend:
# installs the frontend (npm), builds the server, generates the sample
# images (once) and serves them. Extra arguments go to `cartago serve`,
# e.g. --port 3003 or --no-auth. The session database is the default one
# (~/.local/state/cartago/sessions.db) unless --db is given.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

scripts/fetch-frontend.sh
go build -o cartago ./cmd/cartago
./cartago sample-data sample-data
exec ./cartago serve --root sample-data --frontend-folder frontend "$@"
