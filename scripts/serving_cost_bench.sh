#!/usr/bin/env bash
# Serving cost of the gateway hop, measured side by side in separate processes (issue 14):
#
#   h2load --h1 (multipart POST)            → nginx upstream stand-in (canned KTP JSON)   "direct"
#   h2load --h1 (multipart POST) → nginx reverse proxy → the same upstream                "proxy"
#   h2load h2c (pre-framed gRPC) → ktp-gateway --backend=upstream → the same upstream      "gateway"
#   h2load h2c (pre-framed gRPC) → a bare gRPC server answering a canned ReadResponse      "floor"
#   the same, with Read registered as a raw (ByteBuffer) method                            "floor_raw"
#
# The floors (tests/bench/serving_cost/grpc_floor_server.cc) are what receiving the upload costs
# with this gRPC build alone: the part of the gateway's CPU that no change to its own code removes.
#
# Each case runs at CONCURRENCY calls (throughput, CPU per call of the hop from /proc) and at 1
# call (latency), in ROUNDS interleaved rounds; the table shows medians. Then the gateway holds
# HELD uploads in flight at a slow upstream (RSS per in-flight call), and SLOW_CALLS small slow
# calls (thread count, RSS against the byte budget). Prints markdown tables and the issue's
# target checks; exits 0 even when targets are missed, non-zero when the bench itself broke.
#
#   scripts/serving_cost_bench.sh
#   env: ROUNDS=3 DURATION=8 LAT_DURATION=5 CONCURRENCY=64 IMAGE_KB=300
#        GATEWAY_CONNECTIONS=$CONCURRENCY (h2 connections for the gateway case; streams spread evenly)
#        HELD=200 HOLD_DELAY=6 SLOW_CALLS=10000 SLOW_IMAGE_KB=16 SLOW_DELAY=25 SLOW_BUDGET_MB=800
#        NGINX_WORKERS=auto H2LOAD_THREADS=1 GATEWAY_ARGS="" (extra ktp-gateway flags)
#        KTP_GATEWAY_BIN=path (skip the build)  KTP_BENCH_BUILD_DIR=build-bench
#        KTP_GATEWAY_BIN_B=path: a second gateway binary measured as a fourth case "gateway_b" in
#        the same interleaved rounds (A/B of a change on this noisy machine)
#        SERVING_COST_OUT=dir (results; default $KTP_BENCH_BUILD_DIR/serving_cost)
#        SKIP_MEMORY=1 / SKIP_SLOW=1 to leave out those phases; SKIP_FLOOR=1 to leave out the floors
#        FLOOR_BIN=path (default: grpc_floor_server next to the gateway)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/tests/bench/serving_cost
PY=(python3 "$HERE/serving_cost.py")

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
LAT_DURATION=${LAT_DURATION:-5}
CONCURRENCY=${CONCURRENCY:-64}
IMAGE_KB=${IMAGE_KB:-300}
GATEWAY_CONNECTIONS=${GATEWAY_CONNECTIONS:-$CONCURRENCY}
HELD=${HELD:-200}
HOLD_DELAY=${HOLD_DELAY:-6}
SLOW_CALLS=${SLOW_CALLS:-10000}
SLOW_IMAGE_KB=${SLOW_IMAGE_KB:-16}
SLOW_DELAY=${SLOW_DELAY:-25}
SLOW_BUDGET_MB=${SLOW_BUDGET_MB:-800}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
H2LOAD_THREADS=${H2LOAD_THREADS:-1}
GATEWAY_ARGS=${GATEWAY_ARGS:-}
BUILD_DIR=${KTP_BENCH_BUILD_DIR:-$ROOT/build-bench}
OUT=${SERVING_COST_OUT:-$BUILD_DIR/serving_cost}

die() { echo "serving_cost_bench: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

# --- packages ------------------------------------------------------------------------------
need=()
command -v h2load >/dev/null || need+=(nghttp2-client)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ] || need+=(libnginx-mod-http-echo)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  log "installing ${need[*]}"
  apt_get() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  apt_get install -y --no-install-recommends "${need[@]}" >/dev/null ||
    { apt_get update >/dev/null && apt_get install -y --no-install-recommends "${need[@]}" >/dev/null; } ||
    die "cannot install ${need[*]}"
