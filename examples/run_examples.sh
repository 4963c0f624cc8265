#!/usr/bin/env bash
# Builds the example clients and runs each against a real ktp-gateway in front of
# ktp-fake-upstream, both on loopback ports picked by the kernel:
#   (a) the sample card, Read and ReadWithQualities: exit 0, the sample's NIK,
#       DOCUMENT_VERDICT_KTP, the request ids (sent x-request-id echoed back);
#   (b) a text file: non-zero exit, INVALID_ARGUMENT (3) with reason FILE_INVALID_FORMAT;
#   (c) a second call through a rate-limited gateway: RESOURCE_EXHAUSTED (8) with
#       reason RATE_LIMITED, a RetryInfo delay and QuotaFailure subject tenant:t.
#
#   examples/run_examples.sh [--gateway PATH] [--fake-upstream PATH] [go|python|node|java ...]
#
# No language named: all four. Binaries default to $KTP_GATEWAY_BIN /
# $KTP_FAKE_UPSTREAM_BIN, else build/bin. Exit status: 0 all passed; 1 a failure;
# 77 nothing failed but a language was skipped because its toolchain is not
# installed ("SKIPPED: ..." says which and what to install).
# shellcheck disable=SC2317  # functions called indirectly (missing_$lang, traps)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
gateway=${KTP_GATEWAY_BIN:-$root/build/bin/ktp-gateway}
fake_upstream=${KTP_FAKE_UPSTREAM_BIN:-$root/build/bin/ktp-fake-upstream}
languages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --gateway) gateway=$2; shift 2 ;;
    --gateway=*) gateway=${1#*=}; shift ;;
    --fake-upstream) fake_upstream=$2; shift 2 ;;
    --fake-upstream=*) fake_upstream=${1#*=}; shift ;;
    go|python|node|java) languages+=("$1"); shift ;;
    *) echo "usage: $0 [--gateway PATH] [--fake-upstream PATH] [go|python|node|java ...]" >&2; exit 2 ;;
  esac
done
[ ${#languages[@]} -gt 0 ] || languages=(go python node java)
for bin in "$gateway" "$fake_upstream"; do
  [ -x "$bin" ] || { echo "run_examples: $bin is not built" >&2; exit 1; }
done

sample=$root/samples/ktp-synthetic.png
not_an_image=$root/samples/not-an-image.txt
nik=$(sed -n 's/.*"nik": *"\([0-9]*\)".*/\1/p' "$root/samples/ktp-synthetic.identity.json")
[ -n "$nik" ] || { echo "run_examples: no nik in samples/ktp-synthetic.identity.json" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ktp-examples.XXXXXX")
pids=()
stop() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# ---- toolchains: each prints what is missing (nothing when ready) ----------------------
python_bin=""
find_python() {
  local candidate
  for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import grpc, google.protobuf' >/dev/null 2>&1; then
      python_bin=$(command -v "$candidate")
      return 0
    fi
  done
  return 1
}
missing_commands() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || echo "command $c"; done
}
missing_go() {
  missing_commands go protoc protoc-gen-go protoc-gen-go-grpc
  local pkg
  for pkg in google.golang.org/grpc google.golang.org/protobuf github.com/golang/protobuf/ptypes \
      google.golang.org/genproto/googleapis/rpc/errdetails google.golang.org/genproto/googleapis/type/date; do
    [ -d "/usr/share/gocode/src/$pkg" ] || echo "Go package $pkg in /usr/share/gocode"
  done
  # Debian's protoc-gen-go 1.3 (golang-goprotobuf-dev) cannot generate proto3 optional;
  # only protoc-gen-go >= 1.20 has --version.
  if command -v protoc-gen-go >/dev/null 2>&1 && ! protoc-gen-go --version </dev/null >/dev/null 2>&1; then
    echo "protoc-gen-go >= 1.20 (the installed one is older)"
  fi
}
missing_python() {
  missing_commands protoc grpc_python_plugin
  find_python || echo "a python3 that imports grpc and google.protobuf"
}
missing_node() {
  missing_commands node
  local mod
  for mod in @grpc/grpc-js @grpc/proto-loader protobufjs; do
    [ -d "$here/node/node_modules/$mod" ] || echo "npm module $mod (npm ci --prefix examples/node)"
  done
}
missing_java() {
  missing_commands java javac protoc grpc_java_plugin
  local jar
  for jar in protobuf grpc-api grpc-core grpc-stub grpc-protobuf grpc-netty netty-codec-http2 \
      perfmark-api guava geronimo-annotation-1.3-spec; do
    [ -f "${JAVA_LIBDIR:-/usr/share/java}/$jar.jar" ] || echo "jar $jar.jar"
  done
}
install_hint() {
  case "$1" in
    go) echo "apt-get install golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev golang-google-genproto-dev protobuf-compiler" ;;
    python) echo "apt-get install python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc" ;;
    node) echo "npm ci --prefix examples/node" ;;
    java) echo "apt-get install default-jdk-headless protobuf-compiler protobuf-compiler-grpc-java-plugin libprotobuf-java libgrpc-java libnetty-java libperfmark-java libguava-java libgeronimo-annotation-1.3-spec-java" ;;
  esac
}

