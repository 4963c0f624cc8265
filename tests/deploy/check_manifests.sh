#!/usr/bin/env bash
# Checks of deploy/ (Kubernetes manifests, monitoring, Dockerfile), one named check per CTest
# test (tests/deploy/CMakeLists.txt). Tools come from scripts/install-deps.sh: kubectl (its
# built-in kustomize), yamllint, promtool (package prometheus), python3 + python3-yaml; for the
# schema check node and the packages of tests/deploy/package.json.
#
#   tests/deploy/check_manifests.sh CHECK      CHECK is one of:
#     render          kubectl kustomize renders the base and every overlay (dev, prod, istio at least)
#     manifests       the base and every rendered overlay satisfy the rules in check_manifests.py
#                     (probes, Secret mounts, securityContext, shutdown timing, Service/HPA/PDB,
#                     NetworkPolicies, XFCC trust and the mesh, reflection, secrets, memory bounds)
#     selftest        every manifest and Dockerfile rule fails on a deliberately broken input
#     schema          rendered objects match the Kubernetes / Istio / Prometheus Operator schemas and
#                     have no unknown fields (validate_schema.cjs; offline, from the npm packages in
#                     tests/deploy/package.json: `npm ci --prefix tests/deploy`; exit 77 = skipped
#                     when they are not installed)
#     yamllint        yamllint -c deploy/.yamllint deploy/
#     promtool_check  promtool check rules deploy/monitoring/alerts.yaml (+ known metric names)
#     promtool_test   promtool test rules deploy/monitoring/alerts_test.yaml
#     dashboard       Grafana JSON is valid; its queries parse (promtool) and use known metrics
#     dockerfile      static lint of deploy/Dockerfile (hadolint is not packaged in bookworm)
#     all             every check above
# KTP_KUBECTL picks another kubectl (e.g. an old one whose kustomize is v2.0.3).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DEPLOY="$ROOT/deploy"
CHECKER="$ROOT/tests/deploy/check_manifests.py"
KUBECTL="${KTP_KUBECTL:-kubectl}"

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "FAIL: $1 not found (run scripts/install-deps.sh)"; exit 1; }
}

# A python3 that has PyYAML: Debian's (python3-yaml) first, then whatever is on PATH.
python() {
  local py
  for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import yaml' 2>/dev/null; then
      "$py" "$@"
      return
    fi
  done
  echo "FAIL: no python3 with PyYAML (apt-get install python3-yaml, or run scripts/install-deps.sh)"
  return 1
}

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

