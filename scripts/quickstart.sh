#!/usr/bin/env bash
# The main job, end to end: installs what is missing, builds, starts ktp-gateway
# with its embedded offline reader (--backend=local: Tesseract, no network, no
# credentials) and reads the synthetic sample card through it with ktpctl,
# printing the typed result. Everything stops on exit.
#
#   scripts/quickstart.sh [IMAGE]      local reader (default: samples/ktp-synthetic.png)
#   scripts/quickstart.sh --stand-in   the upstream path instead: the gateway in front of
#                                      ktp-fake-upstream, a local server speaking the GLAIR
#                                      contract (the real API needs network and credentials)
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=local
IMAGE=samples/ktp-synthetic.png
case "${1:-}" in
  --stand-in) MODE=stand-in ;;
  "") ;;
  *) IMAGE=$1 ;;
esac
scripts/install-deps.sh
scripts/build.sh --target ktp-gateway ktpctl ktp-fake-upstream

BIN=build/bin
WORK=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

BACKEND_FLAGS=(--backend=local)
if [ "$MODE" = stand-in ]; then
# Credentials as the gateway reads them in Kubernetes: one file per secret.
mkdir -m 700 "$WORK/credentials"
printf 'quickstart-user' >"$WORK/credentials/username"
printf 'quickstart-pass' >"$WORK/credentials/password"
printf 'quickstart-api-key' >"$WORK/credentials/api_key"

FAKE_UPSTREAM_USERNAME=quickstart-user FAKE_UPSTREAM_PASSWORD=quickstart-pass \
FAKE_UPSTREAM_API_KEY=quickstart-api-key \
  "$BIN/ktp-fake-upstream" --listen 127.0.0.1:0 --identity-json samples/ktp-synthetic.identity.json \
  >"$WORK/upstream.log" 2>&1 &
pids+=($!)
upstream_url=""
for _ in $(seq 100); do
  upstream_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/upstream.log" | head -1 || true)
  [ -n "$upstream_url" ] && break
  sleep 0.1
done
[ -n "$upstream_url" ] || { echo "fake upstream did not start"; cat "$WORK/upstream.log"; exit 1; }
BACKEND_FLAGS=(--upstream-url "$upstream_url" --credentials-dir "$WORK/credentials")
fi

# Access control: issue a client key and admit it as tenant "demo" (the config
# file holds only the key's SHA-256; the key goes to the client).
keygen=$("$BIN/ktpctl" keygen --client-id quickstart --tenant demo)
client_key=$(echo "$keygen" | awk '/^key:/ {print $2}')
client_sha=$(echo "$keygen" | awk '/^sha256:/ {print $2}')
cat >"$WORK/access.json" <<JSON
{
  "tenants": [{"name": "demo", "rateLimit": {"requestsPerSecond": 5, "burst": 10}}],
  "clients": [{"id": "quickstart", "tenant": "demo", "apiKeySha256": "$client_sha"}]
}
JSON

"$BIN/ktp-gateway" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 "${BACKEND_FLAGS[@]}" \
  --config-file "$WORK/access.json" >"$WORK/gateway.log" 2>&1 &
pids+=($!)
port=""
for _ in $(seq 100); do
  port=$(grep -o '"port":[0-9]*' "$WORK/gateway.log" | head -1 | cut -d: -f2 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "gateway did not start"; cat "$WORK/gateway.log"; exit 1; }

if [ "$MODE" = stand-in ]; then
  echo "== ktp-gateway on 127.0.0.1:$port, upstream stand-in at $upstream_url"
else
  echo "== ktp-gateway on 127.0.0.1:$port, local reader (Tesseract, offline)"
fi
echo "== ktpctl read $IMAGE --qualities   (as client 'quickstart', tenant 'demo')"
KTP_TOKEN="$client_key" "$BIN/ktpctl" read "$IMAGE" --qualities --target "127.0.0.1:$port"
echo "== gateway access log"
grep '"call finished"' "$WORK/gateway.log" || true
