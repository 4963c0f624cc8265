#!/usr/bin/env python3
"""Static checks of deploy/: rendered Kubernetes manifests, the Dockerfile, the Grafana
dashboard and the metric names used by alerts and dashboard. Python 3 standard library
plus PyYAML (python3-yaml, installed by scripts/install-deps.sh).

  check_manifests.py manifests RENDERED.yaml OVERLAY DOCKERFILE
  check_manifests.py selftest RENDERED.yaml DOCKERFILE   (every manifest/Dockerfile rule can fail)
  check_manifests.py dockerfile DOCKERFILE
  check_manifests.py dashboard DASHBOARD.json RULES_OUT.yaml  (RULES_OUT: exprs for promtool)
  check_manifests.py metrics FILE...                      (known metric and label names only)

Exit status 0 when every rule holds; otherwise one line per broken rule and exit status 1.
"""
import copy
import json
import re
import sys

import yaml

GATEWAY = "ktp-gateway"
SECRET = "ktp-gateway-glair"
GRPC_PORT_NAME = "grpc"
METRICS_PORT_NAME = "metrics"
READINESS_SERVICE = "ktp.v1.KtpOcr"

# Every metric the gateway exports (README "Metrics"), with its labels. Histograms also get
# _bucket (le), _sum and _count. Target labels added by the scrape are always allowed.
_GRPC = {"grpc_service", "grpc_method", "grpc_type"}
METRICS = {
    "grpc_server_started_total": _GRPC,
    "grpc_server_handled_total": _GRPC | {"grpc_code"},
    "grpc_server_msg_received_total": _GRPC,
    "grpc_server_msg_sent_total": _GRPC,
    "grpc_server_handling_seconds": _GRPC,
    "ktp_gateway_upstream_request_duration_seconds": {"endpoint", "http_status"},
    "ktp_gateway_upstream_failures_total": {"endpoint", "cause"},
    "ktp_gateway_upstream_retries_total": {"endpoint", "cause"},
    "ktp_gateway_document_status_total": {"grpc_method", "status"},
    "ktp_gateway_image_bytes": set(),
    "ktp_gateway_inflight_calls": set(),
    "ktp_gateway_rate_limit_decisions_total": {"tenant", "outcome"},
    "ktp_gateway_credential_reloads_total": {"result"},
    "ktp_gateway_credential_generation": {"set"},
    "ktp_gateway_local_fallbacks_total": {"reason"},
    "ktp_gateway_build_info": {"version", "grpc_version"},
}
HISTOGRAMS = {"grpc_server_handling_seconds", "ktp_gateway_upstream_request_duration_seconds",
              "ktp_gateway_image_bytes"}
TARGET_LABELS = {"job", "namespace", "pod", "instance", "service", "container", "endpoint"}


# ---------------------------------------------------------------- helpers

def parse_duration(text):
    """Go-style duration ("25s", "1m30s", "500ms") or plain seconds, as the gateway accepts."""
    text = str(text).strip()
    try:
        return float(text)
    except ValueError:
        pass
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * units[u] for n, u in parts)


def port_of(address):
    """Port of "host:port" / "[::]:port"."""
    return int(str(address).rsplit(":", 1)[1])


def selects(selector, labels):
    """True when a LabelSelector (matchLabels / matchExpressions) is non-empty and matches."""
    if not selector:
        return False
    match_labels = selector.get("matchLabels") or {}
    exprs = selector.get("matchExpressions") or []
    if not match_labels and not exprs:
        return False
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    for e in exprs:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def service_selects(service, labels):
    sel = (service.get("spec") or {}).get("selector") or {}
    return bool(sel) and all(labels.get(k) == v for k, v in sel.items())


def rule_allows(rule, port, protocol):
    """A NetworkPolicy rule without `ports` allows every port."""
    ports = rule.get("ports")
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        if p["port"] == port or (isinstance(p["port"], int) and p.get("endPort", p["port"]) >= port >= p["port"]):
            return True
    return False


def sleep_seconds(pre_stop):
    """Seconds a preStop hook sleeps: exec sleep N, sh -c "sleep N", or the native sleep action."""
    if not pre_stop:
        return None
    if "sleep" in pre_stop:
        return float(pre_stop["sleep"]["seconds"])
    cmd = (pre_stop.get("exec") or {}).get("command") or []
    for i, word in enumerate(cmd):
        if str(word).rsplit("/", 1)[-1] == "sleep" and i + 1 < len(cmd):
            return parse_duration(cmd[i + 1])
        m = re.search(r"(?:^|[\s;&/])sleep\s+(\S+)", str(word))
        if m:
            return parse_duration(m.group(1))
    return None


def effective(container_sc, pod_sc, key):
    if container_sc and key in container_sc:
        return container_sc[key]
    return (pod_sc or {}).get(key)


