#!/usr/bin/env bash
# Configures and builds ktp-gateway into build/ (binaries in build/bin/).
# Extra arguments are passed to `cmake --build` (e.g. --target ktp-gateway).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${KTP_BUILD_DIR:-build}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${KTP_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
fi
# Two jobs per core is too much memory for protobuf-heavy units on small machines.
cmake --build "$BUILD_DIR" --parallel "${KTP_JOBS:-$(nproc)}" "$@"