overlays() {
  local d
  for d in "$DEPLOY"/kustomize/overlays/*/; do
    [ -f "$d/kustomization.yaml" ] && basename "$d"
  done
}

# render DIR OUT: kubectl kustomize, stderr shown only on failure (kustomize v5 warns about the
# v2-compatible fields bases/patchesStrategicMerge on every run).
render() {
  if ! "$KUBECTL" kustomize "$1" >"$2" 2>"$TMP/render.err"; then
    echo "FAIL: kubectl kustomize ${1#"$ROOT"/}"
    cat "$TMP/render.err"
    return 1
  fi
  grep -v "^# Warning: '\(bases\|patchesStrategicMerge\)' is deprecated" "$TMP/render.err" >&2 || true
  if ! grep -q '^kind:' "$2"; then
    echo "FAIL: kubectl kustomize ${1#"$ROOT"/} rendered nothing"
    return 1
  fi
}

# render_all: the base and every overlay into $TMP/NAME.yaml, their names into $TMP/renders.
render_all() {
  local o
  render "$DEPLOY/kustomize/base" "$TMP/base.yaml"
  echo base >"$TMP/renders"
  for o in $(overlays); do
    render "$DEPLOY/kustomize/overlays/$o" "$TMP/$o.yaml"
    echo "$o" >>"$TMP/renders"
  done
}

need_overlays() {
  local o
  for o in dev prod istio; do
    [ -f "$DEPLOY/kustomize/overlays/$o/kustomization.yaml" ] || { echo "FAIL: overlay $o is missing"; return 1; }
  done
}

check_render() {
  need "$KUBECTL"
  need_overlays
  local o
  render_all
  while read -r o; do
    echo "ok: $o ($(grep -c '^kind:' "$TMP/$o.yaml") objects)"
  done <"$TMP/renders"
  "$KUBECTL" version --client 2>/dev/null | head -2 || true
}

check_manifests() {
  need "$KUBECTL"
  need_overlays
  local o
  render_all
  while read -r o; do
    python "$CHECKER" manifests "$TMP/$o.yaml" "$o" "$DEPLOY/Dockerfile" </dev/null
  done <"$TMP/renders"
  # Overlay-specific expectations.
  grep -q '^  name: ktp-redis$' "$TMP/dev.yaml" || { echo "FAIL: dev overlay has no in-cluster Redis"; return 1; }
  if grep -q '^  name: ktp-redis$' "$TMP/prod.yaml"; then
    echo "FAIL: prod overlay deploys the dev Redis (it uses a managed Redis)"
    return 1
  fi
  for o in base dev prod; do
    if grep -q '^kind: PeerAuthentication$' "$TMP/$o.yaml"; then
      echo "FAIL: $o has a PeerAuthentication (the mesh belongs to overlays/istio)"
      return 1
    fi
  done
  grep -q '^kind: PeerAuthentication$' "$TMP/istio.yaml" || {
    echo "FAIL: istio overlay has no PeerAuthentication"
    return 1
  }
  python "$CHECKER" same-policy "$TMP/prod.yaml" "$TMP/istio.yaml"
}

check_selftest() {
  need "$KUBECTL"
  need_overlays
  render_all
  python "$CHECKER" selftest "$DEPLOY/Dockerfile" dev="$TMP/dev.yaml" prod="$TMP/prod.yaml" istio="$TMP/istio.yaml"
}

check_schema() {
  need "$KUBECTL"
  need_overlays
  if ! command -v node >/dev/null 2>&1 || [ ! -d "$ROOT/tests/deploy/node_modules/kubernetes-models" ]; then
    echo "SKIP: node or the schema packages are missing (npm ci --prefix tests/deploy)"
    return 77
  fi
  local o files=()
  render_all
  while read -r o; do
    python -c 'import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d], sys.stdout)' \
      "$TMP/$o.yaml" >"$TMP/$o.json" </dev/null
    files+=("$TMP/$o.json")
  done <"$TMP/renders"
  local rc=0
  node "$ROOT/tests/deploy/validate_schema.cjs" "${files[@]}" || rc=$?
  [ "$rc" -eq 0 ] || return "$rc"
  node "$ROOT/tests/deploy/validate_schema.cjs" --selftest "$TMP/istio.json"
}

check_yamllint() {
  need yamllint
  yamllint --strict -c "$DEPLOY/.yamllint" "$DEPLOY"
  echo "ok: yamllint deploy/"
}

check_promtool_check() {
  need promtool
  promtool check rules "$DEPLOY/monitoring/alerts.yaml"
  python "$CHECKER" metrics "$DEPLOY/monitoring/alerts.yaml"
  # Every alert carries severity, summary, description and a for: duration.
  python - "$DEPLOY/monitoring/alerts.yaml" <<'EOF'
import sys, yaml
bad = []
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        if "alert" not in r:
            continue
        if (r.get("labels") or {}).get("severity") not in ("critical", "warning", "info"):
            bad.append(f"{r['alert']}: severity label")
        for a in ("summary", "description"):
            if not (r.get("annotations") or {}).get(a):
                bad.append(f"{r['alert']}: {a} annotation")
        if not r.get("for"):
            bad.append(f"{r['alert']}: for: duration")
for b in bad:
    print("FAIL: missing", b)
sys.exit(1 if bad else 0)
EOF
}

check_promtool_test() {
  need promtool
  # Every alert in alerts.yaml must be exercised by a firing test.
  (cd "$DEPLOY/monitoring" && promtool test rules alerts_test.yaml)
  python - "$DEPLOY/monitoring/alerts.yaml" "$DEPLOY/monitoring/alerts_test.yaml" <<'EOF'
import sys, yaml
alerts = {r["alert"] for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"] if "alert" in r}
fired, silent = set(), set()
for t in yaml.safe_load(open(sys.argv[2]))["tests"]:
    for a in t.get("alert_rule_test") or []:
        (fired if a.get("exp_alerts") else silent).add(a["alertname"])
missing = sorted(alerts - fired)
for m in missing:
    print(f"FAIL: alerts_test.yaml never expects {m} to fire")
if not silent:
    print("FAIL: alerts_test.yaml has no case where an alert must stay silent")
sys.exit(1 if missing or not silent else 0)
EOF
}

check_dashboard() {
  need promtool
  python "$CHECKER" dashboard "$DEPLOY/monitoring/grafana-dashboard.json" "$TMP/dashboard-rules.yaml"
  promtool check rules "$TMP/dashboard-rules.yaml" >/dev/null || {
    promtool check rules "$TMP/dashboard-rules.yaml"
    echo "FAIL: a dashboard query does not parse"
    return 1
  }
}

check_dockerfile() {
  python "$CHECKER" dockerfile "$DEPLOY/Dockerfile"
  [ -f "$ROOT/.dockerignore" ] || { echo "FAIL: no .dockerignore at the repository root"; return 1; }
  local p
  for p in .git build node_modules; do
    grep -qx "$p\*\?" "$ROOT/.dockerignore" || { echo "FAIL: .dockerignore does not exclude $p"; return 1; }
  done
}

CHECKS="render manifests selftest schema yamllint promtool_check promtool_test dashboard dockerfile"
case " $CHECKS all " in
  *" ${1:-none} "*) ;;
  *)
    sed -n '2,26p' "$0"
    exit 2
    ;;
esac
if [ "$1" = all ]; then
  for c in $CHECKS; do
    echo "== $c"
    set +e
    (
      set -e
      "check_$c"
    )
    rc=$?
    set -e
    [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit "$rc"
  done
else
  "check_$1"
fi