def dockerfile_user(path):
    """The numeric uid of the last USER line in the final stage, or None."""
    uid = None
    for instr, arg in dockerfile_instructions(open(path).read()):
        if instr == "FROM":
            uid = None
        elif instr == "USER":
            m = re.fullmatch(r"(\d+)(?::\d+)?", arg.strip())
            uid = int(m.group(1)) if m else arg.strip()
    return uid


# ---------------------------------------------------------------- manifests

def check_manifests(docs, overlay, dockerfile=None):
    errors = []
    err = errors.append
    docs = [d for d in docs if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), []).append(d)

    def one(kind, name):
        found = [d for d in by_kind.get(kind, []) if d["metadata"]["name"] == name]
        return found[0] if found else None

    namespaces = {d["metadata"].get("namespace") for d in docs}
    if len(namespaces) != 1:
        err(f"namespace: objects are spread over namespaces {sorted(map(str, namespaces))}")

    dep = one("Deployment", GATEWAY)
    if dep is None:
        return [f"Deployment {GATEWAY} is missing"]
    spec = dep["spec"]
    tmpl = spec["template"]
    pod = tmpl["spec"]
    pod_labels = tmpl["metadata"].get("labels") or {}
    if not selects(spec.get("selector"), pod_labels):
        err("Deployment: spec.selector does not select its own pod template labels")
    containers = [c for c in pod.get("containers", []) if c["name"] == GATEWAY]
    if not containers:
        return errors + [f"Deployment: no container named {GATEWAY}"]
    c = containers[0]
    env = {e["name"]: e for e in c.get("env") or []}
    env_value = {k: e.get("value") for k, e in env.items()}

    image = c.get("image", "")
    if ":" not in image.rsplit("/", 1)[-1] and "@" not in image or image.endswith(":latest"):
        err(f"Deployment: image {image!r} must carry a version tag (not latest)")

    # Ports and probes.
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
    grpc_port = ports.get(GRPC_PORT_NAME)
    metrics_port = ports.get(METRICS_PORT_NAME)
    if grpc_port is None:
        err(f"Deployment: no container port named {GRPC_PORT_NAME}")
    if metrics_port is None:
        err(f"Deployment: no container port named {METRICS_PORT_NAME}")
    if env_value.get("KTP_LISTEN") and port_of(env_value["KTP_LISTEN"]) != grpc_port:
        err(f"Deployment: KTP_LISTEN {env_value['KTP_LISTEN']} does not listen on the grpc port {grpc_port}")
    if env_value.get("KTP_METRICS_LISTEN") and port_of(env_value["KTP_METRICS_LISTEN"]) != metrics_port:
        err(f"Deployment: KTP_METRICS_LISTEN {env_value['KTP_METRICS_LISTEN']} does not listen on the "
            f"metrics port {metrics_port}")
    for probe_name, want_service in (("startupProbe", None), ("readinessProbe", READINESS_SERVICE),
                                     ("livenessProbe", "")):
        probe = c.get(probe_name)
        if not probe or "grpc" not in probe:
            err(f"Deployment: {probe_name} must be a native grpc probe")
            continue
        if probe["grpc"].get("port") != grpc_port:
            err(f"Deployment: {probe_name} probes port {probe['grpc'].get('port')}, not the grpc port {grpc_port}")
        service = probe["grpc"].get("service", "")
        if want_service is not None and service != want_service:
            err(f"Deployment: {probe_name} asks for health service {service!r}, want {want_service!r}")

    # Volumes: the credentials Secret and the config ConfigMap, as directories.
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    mounts = c.get("volumeMounts") or []
    for m in mounts:
        if m.get("subPath") or m.get("subPathExpr"):
            err(f"Deployment: volume {m['name']} is mounted with subPath (never sees updates)")

    def volume_has_secret(v):
        if (v.get("secret") or {}).get("secretName") == SECRET:
            return True
        return any((s.get("secret") or {}).get("name") == SECRET
                   for s in (v.get("projected") or {}).get("sources") or [])

    secret_vols = [n for n, v in volumes.items() if volume_has_secret(v)]
    secret_mounts = [m for m in mounts if m["name"] in secret_vols]
    if not secret_mounts:
        err(f"Deployment: Secret {SECRET} is not mounted into the {GATEWAY} container")
    else:
        path = secret_mounts[0]["mountPath"].rstrip("/")
        if (env_value.get("KTP_CREDENTIALS_DIR") or "").rstrip("/") != path:
            err(f"Deployment: KTP_CREDENTIALS_DIR {env_value.get('KTP_CREDENTIALS_DIR')!r} is not the "
                f"Secret's mountPath {path!r}")
    for n in secret_vols:
        if (volumes[n].get("secret") or {}).get("items"):
            err(f"Deployment: Secret volume {n} lists items: new keys would never appear")

    config_file = env_value.get("KTP_CONFIG_FILE")
    if config_file:
        owner = [m for m in mounts if config_file.startswith(m["mountPath"].rstrip("/") + "/")]
        if not owner:
            err(f"Deployment: KTP_CONFIG_FILE {config_file} is not inside any volume mount")
        else:
            m = owner[0]
            cm_name = (volumes.get(m["name"], {}).get("configMap") or {}).get("name")
            key = config_file[len(m["mountPath"].rstrip("/")) + 1:]
            cm = one("ConfigMap", cm_name) if cm_name else None
            if cm is None:
                err(f"Deployment: KTP_CONFIG_FILE is on volume {m['name']}, not a ConfigMap of this render")
            elif key not in (cm.get("data") or {}):
                err(f"ConfigMap {cm_name}: no key {key!r} for KTP_CONFIG_FILE")
            else:
                errors.extend(check_gateway_config(cm["data"][key], f"ConfigMap {cm_name}/{key}"))

    # Security.
    pod_sc = pod.get("securityContext") or {}
    sc = c.get("securityContext") or {}
    if effective(sc, pod_sc, "runAsNonRoot") is not True:
        err("Deployment: runAsNonRoot must be true")
    uid = effective(sc, pod_sc, "runAsUser")
    if not isinstance(uid, int) or uid == 0:
        err(f"Deployment: runAsUser must be a non-zero uid, got {uid!r}")
    if sc.get("readOnlyRootFilesystem") is not True:
        err("Deployment: readOnlyRootFilesystem must be true")
    if sc.get("allowPrivilegeEscalation") is not False:
        err("Deployment: allowPrivilegeEscalation must be false")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        err("Deployment: capabilities must drop ALL")
    if (effective(sc, pod_sc, "seccompProfile") or {}).get("type") != "RuntimeDefault":
        err("Deployment: seccompProfile must be RuntimeDefault")
    if dockerfile:
        image_uid = dockerfile_user(dockerfile)
        if image_uid != uid:
            err(f"Deployment: runAsUser {uid} differs from the image's USER {image_uid}")
    if pod.get("enableServiceLinks") is not False:
        err("Deployment: enableServiceLinks must be false (service links inject KTP_* variables)")

    # Graceful shutdown.
    grace = parse_duration(env_value.get("KTP_SHUTDOWN_GRACE") or "25s")
    if "KTP_SHUTDOWN_GRACE" not in env_value:
        err("Deployment: set KTP_SHUTDOWN_GRACE explicitly")
    pre_stop = sleep_seconds((c.get("lifecycle") or {}).get("preStop"))
    if pre_stop is None:
        err("Deployment: no preStop sleep (endpoint removal would race SIGTERM)")
        pre_stop = 0
    tgps = pod.get("terminationGracePeriodSeconds", 30)
    if not tgps > grace + pre_stop:
        err(f"Deployment: terminationGracePeriodSeconds {tgps} must exceed shutdown grace {grace:g}s + "
            f"preStop {pre_stop:g}s")

    res = c.get("resources") or {}
    for path in (("requests", "cpu"), ("requests", "memory"), ("limits", "memory")):
        if not (res.get(path[0]) or {}).get(path[1]):
            err(f"Deployment: resources.{path[0]}.{path[1]} is not set")

    for i, tsc in enumerate(pod.get("topologySpreadConstraints") or []):
        if not selects(tsc.get("labelSelector"), pod_labels):
            err(f"Deployment: topologySpreadConstraints[{i}] does not select the gateway pods")
    keys = [t["topologyKey"] for t in pod.get("topologySpreadConstraints") or []]
    if not keys:
        err("Deployment: no topologySpreadConstraints")
    if len(keys) != len(set(keys)):
        err(f"Deployment: duplicate topologySpreadConstraints keys {keys} (a patch merged instead of replacing)")

    if pod.get("serviceAccountName") and one("ServiceAccount", pod["serviceAccountName"]) is None:
        err(f"Deployment: ServiceAccount {pod['serviceAccountName']} is not in the render")
    if not pod.get("serviceAccountName"):
        err("Deployment: no serviceAccountName (would run as the namespace default)")

    # Service.
    svcs = [s for s in by_kind.get("Service", []) if service_selects(s, pod_labels)]
    svc = one("Service", GATEWAY)
    if svc is None or svc not in svcs:
        err(f"Service {GATEWAY} is missing or does not select the gateway pods")
    else:
        sports = {p.get("name"): p for p in svc["spec"].get("ports") or []}
        g = sports.get(GRPC_PORT_NAME)
        if g is None:
            err(f"Service: no port named {GRPC_PORT_NAME}")
        else:
            if g.get("appProtocol") != "grpc":
                err("Service: port grpc must have appProtocol: grpc")
            if g.get("targetPort") not in (GRPC_PORT_NAME, grpc_port):
                err(f"Service: port grpc targets {g.get('targetPort')}, not the grpc container port")
        mp = sports.get(METRICS_PORT_NAME)
        if mp is None:
            err(f"Service: no port named {METRICS_PORT_NAME}")
        elif mp.get("targetPort") not in (METRICS_PORT_NAME, metrics_port):
            err(f"Service: port metrics targets {mp.get('targetPort')}, not the metrics container port")
    for s in by_kind.get("Service", []):
        selected = [d["metadata"]["name"] for d in by_kind.get("Deployment", [])
                    if service_selects(s, d["spec"]["template"]["metadata"].get("labels") or {})]
        if len(selected) > 1:
            err(f"Service {s['metadata']['name']} selects the pods of several Deployments: {selected}")

    # HPA owns the replica count.
    hpas = [h for h in by_kind.get("HorizontalPodAutoscaler", [])
            if h["spec"].get("scaleTargetRef", {}).get("kind") == "Deployment"
            and h["spec"]["scaleTargetRef"].get("name") == GATEWAY]
    if not hpas:
        err(f"HorizontalPodAutoscaler for Deployment {GATEWAY} is missing")
    else:
        h = hpas[0]
        if h.get("apiVersion") != "autoscaling/v2":
            err(f"HorizontalPodAutoscaler: apiVersion {h.get('apiVersion')}, want autoscaling/v2")
        lo, hi = h["spec"].get("minReplicas", 1), h["spec"].get("maxReplicas", 0)
        if not 1 <= lo <= hi:
            err(f"HorizontalPodAutoscaler: replicas {lo}..{hi} are not a valid range")
        if "replicas" in spec:
            err("Deployment: spec.replicas is set although the HPA owns the replica count")

    # PodDisruptionBudget.
    pdbs = [p for p in by_kind.get("PodDisruptionBudget", []) if selects(p["spec"].get("selector"), pod_labels)]
    if not pdbs:
        err("PodDisruptionBudget selecting the gateway pods is missing")
    elif pdbs[0].get("apiVersion") != "policy/v1":
        err("PodDisruptionBudget: apiVersion must be policy/v1")

    # NetworkPolicy.
    nps = [n for n in by_kind.get("NetworkPolicy", []) if selects(n["spec"].get("podSelector"), pod_labels)]
    if not nps:
        err("NetworkPolicy selecting the gateway pods is missing")
    else:
        np = nps[0]["spec"]
        types = set(np.get("policyTypes") or [])
        if types != {"Ingress", "Egress"}:
            err(f"NetworkPolicy: policyTypes {sorted(types)}, want Ingress and Egress")
        allowed_in = {GRPC_PORT_NAME, METRICS_PORT_NAME, grpc_port, metrics_port}
        seen_in = set()
        for i, rule in enumerate(np.get("ingress") or []):
            if not rule.get("ports"):
                err(f"NetworkPolicy: ingress[{i}] allows every port")
            for p in rule.get("ports") or []:
                if p.get("port") not in allowed_in:
                    err(f"NetworkPolicy: ingress[{i}] opens port {p.get('port')} (only grpc and metrics)")
                seen_in.add({GRPC_PORT_NAME: grpc_port, METRICS_PORT_NAME: metrics_port}.get(p.get("port"),
                                                                                           p.get("port")))
        for name, number in ((GRPC_PORT_NAME, grpc_port), (METRICS_PORT_NAME, metrics_port)):
            if number not in seen_in:
                err(f"NetworkPolicy: ingress does not allow the {name} port")
        egress = np.get("egress") or []
        if not any(rule_allows(r, 53, "UDP") for r in egress):
            err("NetworkPolicy: egress does not allow DNS (53/UDP)")
        if not any(rule_allows(r, 443, "TCP") for r in egress):
            err("NetworkPolicy: egress does not allow HTTPS (443/TCP) to the upstream")
        redis_port = None
        if env_value.get("KTP_REDIS_URL"):
            m = re.match(r"rediss?://(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?", env_value["KTP_REDIS_URL"])
            redis_port = int(m.group(2) or 6379) if m else None
        elif "KTP_REDIS_URL" in env:
            redis_port = 6379
        if redis_port and not any(rule_allows(r, redis_port, "TCP") for r in egress):
            err(f"NetworkPolicy: egress does not allow Redis ({redis_port}/TCP)")

    if "KTP_REDIS_URL" not in env:
        err(f"Deployment: overlay {overlay} sets no KTP_REDIS_URL")
    elif env_value.get("KTP_REDIS_URL"):
        host = re.match(r"rediss?://(?:[^@/]*@)?([^:/]+)", env_value["KTP_REDIS_URL"])
        host = host.group(1) if host else ""
        if "." not in host and one("Service", host) is None:
            err(f"Deployment: KTP_REDIS_URL names Service {host!r}, which is not in the render")

    # ServiceMonitor.
    sms = by_kind.get("ServiceMonitor", [])
    if not sms:
        err("ServiceMonitor is missing")
    for sm in sms:
        if sm.get("apiVersion") != "monitoring.coreos.com/v1":
            err("ServiceMonitor: apiVersion must be monitoring.coreos.com/v1")
        if svc is None or not selects(sm["spec"].get("selector"), svc["metadata"].get("labels") or {}):
            err(f"ServiceMonitor {sm['metadata']['name']} does not select Service {GATEWAY}")
        eps = sm["spec"].get("endpoints") or []
        if not any(e.get("port") == METRICS_PORT_NAME for e in eps):
            err(f"ServiceMonitor {sm['metadata']['name']} does not scrape the port named {METRICS_PORT_NAME}")
        for e in eps:
            if e.get("port") != METRICS_PORT_NAME:
                err(f"ServiceMonitor {sm['metadata']['name']} scrapes port {e.get('port')!r}")

    if not by_kind.get("ServiceAccount"):
        err("ServiceAccount is missing")
    return errors