fi
NGINX=/usr/sbin/nginx

# --- the gateway ---------------------------------------------------------------------------
if [ -n "${KTP_GATEWAY_BIN:-}" ]; then
  GATEWAY=$KTP_GATEWAY_BIN
else
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "configuring $BUILD_DIR (Release)"
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  log "building ktp-gateway in $BUILD_DIR"
  nice -n 10 ninja -C "$BUILD_DIR" -j"${KTP_JOBS:-2}" ktp-gateway grpc_floor_server >/dev/null || die "build failed"
  GATEWAY=$BUILD_DIR/bin/ktp-gateway
fi
FLOOR_BIN=${FLOOR_BIN:-$(dirname "$GATEWAY")/grpc_floor_server}
if [ -z "${SKIP_FLOOR:-}" ] && [ ! -x "$FLOOR_BIN" ]; then
  log "no grpc_floor_server at $FLOOR_BIN: the floor cases are left out"
  SKIP_FLOOR=1
fi
[ -x "$GATEWAY" ] || die "no gateway binary at $GATEWAY"

# --- work area and process bookkeeping -----------------------------------------------------
WORK=$(mktemp -d /tmp/serving-cost.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/tmp" "$OUT"
chmod 1777 "$WORK/tmp"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() { "${PY[@]}" freeport; }
wait_port() {  # host port pid
  local i
  for i in $(seq 100); do
    kill -0 "$3" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
children() { ps -o pid= --ppid "$1" | tr -d ' ' | tr '\n' ' '; }
ticks() { "${PY[@]}" cpu "$@"; }
CLK_TCK=$(getconf CLK_TCK)

# --- bodies and configuration ----------------------------------------------------------------
"${PY[@]}" bodies "$ROOT/samples/ktp-synthetic.png" "$IMAGE_KB" "$WORK"
BOUNDARY=$(cat "$WORK/multipart.boundary")
if command -v protoc >/dev/null; then  # the hand-encoded metadata message, checked against the proto
  protoc -I "$ROOT/proto" --decode=ktp.v1.ReadRequest ktp/v1/ktp_ocr.proto <"$WORK/metadata.msg" \
    | grep -q 'file_name: "bench.png"' || die "the pre-framed metadata message does not decode"
fi
mkdir -p "$WORK/slow"
"${PY[@]}" bodies "$ROOT/samples/ktp-synthetic.png" "$SLOW_IMAGE_KB" "$WORK/slow"
READ_JSON=$("${PY[@]}" nginx-return "$HERE/canned_read.json")
QUALITIES_JSON=$("${PY[@]}" nginx-return "$HERE/canned_qualities.json")

UP_PORT=$(port); HOLD_PORT=$(port); SLOW_PORT=$(port); PROXY_PORT=$(port)
render() {  # template out
  python3 - "$1" "$2" <<EOF
import sys
text = open(sys.argv[1]).read()
for k, v in {"WORK": "$WORK", "WORKERS": "$NGINX_WORKERS", "PORT": "$3", "HOLD_PORT": "$HOLD_PORT",
             "SLOW_PORT": "$SLOW_PORT", "UPSTREAM_PORT": "$UP_PORT", "HOLD_DELAY": "$HOLD_DELAY",
             "SLOW_DELAY": "$SLOW_DELAY"}.items():
    text = text.replace("@%s@" % k, v)
text = text.replace("@READ_JSON@", open("$WORK/read.ngx").read().strip())
text = text.replace("@QUALITIES_JSON@", open("$WORK/qualities.ngx").read().strip())
open(sys.argv[2], "w").write(text)
EOF
}
printf '%s\n' "$READ_JSON" >"$WORK/read.ngx"
printf '%s\n' "$QUALITIES_JSON" >"$WORK/qualities.ngx"
render "$HERE/nginx-upstream.conf.in" "$WORK/upstream.conf" "$UP_PORT"
render "$HERE/nginx-proxy.conf.in" "$WORK/proxy.conf" "$PROXY_PORT"

start_nginx() {  # name conf port → sets NGINX_PID
  "$NGINX" -p "$WORK" -c "$2" -g 'daemon off;' >"$WORK/$1.out" 2>&1 &
  NGINX_PID=$!
  pids+=("$NGINX_PID")
  wait_port 127.0.0.1 "$3" "$NGINX_PID" || { cat "$WORK/$1.out" "$WORK/$1.error.log" 2>/dev/null >&2; die "nginx $1 did not start"; }
}
start_nginx upstream "$WORK/upstream.conf" "$UP_PORT"; UPSTREAM_PID=$NGINX_PID
wait_port 127.0.0.1 "$SLOW_PORT" "$UPSTREAM_PID" || die "slow upstream did not start"
start_nginx proxy "$WORK/proxy.conf" "$PROXY_PORT"; PROXY_PID=$NGINX_PID
sleep 0.3
PROXY_PIDS="$PROXY_PID $(children "$PROXY_PID")"

# Credentials as files (the stand-in does not check them; the gateway sends them as it would).
mkdir -m 700 "$WORK/credentials"
printf 'bench-user' >"$WORK/credentials/username"
printf 'bench-pass' >"$WORK/credentials/password"
printf 'bench-api-key' >"$WORK/credentials/api_key"
AUTH_HEADERS=(-H "authorization: Basic $(printf 'bench-user:bench-pass' | base64)" -H 'x-api-key: bench-api-key')

start_gateway() {  # name upstream_port extra-flags... → sets GW_PID GW_PORT GW_METRICS
  local name=$1 up=$2
  shift 2
  # shellcheck disable=SC2086
  "$GATEWAY" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --backend=upstream \
    --upstream-url "http://127.0.0.1:$up" --credentials-dir "$WORK/credentials" --allow-anonymous \
    "$@" $GATEWAY_ARGS >"$WORK/$name.log" 2>&1 &
  GW_PID=$!
  pids+=("$GW_PID")
  GW_PORT=""; GW_METRICS=""
  local i
  for i in $(seq 200); do
    GW_PORT=$(grep -o '"port":[0-9]*' "$WORK/$name.log" | head -1 | cut -d: -f2 || true)
    GW_METRICS=$(grep -o '"metrics_port":[0-9]*' "$WORK/$name.log" | head -1 | cut -d: -f2 || true)
    [ -n "$GW_PORT" ] && [ -n "$GW_METRICS" ] && break
    kill -0 "$GW_PID" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$GW_PORT" ] || { tail -5 "$WORK/$name.log" >&2; die "gateway $name did not start"; }
}
start_gateway gateway "$UP_PORT"
MAIN_GW_PID=$GW_PID; MAIN_GW_PORT=$GW_PORT; MAIN_GW_METRICS=$GW_METRICS
CASES=(direct proxy gateway)
if [ -n "${KTP_GATEWAY_BIN_B:-}" ]; then
  GATEWAY_A=$GATEWAY; GATEWAY=$KTP_GATEWAY_BIN_B
  start_gateway gateway_b "$UP_PORT"
  GATEWAY=$GATEWAY_A
  B_GW_PID=$GW_PID; B_GW_PORT=$GW_PORT; B_GW_METRICS=$GW_METRICS
  CASES+=(gateway_b)
fi
start_floor() {  # name [--raw] → sets FL_PID FL_PORT
  "$FLOOR_BIN" "${@:2}" >"$WORK/$1.log" 2>&1 &
  FL_PID=$!
  pids+=("$FL_PID")
  FL_PORT=""
  local i
  for i in $(seq 100); do
    FL_PORT=$(grep -o '"port":[0-9]*' "$WORK/$1.log" | head -1 | cut -d: -f2 || true)
    [ -n "$FL_PORT" ] && break
    kill -0 "$FL_PID" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$FL_PORT" ] || { cat "$WORK/$1.log" >&2; die "$1 did not start"; }
}
if [ -z "${SKIP_FLOOR:-}" ]; then
  start_floor floor; FLOOR_PID=$FL_PID; FLOOR_PORT=$FL_PORT
  start_floor floor_raw --raw; FLOOR_RAW_PID=$FL_PID; FLOOR_RAW_PORT=$FL_PORT
  CASES+=(floor floor_raw)
fi

GRPC_HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers')
h2load_case() {  # case conc duration out-prefix [body-dir]
  local case=$1 conc=$2 dur=$3 prefix=$4
  case $case in
    direct | proxy)
      local p=$UP_PORT
      [ "$case" = proxy ] && p=$PROXY_PORT
      h2load --h1 -t "$H2LOAD_THREADS" -c "$conc" -m 1 -D "$dur" -d "$WORK/multipart.body" \
        -H "content-type: multipart/form-data; boundary=$BOUNDARY" "${AUTH_HEADERS[@]}" \
        -H 'x-request-id: serving-cost-bench' -H 'accept: application/json' \
        --log-file "$prefix.log" "http://127.0.0.1:$p/ocr/v1/ktp?withRawText=false&withConfidenceField=false&withPolygon=false" \
        >"$prefix.out" 2>&1
      ;;
    gateway | gateway_b | floor | floor_raw)
      local gp=$MAIN_GW_PORT
      [ "$case" = gateway_b ] && gp=$B_GW_PORT
      [ "$case" = floor ] && gp=$FLOOR_PORT
      [ "$case" = floor_raw ] && gp=$FLOOR_RAW_PORT
      local c=$GATEWAY_CONNECTIONS
      [ "$c" -gt "$conc" ] && c=$conc
      local m=$(( (conc + c - 1) / c ))
      h2load -t "$H2LOAD_THREADS" -c "$c" -m "$m" -D "$dur" -d "$WORK/grpc.body" "${GRPC_HEADERS[@]}" \
        --log-file "$prefix.log" "http://127.0.0.1:$gp/ktp.v1.KtpOcr/Read" >"$prefix.out" 2>&1
      ;;
  esac
}

