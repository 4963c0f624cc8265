#!/usr/bin/env bash
# Builds the Go example with Debian's Go packages, in GOPATH mode (no module proxy):
# generates the ktp.v1 stubs into OUT/gopath with protoc, then builds OUT/ktp-client.
#   examples/go/build.sh OUT
# Needs: golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev
#        golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
#        golang-google-genproto-dev protobuf-compiler
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$here/../../proto
out=$(mkdir -p "${1:?usage: build.sh OUT}" && cd "$1" && pwd)

# The stubs land at their go_package import path, github.com/ktp-gateway/ktp-gateway/gen/go/ktp/v1.
# google/type/date.proto and google/rpc/* come from Debian's genproto (google.golang.org/genproto).
mkdir -p "$out/gopath/src"
protoc -I "$proto" --go_out="$out/gopath/src" --go-grpc_out="$out/gopath/src" "$proto/ktp/v1/ktp_ocr.proto"

export GO111MODULE=off GOFLAGS='' GOPROXY=off GOPATH="$out/gopath:/usr/share/gocode"
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="$out/go-cache"
fi
go build -o "$out/ktp-client" "$here/main.go"