def check_gateway_config(text, where):
    """The access config: valid JSON whose clients and anonymous tenant name existing tenants."""
    try:
        cfg = json.loads(text)
    except ValueError as e:
        return [f"{where}: not valid JSON: {e}"]
    errors = []
    known = {"tenants", "clients", "auth", "global_limits", "globalLimits"}
    if set(cfg) - known:
        errors.append(f"{where}: unknown top-level keys {sorted(set(cfg) - known)}")
    tenants = {t.get("name") for t in cfg.get("tenants") or []}
    if not tenants:
        errors.append(f"{where}: no tenants")
    for cl in cfg.get("clients") or []:
        if cl.get("tenant") not in tenants:
            errors.append(f"{where}: client {cl.get('id')!r} names unknown tenant {cl.get('tenant')!r}")
    auth = cfg.get("auth") or {}
    anon = auth.get("anonymous_tenant", auth.get("anonymousTenant"))
    if auth.get("allow_anonymous", auth.get("allowAnonymous")) and anon not in tenants:
        errors.append(f"{where}: anonymous_tenant {anon!r} is not a tenant")
    return errors


# ---------------------------------------------------------------- Dockerfile

def dockerfile_instructions(text):
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    if buf:
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def check_dockerfile(text):
    """A stand-in for hadolint (not packaged in Debian bookworm)."""
    errors = []
    err = errors.append
    instrs = dockerfile_instructions(text)
    froms = [a for i, a in instrs if i == "FROM"]
    if len(froms) < 2:
        err("Dockerfile: want a multi-stage build (build stage + slim runtime stage)")
    for a in froms:
        image = a.split()[0]
        if image.startswith("--platform"):
            image = a.split()[1]
        if not re.fullmatch(r"debian:bookworm(-slim)?(-\d{8})?(@sha256:[0-9a-f]{64})?", image):
            err(f"Dockerfile: FROM {image} is not pinned to a debian:bookworm tag")
    if froms and not froms[-1].split()[0].startswith("debian:bookworm-slim"):
        err("Dockerfile: the final stage must run on debian:bookworm-slim")
    final = []
    for i, a in instrs:
        if i == "FROM":
            final = []
        final.append((i, a))
    users = [a for i, a in final if i == "USER"]
    if not users:
        err("Dockerfile: the final stage has no USER (would run as root)")
    else:
        m = re.fullmatch(r"(\d+)(?::(\d+))?", users[-1])
        if not m:
            err(f"Dockerfile: USER {users[-1]} must be numeric (runAsNonRoot cannot verify a name)")
        elif int(m.group(1)) == 0 or (m.group(2) is not None and int(m.group(2)) == 0):
            err("Dockerfile: USER must not be root (uid/gid 0)")
    for i, a in instrs:
        if i == "HEALTHCHECK":
            err("Dockerfile: no HEALTHCHECK (Kubernetes probes the gRPC health service)")
        if i == "ADD" and re.search(r"(^|\s)(https?|ftp)://", a):
            err("Dockerfile: ADD from a URL (unpinned, unchecked download)")
        if i == "RUN" and re.search(r"apt-get\s+(\S+\s+)*install", a):
            if "--no-install-recommends" not in a:
                err("Dockerfile: apt-get install without --no-install-recommends")
            if not re.search(r"\s-y\b|--yes|--assume-yes", a):
                err("Dockerfile: apt-get install without -y")
            if "rm -rf /var/lib/apt/lists" not in a:
                err("Dockerfile: apt-get install without rm -rf /var/lib/apt/lists/* in the same RUN")
            if "apt-get update" not in a:
                err("Dockerfile: apt-get install without apt-get update in the same RUN")
        if i == "RUN" and re.search(r"(^|[\s;&])(sudo|apt)\s", a):
            err("Dockerfile: use apt-get, not apt or sudo")
        if i in ("FROM",) and ":latest" in a:
            err("Dockerfile: :latest tag")
    entry = [a for i, a in final if i == "ENTRYPOINT"]
    if not entry:
        err("Dockerfile: the final stage has no ENTRYPOINT")
    elif not entry[-1].startswith("["):
        err("Dockerfile: ENTRYPOINT must use the exec form (signals reach the gateway)")
    elif "ktp-gateway" not in entry[-1]:
        err("Dockerfile: ENTRYPOINT is not the ktp-gateway binary")
    exposed = {p.split("/")[0] for i, a in final if i == "EXPOSE" for p in a.split()}
    for port in ("50051", "9090"):
        if port not in exposed:
            err(f"Dockerfile: final stage does not EXPOSE {port}")
    return errors