RESULTS=$OUT/results.jsonl
: >"$RESULTS"
H2LOAD_VERSION=$(h2load --version 2>&1 | head -1 | awk '{print $NF}')
MACHINE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
printf '{"kind":"info","when":"%s","machine":"%s","image_kb":%d,"rounds":%d,"duration":%s,"lat_duration":%s,"concurrency":%d,"h2load":"%s","gateway_connections":%d,"nginx_workers":"%s"}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$MACHINE" "$IMAGE_KB" "$ROUNDS" "$DURATION" "$LAT_DURATION" \
  "$CONCURRENCY" "$H2LOAD_VERSION" "$GATEWAY_CONNECTIONS" "$NGINX_WORKERS" >>"$RESULTS"

metrics() { "${PY[@]}" metrics "http://127.0.0.1:$1/metrics"; }

# One measured run: CPU of the hop before/after, h2load stats, and for the gateway the call
# outcomes from its /metrics (h2load counts HTTP 200 even when grpc-status is an error).
measure() {  # case conc duration round
  local case=$1 conc=$2 dur=$3 rnd=$4 hop_pids="" before after m0="" m1=""
  case $case in
    proxy) hop_pids=$PROXY_PIDS ;;
    gateway) hop_pids=$MAIN_GW_PID; m0=$(metrics "$MAIN_GW_METRICS") ;;
    gateway_b) hop_pids=$B_GW_PID; m0=$(metrics "$B_GW_METRICS") ;;
    floor) hop_pids=$FLOOR_PID ;;
    floor_raw) hop_pids=$FLOOR_RAW_PID ;;
  esac
  local prefix=$WORK/$case-c$conc-r$rnd
  before=0; [ -n "$hop_pids" ] && before=$(ticks $hop_pids)
  h2load_case "$case" "$conc" "$dur" "$prefix" || { cat "$prefix.out" >&2; die "h2load failed ($case)"; }
  after=0; [ -n "$hop_pids" ] && after=$(ticks $hop_pids)
  [ "$case" = gateway ] && m1=$(metrics "$MAIN_GW_METRICS")
  [ "$case" = gateway_b ] && m1=$(metrics "$B_GW_METRICS")
  python3 - "$prefix" "$case" "$conc" "$rnd" "$((after - before))" "$CLK_TCK" "$m0" "$m1" >>"$RESULTS" <<'EOF' ||
