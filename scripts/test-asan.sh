#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures
# build-asan/ with the "asan" preset of CMakePresets.json (gcc, -O1, no
# benchmarks), builds the tests and runs every one under CTest. Any sanitizer
# report fails its test. Extra arguments go to ctest (e.g. -R fault_test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR="${KTP_ASAN_BUILD_DIR:-build-asan}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake --preset asan -B "$BUILD_DIR" >/dev/null
fi
cmake --build "$BUILD_DIR" --parallel "${KTP_JOBS:-$(nproc)}"
# The same options as the preset's test settings (halt on the first report).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1}"
# Third-party caches that live until exit (fontconfig): see tests/lsan.supp.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 --parallel "${KTP_JOBS:-$(nproc)}" "$@"