# ---------------------------------------------------------------- metrics and dashboard

def metric_errors(expr, where):
    errors = []
    for m in re.finditer(r"\b((?:grpc_server|ktp_gateway)_[a-zA-Z0-9_]*)\b(\s*\{([^}]*)\})?", expr):
        name, matchers = m.group(1), m.group(3)
        base, suffix_labels = name, set()
        for suffix, extra in (("_bucket", {"le"}), ("_sum", set()), ("_count", set())):
            if name.endswith(suffix) and name[: -len(suffix)] in HISTOGRAMS:
                base, suffix_labels = name[: -len(suffix)], extra
        if base not in METRICS or (base in HISTOGRAMS and base == name):
            errors.append(f"{where}: unknown metric {name}")
            continue
        allowed = METRICS[base] | suffix_labels | TARGET_LABELS
        for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers or ""):
            if label not in allowed:
                errors.append(f"{where}: metric {name} has no label {label}")
    return errors


def exprs_of_rules(path):
    data = yaml.safe_load(open(path))
    for g in data.get("groups") or []:
        for r in g.get("rules") or []:
            yield r.get("alert") or r.get("record"), r["expr"]


def exprs_of_dashboard(dash):
    def walk(panels):
        for p in panels:
            yield from walk(p.get("panels") or [])
            for t in p.get("targets") or []:
                if t.get("expr"):
                    yield p.get("title"), t["expr"]
    yield from walk(dash.get("panels") or [])
    for v in (dash.get("templating") or {}).get("list") or []:
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if v.get("type") == "query" and q:
            inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", q)
            yield f"variable {v['name']}", inner.group(1) if inner else q