# ---- build: sets client (the command line of the example) ------------------------------
client=()
build() {
  case "$1" in
    go) "$here/go/build.sh" "$work/go" && client=("$work/go/ktp-client") ;;
    python)
      find_python && "$here/python/generate.sh" "$work/python" &&
        client=(env PYTHONPATH="$work/python${PYTHONPATH:+:$PYTHONPATH}" "$python_bin" "$here/python/ktp_client.py") ;;
    node) client=(node "$here/node/ktp_client.js") ;;
    java)
      "$here/java/build.sh" "$work/java" &&
        client=(java -XX:TieredStopAtLevel=1 -cp "$(cat "$work/java/classpath")" id.ktp.examples.KtpClient) ;;
  esac
}

# ---- servers ------------------------------------------------------------------------------
# wait_for LOG PATTERN: prints the first match of PATTERN in LOG, waiting up to 30 s.
wait_for() {
  local match
  for _ in $(seq 300); do
    match=$(grep -o "$2" "$1" 2>/dev/null | head -1 || true)
    if [ -n "$match" ]; then echo "$match"; return 0; fi
    sleep 0.1
  done
  echo "run_examples: timed out waiting for $2 in $1:" >&2
  cat "$1" >&2
  return 1
}
upstream_url=""
start_fake_upstream() {
  FAKE_UPSTREAM_USERNAME=test-user FAKE_UPSTREAM_PASSWORD=test-pass FAKE_UPSTREAM_API_KEY=test-api-key \
    "$fake_upstream" --listen 127.0.0.1:0 --identity-json "$root/samples/ktp-synthetic.identity.json" \
    >"$work/fake-upstream.log" 2>&1 &
  pids+=($!)
  upstream_url=$(wait_for "$work/fake-upstream.log" 'http://127\.0\.0\.1:[0-9]*')
}
# start_gateway NAME [FLAGS...]: starts a gateway in front of the fake; sets gateway_port.
gateway_port=""
start_gateway() {
  local name=$1
  shift
  KTP_UPSTREAM_USERNAME=test-user KTP_UPSTREAM_PASSWORD=test-pass KTP_UPSTREAM_API_KEY=test-api-key \
    "$gateway" --listen=127.0.0.1:0 --metrics-listen= --shutdown-grace=1s \
    --upstream-url="$upstream_url" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  gateway_port=$(wait_for "$work/$name.log" '"port":[0-9]*')
  gateway_port=${gateway_port#*:}
}

# ---- checks ---------------------------------------------------------------------------------
failures=0
out=""
rc=0
# run CASE ARGS...: runs the client; its output is in $out, its exit status in $rc.
run() {
  local name=$1
  shift
  out="$work/$lang-$name.out"
  rc=0
  timeout 60 "${client[@]}" "$@" >"$out" 2>&1 || rc=$?
}
fail() {
  echo "FAIL: $lang $1" >&2
  sed 's/^/    | /' "$out" >&2
  failures=$((failures + 1))
  lang_failed=1
}
expect_exit() {  # expect_exit CASE zero|nonzero
  if [ "$2" = zero ] && [ "$rc" -ne 0 ]; then fail "$1: exit status $rc, expected 0"; fi
  if [ "$2" = nonzero ] && [ "$rc" -eq 0 ]; then fail "$1: exit status 0, expected non-zero"; fi
  return 0
}
expect() {  # expect CASE REGEX: the output has a line matching REGEX
  grep -Eq -- "$2" "$out" || fail "$1: output has no line matching /$2/"
}

policy=$work/rate-limited.json
cat >"$policy" <<'JSON'
{"tenants":[{"name":"t","rateLimit":{"requestsPerSecond":0.01,"burst":1}}],
 "auth":{"allowAnonymous":true,"anonymousTenant":"t"}}
JSON

passed=()
failed=()
skipped=()
servers_up=0
for lang in "${languages[@]}"; do
  missing=$("missing_$lang")
  if [ -n "$missing" ]; then
    echo "SKIPPED: $lang example: toolchain not installed: $(echo "$missing" | paste -sd, - | sed 's/,/, /g'). Install: $(install_hint "$lang")"
    skipped+=("$lang")
    continue
  fi
  lang_failed=0
  started=$(now)
  if ! build "$lang" >"$work/$lang-build.log" 2>&1; then
    out="$work/$lang-build.log"
    fail "build"
    failed+=("$lang")
    continue
  fi
  build_time=$(elapsed "$started")

  started=$(now)
  if [ "$servers_up" = 0 ]; then
    start_fake_upstream
    start_gateway gateway --allow-anonymous
    port=$gateway_port
    servers_up=1
  fi
  # A fresh rate-limited gateway per language: its first call is admitted, the second is not.
  start_gateway "gateway-limited-$lang" --config-file="$policy"
  limited_port=$gateway_port

  # (a) the sample card, both RPCs.
  run sample --target "127.0.0.1:$port" --request-id "examples-$lang-read" "$sample"
  expect_exit sample zero
  expect sample "^nik: $nik\$"
  expect sample "^document: DOCUMENT_VERDICT_KTP\$"
  expect sample "^status: READ_STATUS_SUCCESS\$"
  expect sample "^request_id: examples-$lang-read\$"
  expect sample "^x-request-id header: examples-$lang-read\$"
  expect sample "^upstream_request_id: [^ ]+\$"
  expect sample "^x-upstream-request-id header: [^ ]+\$"
  run qualities --target "127.0.0.1:$port" --qualities "$sample"
  expect_exit qualities zero
  expect qualities "^nik: $nik\$"
  expect qualities "^document: DOCUMENT_VERDICT_KTP\$"
  expect qualities "^qualities: ktp=[Tt]rue"
  expect qualities "^x-request-id header: [^ ]+\$"

  # (b) not an image.
  run invalid --target "127.0.0.1:$port" "$not_an_image"
  expect_exit invalid nonzero
  expect invalid "^error: [A-Za-z_]+ \(3\): "
  expect invalid "^reason: FILE_INVALID_FORMAT \(domain ktp-gateway\)\$"
  expect invalid "^x-request-id header: [^ ]+\$"

  # (c) rate limited: the second call of tenant t.
  run rate-first --target "127.0.0.1:$limited_port" "$sample"
  expect_exit rate-first zero
  run rate-limited --target "127.0.0.1:$limited_port" "$sample"
  expect_exit rate-limited nonzero
  expect rate-limited "^error: [A-Za-z_]+ \(8\): "
  expect rate-limited "^reason: RATE_LIMITED \(domain ktp-gateway\)\$"
  expect rate-limited "^retry_delay: [0-9]+\.[0-9]{3}s\$"
  expect rate-limited "^quota_violation: tenant:t "

  echo "== $lang: build ${build_time}, run $(elapsed "$started")"
  if [ "$lang_failed" = 0 ]; then passed+=("$lang"); else failed+=("$lang"); fi
done
stop

echo "examples: ${#passed[@]} passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
[ ${#failed[@]} -eq 0 ] || exit 1
[ ${#skipped[@]} -eq 0 ] || exit 77
exit 0
