#!/usr/bin/env bash
# ktp.v1 is frozen: proto/ must stay compatible (buf's FILE rules: wire, JSON
# and generated source) with the committed v1 image tests/proto/ktp_v1.binpb.
# Adding fields, messages, enum values or RPCs passes; renumbering, renaming,
# retyping or removing anything fails CI. The guard first proves it can fail:
# a copy of proto/ with one field renumbered must be refused.
# Exits 77 (skipped) only when buf could not be installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x node_modules/.bin/buf ]; then
  echo "SKIPPED: buf is not installed (scripts/install-deps.sh could not reach the npm registry)"
  exit 77
fi
BASELINE=tests/proto/ktp_v1.binpb

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r proto "$scratch/proto"
sed -i 's/  string fallback_reason = 8;/  string fallback_reason = 18;/' "$scratch/proto/ktp/v1/ktp_ocr.proto"
if ! grep -q 'fallback_reason = 18;' "$scratch/proto/ktp/v1/ktp_ocr.proto"; then
  echo "self-check could not plant its breaking change"; exit 1
fi
if (cd "$scratch" && "$OLDPWD/node_modules/.bin/buf" breaking proto --against "$OLDPWD/$BASELINE" >/dev/null 2>&1); then
  echo "self-check FAILED: a renumbered field was not reported as breaking"; exit 1
fi

node_modules/.bin/buf breaking proto --against "$BASELINE"
echo "buf breaking: proto/ is compatible with the v1 baseline"