def check_dashboard(path, rules_out):
    errors = []
    try:
        dash = json.load(open(path))
    except ValueError as e:
        return [f"{path}: not valid JSON: {e}"]
    for key in ("uid", "title", "panels"):
        if not dash.get(key):
            errors.append(f"{path}: no {key}")
    ids = [p.get("id") for p in dash.get("panels") or []]
    if len(ids) != len(set(ids)):
        errors.append(f"{path}: duplicate panel ids")
    exprs = list(exprs_of_dashboard(dash))
    if not exprs:
        errors.append(f"{path}: no queries")
    wanted = {"grpc_server_handled_total", "grpc_server_handling_seconds_bucket",
              "ktp_gateway_upstream_request_duration_seconds_bucket", "ktp_gateway_upstream_failures_total",
              "ktp_gateway_inflight_calls", "ktp_gateway_rate_limit_decisions_total",
              "ktp_gateway_credential_generation"}
    used = " ".join(e for _, e in exprs)
    for w in sorted(wanted):
        if w not in used:
            errors.append(f"{path}: no panel shows {w}")
    rules = []
    for i, (title, expr) in enumerate(exprs):
        errors.extend(metric_errors(expr, f"{path} panel {title!r}"))
        concrete = (expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
                    .replace("$namespace", ".*").replace("${namespace}", ".*"))
        if "$" in concrete.replace("$labels", ""):
            errors.append(f"{path} panel {title!r}: unknown variable in {expr}")
        rules.append({"record": f"dashboard:panel_{i}", "expr": concrete})
    with open(rules_out, "w") as f:
        yaml.safe_dump({"groups": [{"name": "dashboard-exprs", "rules": rules}]}, f)
    return errors


