#!/usr/bin/env bash
# Lints the public API (proto/) and the config schema (config/proto/) with buf
# (npm package @bufbuild/buf, pinned in package-lock.json). Exits 77 (CTest:
# skipped, with the reason printed) only when buf could not be installed, e.g.
# a machine without access to the npm registry.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x node_modules/.bin/buf ]; then
  echo "SKIPPED: buf is not installed (scripts/install-deps.sh could not reach the npm registry)"
  exit 77
fi
node_modules/.bin/buf lint
echo "buf lint: proto/ and config/proto/ are clean"