import json, os, subprocess, sys
prefix, case, conc, rnd, dticks, clk, m0, m1 = sys.argv[1:9]
st = json.loads(subprocess.check_output([sys.executable, os.environ["SC_PY"], "h2load-stats",
                                         prefix + ".out", prefix + ".log"]))
row = {"kind": "run", "case": case, "conc": int(conc), "round": int(rnd)}
row.update(st)
done = st["done"]
if case != "direct":
    row["cpu_us_per_call"] = int(dticks) * 1e6 / int(clk) / done if done else None
if st["non2xx"] or st["s2xx"] == 0:
    sys.exit("%s: %d non-2xx answers, %d 2xx" % (case, st["non2xx"], st["s2xx"]))
if case.startswith("gateway"):
    a, b = json.loads(m0), json.loads(m1)
    d = {k: b["codes"].get(k, 0) - a["codes"].get(k, 0) for k in b["codes"]}
    ok = d.get("OK", 0)
    # h2load resets the streams still open when the duration ends (at most `conc`). A stream
    # reset before its first message can reach the reactor as an empty upload, answered
    # INVALID_ARGUMENT before gRPC reports the cancel: counted with the cut streams, never more.
    cut = d.get("CANCELLED", 0) + d.get("INVALID_ARGUMENT", 0)
    bad = {k: v for k, v in d.items() if k not in ("OK", "CANCELLED", "INVALID_ARGUMENT") and v}
    succ = b["statuses"].get("READ_STATUS_SUCCESS", 0) - a["statuses"].get("READ_STATUS_SUCCESS", 0)
    row["grpc_ok"] = ok
    row["grpc_cancelled"] = cut
    if bad or ok < done - int(conc) or succ != ok or cut > int(conc):
        sys.exit("gateway answered errors: %s (OK %d, READ_STATUS_SUCCESS %d, h2load done %d)"
                 % (json.dumps(d), ok, succ, done))