# ---------------------------------------------------------------- self-test

def selftest(docs, dockerfile):
    """Breaks one rule at a time and asserts that the checks notice."""
    df_text = open(dockerfile).read()

    def gw(d):
        return next(x for x in d if x and x["kind"] == "Deployment" and x["metadata"]["name"] == GATEWAY)

    def ctr(d):
        return gw(d)["spec"]["template"]["spec"]["containers"][0]

    def env(d, name, value):
        for e in ctr(d)["env"]:
            if e["name"] == name:
                e["value"] = value
                return
        ctr(d)["env"].append({"name": name, "value": value})

    def kind(d, k):
        return next(x for x in d if x and x["kind"] == k)

    def set_in(obj, path, value):
        for p in path[:-1]:
            obj = obj[p]
        obj[path[-1]] = value

    def drop(d, k):
        d[:] = [x for x in d if not x or x["kind"] != k]

    def mount(d, name):
        return next(m for m in ctr(d)["volumeMounts"] if m["name"] == name)

    def secret_mount_name(d):
        vols = gw(d)["spec"]["template"]["spec"]["volumes"]
        return next(v["name"] for v in vols if (v.get("secret") or {}).get("secretName") == SECRET)

    mutations = {
        "readiness probe on another port": lambda d: set_in(ctr(d)["readinessProbe"]["grpc"], ["port"], 8080),
        "readiness probe health service": lambda d: set_in(ctr(d)["readinessProbe"]["grpc"], ["service"], ""),
        "liveness probe not grpc": lambda d: set_in(ctr(d), ["livenessProbe"], {"tcpSocket": {"port": 50051}}),
        "no startup probe": lambda d: ctr(d).pop("startupProbe"),
        "KTP_LISTEN on another port": lambda d: env(d, "KTP_LISTEN", "0.0.0.0:6000"),
        "grpc container port renamed": lambda d: set_in(ctr(d)["ports"][0], ["name"], "grpc-api"),
        "secret mounted with subPath": lambda d: set_in(mount(d, secret_mount_name(d)), ["subPath"], "api_key"),
        "KTP_CREDENTIALS_DIR elsewhere": lambda d: env(d, "KTP_CREDENTIALS_DIR", "/etc/glair"),
        "secret not mounted": lambda d: set_in(mount(d, secret_mount_name(d)), ["name"], "tmp"),
        "config file key missing": lambda d: env(d, "KTP_CONFIG_FILE", "/etc/ktp-gateway/config/other.json"),
        "config JSON broken": lambda d: set_in(kind(d, "ConfigMap"), ["data"],
                                               {k: "{" for k in kind(d, "ConfigMap")["data"]}),
        "runAsNonRoot false": lambda d: (set_in(ctr(d)["securityContext"], ["runAsNonRoot"], False)),
        "runs as root": lambda d: (set_in(ctr(d)["securityContext"], ["runAsUser"], 0)),
        "uid differs from image": lambda d: (set_in(ctr(d)["securityContext"], ["runAsUser"], 1000)),
        "writable root fs": lambda d: ctr(d)["securityContext"].pop("readOnlyRootFilesystem"),
        "privilege escalation": lambda d: set_in(ctr(d)["securityContext"], ["allowPrivilegeEscalation"], True),
        "capabilities kept": lambda d: set_in(ctr(d)["securityContext"], ["capabilities"], {"drop": ["NET_RAW"]}),
        "seccomp unconfined": lambda d: (gw(d)["spec"]["template"]["spec"]["securityContext"].pop("seccompProfile"),
                                         ctr(d)["securityContext"].pop("seccompProfile", None)),
        "service links on": lambda d: gw(d)["spec"]["template"]["spec"].pop("enableServiceLinks"),
        "grace too short": lambda d: set_in(gw(d)["spec"]["template"]["spec"], ["terminationGracePeriodSeconds"], 30),
        "shutdown grace too long": lambda d: env(d, "KTP_SHUTDOWN_GRACE", "1m"),
        "no preStop": lambda d: ctr(d).pop("lifecycle"),
        "no memory limit": lambda d: ctr(d)["resources"]["limits"].pop("memory"),
        "latest image": lambda d: set_in(ctr(d), ["image"], "ktp-gateway:latest"),
        "replicas beside HPA": lambda d: set_in(gw(d)["spec"], ["replicas"], 2),
        "service without appProtocol": lambda d: kind(d, "Service")["spec"]["ports"][0].pop("appProtocol"),
        "service port renamed": lambda d: set_in(kind(d, "Service")["spec"]["ports"][0], ["name"], "api"),
        "service selects nothing": lambda d: set_in(kind(d, "Service")["spec"], ["selector"], {"app": "other"}),
        "no HPA": lambda d: drop(d, "HorizontalPodAutoscaler"),
        "HPA targets another Deployment": lambda d: set_in(
            kind(d, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"], ["name"], "other"),
        "PDB selects nothing": lambda d: set_in(kind(d, "PodDisruptionBudget")["spec"], ["selector"],
                                                {"matchLabels": {"app": "other"}}),
        "no NetworkPolicy": lambda d: drop(d, "NetworkPolicy"),
        "NetworkPolicy opens every port": lambda d: next(
            n for n in d if n and n["kind"] == "NetworkPolicy" and n["metadata"]["name"] == GATEWAY
        )["spec"]["ingress"].append({}),
        "NetworkPolicy without DNS": lambda d: set_in(next(
            n for n in d if n and n["kind"] == "NetworkPolicy" and n["metadata"]["name"] == GATEWAY
        )["spec"], ["egress"], [{"ports": [{"protocol": "TCP", "port": 443}]}]),
        "no ServiceMonitor": lambda d: drop(d, "ServiceMonitor"),
        "ServiceMonitor scrapes grpc": lambda d: set_in(kind(d, "ServiceMonitor")["spec"]["endpoints"][0],
                                                        ["port"], "grpc"),
        "ServiceMonitor selects nothing": lambda d: set_in(kind(d, "ServiceMonitor")["spec"], ["selector"],
                                                           {"matchLabels": {"app": "other"}}),
        "no ServiceAccount": lambda d: drop(d, "ServiceAccount"),
        "duplicate spread key": lambda d: gw(d)["spec"]["template"]["spec"]["topologySpreadConstraints"].append(
            copy.deepcopy(gw(d)["spec"]["template"]["spec"]["topologySpreadConstraints"][0])),
        "no redis url": lambda d: set_in(ctr(d), ["env"], [e for e in ctr(d)["env"] if e["name"] != "KTP_REDIS_URL"]),
    }
    failures = []
    if check_manifests(copy.deepcopy(docs), "selftest", dockerfile):
        failures.append("the unmodified render does not pass: " + "; ".join(
            check_manifests(copy.deepcopy(docs), "selftest", dockerfile)))
    for name, mutate in mutations.items():
        broken = copy.deepcopy(docs)
        mutate(broken)
        if not check_manifests(broken, "selftest", dockerfile):
            failures.append(f"manifest check missed: {name}")
    df_mutations = {
        "FROM ubuntu": lambda t: t.replace("FROM debian:bookworm-slim", "FROM ubuntu:22.04"),
        "FROM latest": lambda t: t.replace("FROM debian:bookworm AS", "FROM debian:latest AS"),
        "no USER": lambda t: re.sub(r"(?m)^USER .*$", "", t),
        "USER root": lambda t: re.sub(r"(?m)^USER .*$", "USER 0", t),
        "USER by name": lambda t: re.sub(r"(?m)^USER .*$", "USER nonroot", t),
        "HEALTHCHECK": lambda t: t + "HEALTHCHECK CMD /bin/true\n",
        "ADD URL": lambda t: t + "ADD https://example.com/x.tar.gz /x\n",
        "apt lists kept": lambda t: t.replace(" \\\n && rm -rf /var/lib/apt/lists/*", "", 1),
        "recommends": lambda t: t.replace("--no-install-recommends", "", 1),
        "shell ENTRYPOINT": lambda t: re.sub(r"(?m)^ENTRYPOINT .*$", "ENTRYPOINT /usr/local/bin/ktp-gateway", t),
        "no EXPOSE": lambda t: re.sub(r"(?m)^EXPOSE .*$", "", t),
    }
    if check_dockerfile(df_text):
        failures.append("the unmodified Dockerfile does not pass")
    for name, mutate in df_mutations.items():
        text = mutate(df_text)
        if text == df_text:
            failures.append(f"Dockerfile mutation {name!r} changed nothing (update the self-test)")
        elif not check_dockerfile(text):
            failures.append(f"Dockerfile check missed: {name}")
    metric_cases = {"typo": "rate(grpc_server_handeld_total[5m])",
                    "bad label": 'rate(ktp_gateway_upstream_failures_total{reason="x"}[5m])',
                    "bucket of a counter": "ktp_gateway_inflight_calls_bucket",
                    "bare histogram": "ktp_gateway_image_bytes"}
    for name, expr in metric_cases.items():
        if not metric_errors(expr, "selftest"):
            failures.append(f"metric check missed: {name}")
    return failures, len(mutations) + len(df_mutations) + len(metric_cases)


# ---------------------------------------------------------------- main

def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "manifests":
        docs = list(yaml.safe_load_all(open(args[0])))
        errors = check_manifests(docs, args[1], args[2] if len(args) > 2 else None)
        ok_msg = f"overlay {args[1]}: {len([d for d in docs if d])} objects, every rule holds"
    elif cmd == "selftest":
        docs = list(yaml.safe_load_all(open(args[0])))
        errors, n = selftest(docs, args[1])
        ok_msg = f"self-test: all {n} deliberately broken inputs were caught"
    elif cmd == "dockerfile":
        errors = check_dockerfile(open(args[0]).read())
        ok_msg = f"{args[0]}: every rule holds"
    elif cmd == "dashboard":
        errors = check_dashboard(args[0], args[1])
        ok_msg = f"{args[0]}: valid, known metrics only"
    elif cmd == "metrics":
        errors = []
        for path in args:
            for name, expr in exprs_of_rules(path):
                errors.extend(metric_errors(expr, f"{path} {name}"))
        ok_msg = "alert expressions use known metrics and labels only"
    else:
        print(f"unknown command {cmd}\n{__doc__}", file=sys.stderr)
        return 2
    for e in errors:
        print(f"FAIL: {e}")
    if errors:
        return 1
    print(ok_msg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
