#!/usr/bin/env bash
# Generates the Python modules of proto/ into OUT with Debian's protoc and
# grpc_python_plugin (Debian's python3-grpc-tools bundles protoc 3.5, which
# refuses proto3 `optional`). Run the client with PYTHONPATH=OUT.
#   examples/python/generate.sh OUT
# Needs: protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$here/../../proto
out=$(mkdir -p "${1:?usage: generate.sh OUT}" && cd "$1" && pwd)

# Messages: the API, google.type.Date, and the google.rpc error details.
protoc -I "$proto" --python_out="$out" \
  ktp/v1/ktp_ocr.proto google/type/date.proto google/rpc/status.proto google/rpc/error_details.proto
# The service stub.
protoc -I "$proto" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" ktp/v1/ktp_ocr.proto