print(json.dumps(row))
EOF
    { [ "$case" = direct ] || [ "$case" = proxy ] ||
        grep -ho '"grpc_code":"[A-Z_]*","reason":"[A-Z_]*"' "$WORK/$case.log" | grep -v '"OK"' | sort | uniq -c >&2
      die "run $case c=$conc round $rnd broke"; }
  tail -1 "$RESULTS" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("   %-8s c=%-3d round %d: %7.0f calls/s  p50 %7.2f ms  p99 %7.2f ms  cpu/call %s" % (r["case"], r["conc"], r["round"], r["rps"], r["p50"], r["p99"], ("%.0f us" % r["cpu_us_per_call"]) if r.get("cpu_us_per_call") else "-"))' >&2
}
export SC_PY=$HERE/serving_cost.py

# A single real check that the gateway's answer is a gRPC success (trailers: grpc-status 0).
log "checking one gateway call end to end"
curl -sS --http2-prior-knowledge -o "$WORK/one.out" -D "$WORK/one.hdr" -H 'content-type: application/grpc' \
  -H 'te: trailers' --data-binary @"$WORK/grpc.body" "http://127.0.0.1:$MAIN_GW_PORT/ktp.v1.KtpOcr/Read" ||
  die "curl to the gateway failed"
grep -qi '^grpc-status: 0' "$WORK/one.hdr" || { grep -i '^grpc-' "$WORK/one.hdr" >&2; die "the gateway did not answer grpc-status 0"; }
one=$(metrics "$MAIN_GW_METRICS")
echo "$one" | python3 -c 'import json,sys; m=json.load(sys.stdin); sys.exit(0 if m["statuses"].get("READ_STATUS_SUCCESS",0)>=1 else 1)' ||
  die "the gateway's answer was not READ_STATUS_SUCCESS: $one"

log "warm-up (2 s per case)"
for c in "${CASES[@]}"; do h2load_case "$c" "$CONCURRENCY" 2 "$WORK/warm-$c" || die "warm-up $c failed"; done

for rnd in $(seq 0 $((ROUNDS - 1))); do
  log "round $((rnd + 1))/$ROUNDS"
  for c in "${CASES[@]}"; do measure "$c" "$CONCURRENCY" "$DURATION" "$rnd"; done
  for c in "${CASES[@]}"; do measure "$c" 1 "$LAT_DURATION" "$rnd"; done
