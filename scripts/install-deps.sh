#!/usr/bin/env bash
# Installs everything ktp-gateway needs to build and test on Debian bookworm:
# the C++ toolchain and libraries from Debian (Tesseract and friends for the
# local reader), redis-server for the limiter tests, and buf (proto lint) from npm. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libcurl4-openssl-dev libssl-dev libabsl-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libhiredis-dev libcpp-httplib-dev rapidjson-dev
  redis-server prometheus yamllint python3 python3-yaml openssl
  # The local reader and ktp-synth: Tesseract with Indonesian data, Leptonica,
  # OpenCV (core + imgproc only), poppler for PDFs, cairo + ktp-synth's faces
  # (Arial-metric Liberation on most cards; Roboto, Open Sans, Carlito on others).
  libtesseract-dev tesseract-ocr-ind libleptonica-dev libopencv-core-dev
  libopencv-imgproc-dev libpoppler-cpp-dev libcairo2-dev fonts-liberation
  fonts-roboto-unhinted fonts-open-sans fonts-crosextra-carlito
  # The example clients (examples/), built and run against the gateway by CTest:
  # Go (GOPATH mode), Python, Java from Debian; Node from npm below.
  golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev
  golang-github-golang-protobuf-1-5-dev golang-google-genproto-dev
  python3-grpcio python3-protobuf
  default-jdk-headless protobuf-compiler-grpc-java-plugin libprotobuf-java libgrpc-java
  libnetty-java libperfmark-java libguava-java libgeronimo-annotation-1.3-spec-java
  # The independent evaluation corpus (tests/corpus/independent/make_corpus.py, run by
  # reader_accuracy_test and reader_accuracy_bench): Pillow + NumPy and other fonts than ktp-synth's.
  python3-pil python3-numpy fonts-dejavu-core fonts-dejavu-extra fonts-freefont-ttf fonts-urw-base35
  # The diagnostic corpus (tests/corpus/diagnostic/make_diag.py, diagnostic_corpus_self_check):
  # the same two modules, FreeSans and DejaVu, and faces neither other corpus uses.
  fonts-liberation fonts-roboto-unhinted fonts-open-sans fonts-crosextra-carlito
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm comes with nodesource's nodejs; Debian's nodejs needs the separate npm package.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
# kubectl (with its built-in kustomize) renders deploy/; some images ship their own.
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# buf, pinned by package-lock.json.
if [ ! -x node_modules/.bin/buf ]; then
  # Only proto lint needs it: without registry access, say so and carry on
  # (the proto_lint test then reports itself skipped, with this reason).
  npm ci --no-audit --no-fund --loglevel=error ||
    echo "install-deps: WARNING: could not install buf from the npm registry; proto lint will be skipped" >&2
fi

# The Node example client's gRPC libraries, pinned by examples/node/package-lock.json.
if [ ! -d examples/node/node_modules ]; then
  npm ci --prefix examples/node --no-audit --no-fund --loglevel=error ||
    echo "install-deps: WARNING: could not install @grpc/grpc-js from the npm registry; examples_node will be skipped" >&2
fi

# Kubernetes schemas for the manifest checks (tests/deploy), pinned by its own lock file.
if [ ! -d tests/deploy/node_modules ]; then
  npm ci --prefix tests/deploy --no-audit --no-fund --loglevel=error ||
    echo "install-deps: WARNING: could not install the manifest schema validator; deploy_schema will be skipped" >&2
fi
