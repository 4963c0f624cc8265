#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit, golden, integration, proto lint) under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${KTP_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 300 "$@"