done

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- RSS per in-flight call ------------------------------------------------------------------
GW_BINS=("$GATEWAY"); GW_NAMES=(gateway)
[ -n "${KTP_GATEWAY_BIN_B:-}" ] && { GW_BINS+=("$KTP_GATEWAY_BIN_B"); GW_NAMES+=(gateway_b); }
GATEWAY_A=$GATEWAY
if [ -z "${SKIP_MEMORY:-}" ]; then
  for i in "${!GW_BINS[@]}"; do
    GATEWAY=${GW_BINS[$i]}; gw=${GW_NAMES[$i]}
    log "memory ($gw): $HELD uploads of $IMAGE_KB KiB held in flight (upstream answers after ${HOLD_DELAY}s)"
    start_gateway "hold-$gw" "$HOLD_PORT" --max-concurrent-calls=0
    HOLD_PID=$GW_PID
    sleep 1
    idle=$(rss_kb "$HOLD_PID")
    "${PY[@]}" watch "$HOLD_PID" $((HOLD_DELAY + 8)) "http://127.0.0.1:$GW_METRICS/metrics" "$HELD" >"$WORK/hold.watch" &
    watch_pid=$!
    c=$(( (HELD + 49) / 50 ))
    h2load -c "$c" -m 50 -n "$HELD" -d "$WORK/grpc.body" "${GRPC_HEADERS[@]}" \
      "http://127.0.0.1:$GW_PORT/ktp.v1.KtpOcr/Read" >"$WORK/hold.out" 2>&1 || die "h2load (hold) failed"
    wait "$watch_pid"
    hm=$(metrics "$GW_METRICS")
    python3 - "$WORK/hold.watch" "$idle" "$HELD" "$IMAGE_KB" "$hm" "$gw" >>"$RESULTS" <<'EOF' || die "hold phase broke"
import json, sys
w = json.load(open(sys.argv[1])); idle, n, kb = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
codes = json.loads(sys.argv[5])["codes"]
if codes.get("OK", 0) != n or sum(codes.values()) != n:
    sys.exit("held calls did not all succeed: %s" % json.dumps(codes))
rss = w["rss_at_full_kb"] or w["rss_kb"]
print(json.dumps({"kind": "memory", "gw": sys.argv[6], "calls": n, "image_kb": kb, "idle_kb": idle,
                  "rss_kb": rss, "growth_kb": rss - idle, "per_call_images": (rss - idle) / n / kb,
                  "inflight": w["inflight"], "threads": w["threads_at_full"] or w["threads"]}))
EOF
    tail -1 "$RESULTS" >&2
    kill -TERM "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null || true
  done
fi

# The floor holding the same uploads: what gRPC alone keeps resident per held call.
if [ -z "${SKIP_MEMORY:-}" ] && [ -z "${SKIP_FLOOR:-}" ]; then
  for mode in floor floor_raw; do
    log "memory ($mode): $HELD uploads of $IMAGE_KB KiB held in flight (answered after ${HOLD_DELAY}s)"
    flags=(--hold-ms=$((HOLD_DELAY * 1000)))
    [ "$mode" = floor_raw ] && flags+=(--raw)
    start_floor "hold-$mode" "${flags[@]}"
    sleep 1
    idle=$(rss_kb "$FL_PID")
    # No metrics here: the peak RSS over the hold (every upload has arrived well before it ends).
    "${PY[@]}" watch "$FL_PID" $((HOLD_DELAY + 2)) - "$HELD" >"$WORK/hold-$mode.watch" &
    watch_pid=$!
    c=$(( (HELD + 49) / 50 ))
    h2load -c "$c" -m 50 -n "$HELD" -d "$WORK/grpc.body" "${GRPC_HEADERS[@]}" \
      "http://127.0.0.1:$FL_PORT/ktp.v1.KtpOcr/Read" >"$WORK/hold-$mode.out" 2>&1 || die "h2load (hold, $mode) failed"
    wait "$watch_pid"
    grep -q "$HELD succeeded" "$WORK/hold-$mode.out" || { cat "$WORK/hold-$mode.out" >&2; die "held calls to the $mode did not all succeed"; }
    python3 - "$WORK/hold-$mode.watch" "$idle" "$HELD" "$IMAGE_KB" "$mode" >>"$RESULTS" <<'EOF' || die "hold phase ($mode) broke"
import json, sys
w = json.load(open(sys.argv[1])); idle, n, kb = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rss = w["rss_kb"]
print(json.dumps({"kind": "memory", "gw": sys.argv[5], "calls": n, "image_kb": kb, "idle_kb": idle,
                  "rss_kb": rss, "growth_kb": rss - idle, "per_call_images": (rss - idle) / n / kb,
                  "inflight": n, "threads": w["threads"]}))
EOF
    tail -1 "$RESULTS" >&2
    kill -TERM "$FL_PID"; wait "$FL_PID" 2>/dev/null || true
  done
fi

# --- many slow calls: threads and memory against the byte budget -----------------------------
if [ -z "${SKIP_SLOW:-}" ]; then
  budget=$((SLOW_BUDGET_MB * 1024 * 1024))
  for i in "${!GW_BINS[@]}"; do
    GATEWAY=${GW_BINS[$i]}; gw=${GW_NAMES[$i]}
    log "threads ($gw): $SLOW_CALLS slow calls of $SLOW_IMAGE_KB KiB (upstream answers after ${SLOW_DELAY}s)"
    start_gateway "slow-$gw" "$SLOW_PORT" --max-concurrent-calls=0 --max-buffered-bytes="$budget" \
      --max-streams-per-connection=1000
    SLOW_PID=$GW_PID
    sleep 1
    idle=$(rss_kb "$SLOW_PID")
    "${PY[@]}" watch "$SLOW_PID" $((SLOW_DELAY + 10)) "http://127.0.0.1:$GW_METRICS/metrics" "$SLOW_CALLS" >"$WORK/slow.watch" &
    watch_pid=$!
    c=$(( (SLOW_CALLS + 499) / 500 ))
    slow_ticks0=$(ticks "$SLOW_PID")
    h2load -c "$c" -m 500 -n "$SLOW_CALLS" -d "$WORK/slow/grpc.body" "${GRPC_HEADERS[@]}" \
      "http://127.0.0.1:$GW_PORT/ktp.v1.KtpOcr/Read" >"$WORK/slow.out" 2>&1 || die "h2load (slow) failed"
    wait "$watch_pid"
    slow_ticks=$(( $(ticks "$SLOW_PID") - slow_ticks0 ))
    sm=$(metrics "$GW_METRICS")
    python3 - "$WORK/slow.watch" "$idle" "$SLOW_CALLS" "$SLOW_IMAGE_KB" "$budget" "$sm" "$gw" "$slow_ticks" "$CLK_TCK" >>"$RESULTS" <<'EOF'
import json, sys
w = json.load(open(sys.argv[1])); idle, n, kb, budget = (int(x) for x in sys.argv[2:6])
# The gateway's CPU over the whole phase (uploads, the wait, the answers), per call: what holding
# many calls costs, which grows with the calls in flight if anything scans all of them.
cpu_us = int(sys.argv[8]) * 1e6 / int(sys.argv[9]) / n
codes = {k: v for k, v in json.loads(sys.argv[6])["codes"].items() if v}
rss = w["rss_at_full_kb"] or w["rss_kb"]
print(json.dumps({"kind": "slow", "gw": sys.argv[7], "calls": n, "image_kb": kb, "budget_bytes": budget,
                  "idle_kb": idle, "rss_kb": rss, "growth_kb": rss - idle, "inflight": w["inflight"],
                  "threads": max(w["threads"], w["threads_at_full"]), "cpu_us_per_call": cpu_us,
                  "codes": codes}))
EOF
    tail -1 "$RESULTS" >&2
    kill -TERM "$SLOW_PID"; wait "$SLOW_PID" 2>/dev/null || true
  done
fi
GATEWAY=$GATEWAY_A

"${PY[@]}" report "$RESULTS" | tee "$OUT/report.md"
echo
echo "(results: $RESULTS, table: $OUT/report.md)"
