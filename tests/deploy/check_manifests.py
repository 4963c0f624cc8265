#!/usr/bin/env python3
"""Static checks of deploy/: rendered Kubernetes manifests, the Dockerfile, the Grafana
dashboard and the metric names used by alerts and dashboard. Python 3 standard library
plus PyYAML (python3-yaml, installed by scripts/install-deps.sh).

  check_manifests.py manifests RENDERED.yaml OVERLAY DOCKERFILE   (OVERLAY: base, dev, prod, istio, ...)
  check_manifests.py same-policy A.yaml B.yaml            (the access policies differ only in auth)
  check_manifests.py selftest DOCKERFILE OVERLAY=RENDERED.yaml...  (every rule can fail; needs dev,
                                                          prod and istio renders)
  check_manifests.py dockerfile DOCKERFILE
  check_manifests.py dashboard DASHBOARD.json RULES_OUT.yaml  (RULES_OUT: exprs for promtool)
  check_manifests.py metrics FILE...                      (known metric and label names only)

Exit status 0 when every rule holds; otherwise one line per broken rule and exit status 1.
"""
import copy
import ipaddress
import json
import re
import sys

import yaml

GATEWAY = "ktp-gateway"
SECRET = "ktp-gateway-glair"
GRPC_PORT_NAME = "grpc"
METRICS_PORT_NAME = "metrics"
READINESS_SERVICE = "ktp.v1.KtpOcr"
REDIS = "ktp-redis"

# Overlays with special rights: only dev may turn reflection on and admit anonymous callers; only
# istio may trust x-forwarded-client-cert (and then must carry the mesh that makes it safe).
DEV_OVERLAY = "dev"
ISTIO_OVERLAY = "istio"

# Network exposure (deploy/README.md "Network policies"). kubernetes.io/metadata.name is set by the
# API server (1.21+) and cannot be forged; the client label is granted by whoever may label
# namespaces.
NS_NAME_LABEL = "kubernetes.io/metadata.name"
CLIENT_NS_LABEL = "ktp-gateway.io/client"
MONITORING_NAMESPACE = "monitoring"
DNS_NAMESPACE, DNS_POD_LABELS = "kube-system", {"k8s-app": "kube-dns"}
ISTIO_NAMESPACE, ISTIOD_PORT = "istio-system", 15012
SIDECAR_INJECT = "sidecar.istio.io/inject"
# Egress ipBlocks may not be wider than this (0.0.0.0/0 and friends are "allow all").
MIN_EGRESS_PREFIX = {4: 16, 6: 32}
# RFC 5737 documentation ranges: fine as placeholders in the repository, reported as a note.
PLACEHOLDER_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
# Where a sidecar in the pod connects from: loopback, plus ::6, the address Istio binds on lo for
# IPv6 inbound traffic (127.0.0.6 is its IPv4 twin, inside 127.0.0.0/8).
LOOPBACK_NETS = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128", "::6/128")]

# The gateway's defaults for the settings whose bounds are checked.
BUFFERED_DEFAULT_FRACTION = 0.4   # --max-buffered-bytes: 40 % of the cgroup memory limit
BUFFERED_MAX_FRACTION = 0.5       # an explicit value must leave at least half the limit
MAX_IMAGE_BYTES_DEFAULT = 10 << 20
# What one call holds besides its image, counted by --max-buffered-bytes: the call's working
# memory (service/upload_assembler.h kCallOverheadBytes) and the upstream send buffer
# (backend/ocr_backend.h kMaxSendBufferBytes).
CALL_OVERHEAD_BYTES = (48 << 10) + (64 << 10)
TLS_ENV = ("KTP_TLS_CERT_FILE", "KTP_TLS_KEY_FILE", "KTP_TLS_CLIENT_CA_FILE")

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
    "ktp_gateway_policy_reloads_total": {"result"},
    "ktp_gateway_circuit_breaker_state": {"endpoint"},
    "ktp_gateway_identity_checks_total": {"kind", "outcome"},
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




def parse_quantity(text):
    """Kubernetes resource quantity ("512Mi", "1Gi", "1G", "1e9", "1024") in bytes."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGTPE]i?|[eE]\d+|m|k)?", str(text).strip())
    if not m:
        raise ValueError(f"not a quantity: {text!r}")
    number, suffix = float(m.group(1)), m.group(2) or ""
    if re.fullmatch(r"[eE]\d+", suffix):
        return number * 10 ** int(suffix[1:])
    factors = {"": 1, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
               "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
    return number * factors[suffix]


def flag_setting(container, flag, env_name):
    """The value the gateway sees for --flag / env_name: a command-line flag wins over the variable.
    Returns (value, where) or (None, None)."""
    value, where = None, None
    for e in container.get("env") or []:
        if e["name"] == env_name:
            value, where = (e.get("value"), f"env {env_name}") if "valueFrom" not in e else ("<from>", env_name)
    words = [str(w) for w in (container.get("command") or [])[1:] + (container.get("args") or [])]
    for i, w in enumerate(words):
        if w == f"--{flag}":
            value = words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("--") else "true"
            where = f"--{flag}"
        elif w.startswith(f"--{flag}="):
            value, where = w.split("=", 1)[1], f"--{flag}"
    return value, where


def cidrs_of(text):
    try:
        return ipaddress.ip_network(str(text), strict=True)
    except ValueError:
        return None


def ns_selector_is(peer, key, value):
    """A NetworkPolicy peer whose namespaceSelector requires label key=value."""
    sel = peer.get("namespaceSelector")
    if not sel:
        return False
    if (sel.get("matchLabels") or {}).get(key) == value:
        return True
    return any(e.get("key") == key and e.get("operator") == "In" and e.get("values") == [value]
               for e in sel.get("matchExpressions") or [])




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
    # The kubelet's gRPC probes speak plaintext only: with TLS on the listener they probe with TCP.
    tls_listener = bool(flag_setting(c, "tls-cert-file", "KTP_TLS_CERT_FILE")[0])
    for probe_name, want_service in (("startupProbe", None), ("readinessProbe", READINESS_SERVICE),
                                     ("livenessProbe", "")):
        probe = c.get(probe_name)
        if tls_listener:
            if not probe or "tcpSocket" not in probe or "grpc" in probe:
                err(f"Deployment: {probe_name} must be a tcpSocket probe (TLS listener: kubelet gRPC probes "
                    "are plaintext)")
            elif probe["tcpSocket"].get("port") not in (grpc_port, GRPC_PORT_NAME):
                err(f"Deployment: {probe_name} probes port {probe['tcpSocket'].get('port')}, not the grpc port")
            continue
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

    policy = None  # the parsed access policy (gateway.json), when there is a valid one
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
                cfg_errors, policy = check_gateway_config(cm["data"][key], f"ConfigMap {cm_name}/{key}")
                errors.extend(cfg_errors)

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

    # NetworkPolicy (they add up: every policy selecting the gateway pods counts).
    redis_port = None
    redis_url = env_value.get("KTP_REDIS_URL")
    if redis_url:
        m = re.match(r"rediss?://(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?", redis_url)
        redis_port = int(m.group(2) or 6379) if m else None
    elif "KTP_REDIS_URL" in env:
        redis_port = 6379
    sidecar = pod_labels.get(SIDECAR_INJECT, (tmpl["metadata"].get("annotations") or {}).get(SIDECAR_INJECT))
    errors.extend(check_network_policies(by_kind, pod_labels, grpc_port, metrics_port, redis_port, redis_url,
                                         sidecar == "true", overlay))

    if "KTP_REDIS_URL" not in env and overlay != "base":
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

    errors.extend(check_exposure(c, env, volumes, mounts, policy, overlay))
    errors.extend(check_mesh(by_kind, tmpl, c, grpc_port, policy, overlay))
    return errors


NOTES = []  # placeholders still in place: printed, never failures


def check_ip_block(block, where, err):
    """An egress ipBlock: a valid CIDR no wider than MIN_EGRESS_PREFIX. Returns the network or None."""
    net = cidrs_of((block or {}).get("cidr"))
    if net is None:
        err(f"{where}: ipBlock cidr {(block or {}).get('cidr')!r} is not a network address/prefix")
        return None
    if net.prefixlen < MIN_EGRESS_PREFIX[net.version]:
        err(f"{where}: ipBlock {net} is wider than /{MIN_EGRESS_PREFIX[net.version]} (as good as allow-all)")
    if any(net.subnet_of(p) for p in PLACEHOLDER_NETS if p.version == net.version):
        NOTES.append(f"{where}: {net} is a documentation placeholder; set the real address range")
    return net


def check_network_policies(by_kind, pod_labels, grpc_port, metrics_port, redis_port, redis_url, sidecar, overlay):
    """Ingress only to grpc (labelled namespaces) and metrics (monitoring); egress only DNS (kube-dns),
    Redis, HTTPS to ipBlocks and, with a sidecar, istiod; the in-cluster Redis admits the gateway."""
    errors = []
    err = errors.append
    nps = [n for n in by_kind.get("NetworkPolicy", []) if selects(n["spec"].get("podSelector"), pod_labels)]
    if not nps:
        return ["NetworkPolicy selecting the gateway pods is missing"]

    def types(n):
        return set(n["spec"].get("policyTypes") or [])

    for kind in ("Ingress", "Egress"):
        if not any(kind in types(n) for n in nps):
            err(f"NetworkPolicy: no policy restricts {kind.lower()} of the gateway pods (policyTypes)")
    port_names = {GRPC_PORT_NAME: grpc_port, METRICS_PORT_NAME: metrics_port}

    seen_in = set()
    for n in nps:
        for i, rule in enumerate(n["spec"].get("ingress") or []):
            where = f"NetworkPolicy {n['metadata']['name']}: ingress[{i}]"
            ports = rule.get("ports") or []
            peers = rule.get("from") or []
            if not ports:
                err(f"{where} allows every port")
            if not peers:
                err(f"{where} admits every source (no `from`)")
            for p in ports:
                proto, number = p.get("protocol", "TCP"), port_names.get(p.get("port"), p.get("port"))
                if proto != "TCP" or number not in (grpc_port, metrics_port) or "endPort" in p:
                    span = f"{p.get('port', 'every')}" + (f"-{p['endPort']}" if "endPort" in p else "")
                    err(f"{where} opens {proto} port {span} (only grpc and metrics)")
                    continue
                seen_in.add(number)
                for j, peer in enumerate(peers):
                    if "ipBlock" in peer:
                        err(f"{where}: from[{j}] is an ipBlock (admit namespaces by label)")
                    elif number == grpc_port and not ns_selector_is(peer, CLIENT_NS_LABEL, "true"):
                        err(f"{where}: grpc from[{j}] is not limited to namespaces labelled {CLIENT_NS_LABEL}=true")
                    elif number == metrics_port and not ns_selector_is(peer, NS_NAME_LABEL, MONITORING_NAMESPACE):
                        err(f"{where}: metrics from[{j}] is not limited to the namespace {MONITORING_NAMESPACE}")
    for name, number in port_names.items():
        if number not in seen_in:
            err(f"NetworkPolicy: ingress does not allow the {name} port")

    # The in-cluster Redis (deploy/kustomize/redis), when this render has it.
    redis_dep = next((d for d in by_kind.get("Deployment", []) if d["metadata"]["name"] == REDIS), None)
    redis_labels, want_redis_port = None, redis_port
    if redis_dep is not None:
        redis_labels = redis_dep["spec"]["template"]["metadata"].get("labels") or {}
        rports = [p["containerPort"] for c in redis_dep["spec"]["template"]["spec"]["containers"]
                  for p in c.get("ports") or []]
        want_redis_port = rports[0] if rports else 6379  # NetworkPolicy sees the pod's port, not the Service's

    seen_out, redis_nets = set(), []
    for n in nps:
        for i, rule in enumerate(n["spec"].get("egress") or []):
            where = f"NetworkPolicy {n['metadata']['name']}: egress[{i}]"
            ports = rule.get("ports") or []
            peers = rule.get("to") or []
            if not ports or not peers:
                err(f"{where} allows {'every port' if not ports else 'every destination'} (allow-all)")
                continue
            pp = [(p.get("protocol", "TCP"), p.get("port")) for p in ports]
            if any("endPort" in p for p in ports):
                err(f"{where}: port ranges (endPort) are not allowed")
            elif all(port == 53 and proto in ("UDP", "TCP") for proto, port in pp):
                for j, peer in enumerate(peers):
                    if not (ns_selector_is(peer, NS_NAME_LABEL, DNS_NAMESPACE)
                            and selects(peer.get("podSelector"), DNS_POD_LABELS) and "ipBlock" not in peer):
                        err(f"{where}: DNS to[{j}] is not kube-dns ({DNS_POD_LABELS}) in {DNS_NAMESPACE}")
                seen_out.update(f"dns/{proto}" for proto, _ in pp)
            elif all(pair == ("TCP", 443) for pair in pp):
                for j, peer in enumerate(peers):
                    if set(peer) != {"ipBlock"}:
                        err(f"{where}: HTTPS to[{j}] must be an ipBlock (the GLAIR API's address range)")
                    else:
                        check_ip_block(peer["ipBlock"], f"{where}: to[{j}]", err)
                seen_out.add("https")
            elif all(pair == ("TCP", want_redis_port or 6379) for pair in pp):
                for j, peer in enumerate(peers):
                    if set(peer) == {"ipBlock"}:
                        redis_nets.append(check_ip_block(peer["ipBlock"], f"{where}: to[{j}]", err))
                    elif set(peer) == {"podSelector"} and redis_labels is not None:
                        if not selects(peer["podSelector"], redis_labels):
                            err(f"{where}: Redis to[{j}] does not select the Redis pods of this render")
                    elif (set(peer) == {"podSelector"} and overlay == "base"
                          and (peer["podSelector"].get("matchLabels") or {}).get("app.kubernetes.io/name") == REDIS):
                        pass  # the base alone: the Redis of deploy/kustomize/redis, added by overlays
                    else:
                        err(f"{where}: Redis to[{j}] is neither the Redis pods of this render nor an ipBlock")
                seen_out.add("redis")
            elif sidecar and all(pair == ("TCP", ISTIOD_PORT) for pair in pp):
                for j, peer in enumerate(peers):
                    if not ns_selector_is(peer, NS_NAME_LABEL, ISTIO_NAMESPACE) or "ipBlock" in peer:
                        err(f"{where}: istiod to[{j}] is not limited to the namespace {ISTIO_NAMESPACE}")
                seen_out.add("istiod")
            else:
                err(f"{where} opens {pp}: egress is only DNS, Redis, HTTPS to the upstream"
                    f"{' and istiod' if sidecar else ''}")
    for key, what in (("dns/UDP", "DNS (53/UDP)"), ("dns/TCP", "DNS (53/TCP)"),
                      ("https", "HTTPS (443/TCP) to the upstream")):
        if key not in seen_out:
            err(f"NetworkPolicy: egress does not allow {what}")
    if want_redis_port and "redis" not in seen_out:
        err(f"NetworkPolicy: egress does not allow Redis ({want_redis_port}/TCP)")
    if sidecar and "istiod" not in seen_out:
        err(f"NetworkPolicy: the sidecar cannot reach istiod ({ISTIO_NAMESPACE}, {ISTIOD_PORT}/TCP)")
    host = re.match(r"rediss?://(?:[^@/]*@)?\[?([^\]/:]+)", redis_url or "")
    try:
        redis_ip = ipaddress.ip_address(host.group(1)) if host else None
    except ValueError:
        redis_ip = None
    if redis_ip is not None and redis_nets and not any(net and redis_ip in net for net in redis_nets):
        err(f"NetworkPolicy: KTP_REDIS_URL's address {redis_ip} is outside the Redis egress ipBlocks")

    if redis_labels is not None:
        rnps = [n for n in by_kind.get("NetworkPolicy", []) if selects(n["spec"].get("podSelector"), redis_labels)]
        if not rnps:
            err("NetworkPolicy for the Redis pods is missing")
        admitted = False
        for n in rnps:
            for i, rule in enumerate(n["spec"].get("ingress") or []):
                where = f"NetworkPolicy {n['metadata']['name']}: ingress[{i}]"
                peers, ports = rule.get("from") or [], rule.get("ports") or []
                if not peers or not ports:
                    err(f"{where} admits {'every source' if not peers else 'every port'} to Redis")
                    continue
                bad = [j for j, peer in enumerate(peers)
                       if set(peer) != {"podSelector"} or not selects(peer["podSelector"], pod_labels)]
                for j in bad:
                    err(f"{where}: from[{j}] is not the gateway pods")
                if not bad and any(p.get("protocol", "TCP") == "TCP" and p.get("port") in (want_redis_port, "redis")
                                   for p in ports):
                    admitted = True
        if rnps and not admitted:
            err(f"NetworkPolicy: Redis does not admit the gateway pods on {want_redis_port}/TCP")
        if rnps and not any("Egress" in types(n) for n in rnps):
            err("NetworkPolicy: Redis egress is not restricted (it needs none)")
        elif any(n["spec"].get("egress") for n in rnps):
            err("NetworkPolicy: Redis may open connections (it needs none)")
    return errors


def secret_mount_of(path, volumes, mounts):
    """The mount of a Secret (or projected Secret) volume holding the file `path`, or None."""
    for m in mounts:
        base = m["mountPath"].rstrip("/") + "/"
        v = volumes.get(m["name"]) or {}
        is_secret = "secret" in v or any("secret" in src for src in (v.get("projected") or {}).get("sources") or [])
        if str(path).startswith(base) and is_secret:
            return m
    return None


def check_exposure(c, env, volumes, mounts, policy, overlay):
    """Reflection, anonymous access, secrets only as files, TLS files, buffered bytes vs memory."""
    errors = []
    err = errors.append

    reflection, where = flag_setting(c, "reflection", "KTP_REFLECTION")
    if overlay != DEV_OVERLAY and reflection != "false":
        err(f"Deployment: gRPC server reflection is on ({where or 'the default'}); set KTP_REFLECTION=false "
            f"(only {DEV_OVERLAY} may turn it on)")
    anonymous = flag_setting(c, "allow-anonymous", "KTP_ALLOW_ANONYMOUS")[0] == "true"
    auth = (policy or {}).get("auth") or {}
    if overlay != DEV_OVERLAY and (anonymous or auth.get("allow_anonymous", auth.get("allowAnonymous"))):
        err(f"Deployment: overlay {overlay} admits anonymous callers (only {DEV_OVERLAY} may)")

    # Secrets reach the gateway as files of mounted Secrets, never as variables or flags.
    for name in ("KTP_UPSTREAM_USERNAME", "KTP_UPSTREAM_PASSWORD", "KTP_UPSTREAM_API_KEY"):
        if name in env or flag_setting(c, name[4:].lower().replace("_", "-"), name)[1]:
            err(f"Deployment: {name} is set; upstream credentials come only from KTP_CREDENTIALS_DIR files")
    for e in env.values():
        if re.search(r"PASSWORD|API_KEY|SECRET|TOKEN", e["name"]) and not e["name"].endswith("_FILE") \
                and "value" in e:
            err(f"Deployment: {e['name']} holds a literal secret value")
    redis_url = (env.get("KTP_REDIS_URL") or {}).get("value") or ""
    if re.match(r"rediss?://[^/]*@", redis_url):
        err("Deployment: KTP_REDIS_URL carries credentials; use KTP_REDIS_PASSWORD_FILE")
    password_file = flag_setting(c, "redis-password-file", "KTP_REDIS_PASSWORD_FILE")[0]
    if password_file and not secret_mount_of(password_file, volumes, mounts):
        err(f"Deployment: KTP_REDIS_PASSWORD_FILE {password_file} is not inside a mounted Secret")

    # TLS on the gRPC listener: certificate and key together, all files from mounted Secrets.
    tls = {name: flag_setting(c, name[4:].lower().replace("_", "-"), name)[0] for name in TLS_ENV}
    cert, key, ca = (tls[n] for n in TLS_ENV)
    if (cert is None) != (key is None):
        err("Deployment: KTP_TLS_CERT_FILE and KTP_TLS_KEY_FILE must be set together")
    if ca and not cert:
        err("Deployment: KTP_TLS_CLIENT_CA_FILE (mTLS) without KTP_TLS_CERT_FILE")
    for name, path in tls.items():
        if path and not secret_mount_of(path, volumes, mounts):
            err(f"Deployment: {name} {path} is not inside a mounted Secret")
    if overlay == ISTIO_OVERLAY and any(tls.values()):
        err("Deployment: KTP_TLS_* under the istio overlay (the sidecar terminates mTLS; keep the port plaintext)")

    # Buffered image bytes against the memory limit.
    limit_text = ((c.get("resources") or {}).get("limits") or {}).get("memory")
    try:
        limit = parse_quantity(limit_text) if limit_text else None
    except ValueError:
        err(f"Deployment: resources.limits.memory {limit_text!r} is not a quantity")
        limit = None
    if limit:
        buffered, where = flag_setting(c, "max-buffered-bytes", "KTP_MAX_BUFFERED_BYTES")
        try:
            budget = BUFFERED_DEFAULT_FRACTION * limit if buffered is None else int(buffered)
        except ValueError:
            err(f"Deployment: {where} {buffered!r} is not a whole number of bytes")
            budget = None
        image_text = flag_setting(c, "max-image-bytes", "KTP_MAX_IMAGE_BYTES")[0]
        max_image = int(image_text) if image_text and image_text.isdigit() else MAX_IMAGE_BYTES_DEFAULT
        if budget is not None:
            if budget > BUFFERED_MAX_FRACTION * limit:
                err(f"Deployment: {where} {int(budget)} is more than {BUFFERED_MAX_FRACTION:.0%} of the memory "
                    f"limit {limit_text}")
            if budget < max_image + CALL_OVERHEAD_BYTES:
                origin = where or f"{BUFFERED_DEFAULT_FRACTION:.0%} of {limit_text}"
                err(f"Deployment: buffered bytes {int(budget)} ({origin}) are less than one call with the largest "
                    f"image ({max_image} + {CALL_OVERHEAD_BYTES} working memory): no such image could be accepted")
    return errors


def check_mesh(by_kind, tmpl, c, grpc_port, policy, overlay):
    """x-forwarded-client-cert is trusted only in the istio overlay, from loopback, behind a STRICT
    sidecar; without that overlay there is no sidecar at all."""
    errors = []
    err = errors.append
    labels = tmpl["metadata"].get("labels") or {}
    annotations = tmpl["metadata"].get("annotations") or {}
    sidecar = labels.get(SIDECAR_INJECT, annotations.get(SIDECAR_INJECT))
    auth = (policy or {}).get("auth") or {}
    trust = bool(auth.get("trust_forwarded_client_cert", auth.get("trustForwardedClientCert")))
    cidrs = auth.get("trusted_proxy_cidrs", auth.get("trustedProxyCidrs"))
    istio = overlay == ISTIO_OVERLAY

    if trust and not istio:
        err(f"ConfigMap: overlay {overlay} trusts x-forwarded-client-cert (only the {ISTIO_OVERLAY} overlay may)")
    if istio and policy is not None and not trust:
        err(f"ConfigMap: the {ISTIO_OVERLAY} overlay does not trust x-forwarded-client-cert (its purpose)")
    if trust:  # absent or empty: the gateway's default, loopback only
        for cidr in cidrs or []:
            net = cidrs_of(cidr)
            if net is None or not any(net.version == lo.version and net.subnet_of(lo) for lo in LOOPBACK_NETS):
                err(f"ConfigMap: trusted_proxy_cidrs {cidr!r} is not loopback: x-forwarded-client-cert would be "
                    "believed from peers other than the pod's own sidecar")

    if not (istio or trust):
        if sidecar != "false":
            err(f'Deployment: pod template must say {SIDECAR_INJECT}: "false" outside the {ISTIO_OVERLAY} overlay '
                "(a namespace-injected sidecar would have no route to istiod and no STRICT mTLS)")
        return errors

    if sidecar != "true":
        err(f'Deployment: {SIDECAR_INJECT} is {sidecar!r}, want "true" '
            "(x-forwarded-client-cert comes from the sidecar)")
    if str(grpc_port) in re.split(r"\s*,\s*", annotations.get("traffic.sidecar.istio.io/excludeInboundPorts", "")):
        err(f"Deployment: the grpc port {grpc_port} bypasses the sidecar (excludeInboundPorts)")
    include = annotations.get("traffic.sidecar.istio.io/includeInboundPorts")
    if include is not None and include.strip() != "*" and str(grpc_port) not in re.split(r"\s*,\s*", include):
        err(f"Deployment: the grpc port {grpc_port} is not in includeInboundPorts")

    pas = by_kind.get("PeerAuthentication", [])  # one namespace for the whole render (checked above)
    workload = [p for p in pas if ((p.get("spec") or {}).get("selector") or {}).get("matchLabels")
                and all(labels.get(k) == v for k, v in p["spec"]["selector"]["matchLabels"].items())]
    namespace_wide = [p for p in pas if not ((p.get("spec") or {}).get("selector") or {}).get("matchLabels")]
    in_force = workload or namespace_wide  # Istio: a workload policy overrides the namespace's
    if not in_force:
        err("PeerAuthentication selecting the gateway pods is missing (mTLS STRICT)")
    for p in in_force:
        name = p["metadata"]["name"]
        if p.get("apiVersion") not in ("security.istio.io/v1beta1", "security.istio.io/v1"):
            err(f"PeerAuthentication {name}: apiVersion {p.get('apiVersion')}")
        if ((p.get("spec") or {}).get("mtls") or {}).get("mode") != "STRICT":
            err(f"PeerAuthentication {name}: mtls.mode must be STRICT")
        port_mode = ((p["spec"].get("portLevelMtls") or {}).get(grpc_port)
                     or (p["spec"].get("portLevelMtls") or {}).get(str(grpc_port)) or {}).get("mode")
        if port_mode not in (None, "STRICT"):
            err(f"PeerAuthentication {name}: the grpc port {grpc_port} is {port_mode}, not STRICT")
    return errors


def check_gateway_config(text, where):
    """The access config: valid JSON whose clients and anonymous tenant name existing tenants.
    Returns (errors, parsed config or None)."""
    try:
        cfg = json.loads(text)
    except ValueError as e:
        return [f"{where}: not valid JSON: {e}"], None
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
    known_auth = {"allow_anonymous", "allowAnonymous", "anonymous_tenant", "anonymousTenant",
                  "trust_forwarded_client_cert", "trustForwardedClientCert", "trusted_proxy_cidrs", "trustedProxyCidrs"}
    if set(auth) - known_auth:
        errors.append(f"{where}: unknown auth keys {sorted(set(auth) - known_auth)}")
    anon = auth.get("anonymous_tenant", auth.get("anonymousTenant"))
    if auth.get("allow_anonymous", auth.get("allowAnonymous")) and anon not in tenants:
        errors.append(f"{where}: anonymous_tenant {anon!r} is not a tenant")
    for cidr in auth.get("trusted_proxy_cidrs", auth.get("trustedProxyCidrs")) or []:
        if cidrs_of(cidr) is None:
            errors.append(f"{where}: trusted_proxy_cidrs {cidr!r} is not a network address/prefix")
    limits = cfg.get("global_limits", cfg.get("globalLimits")) or {}
    global_cap = limits.get("max_concurrent_calls", limits.get("maxConcurrentCalls")) or 0
    for t in cfg.get("tenants") or []:
        cap = t.get("max_concurrent_calls", t.get("maxConcurrentCalls")) or 0
        if not isinstance(cap, int) or cap < 0:
            errors.append(f"{where}: tenant {t.get('name')!r} max_concurrent_calls {cap!r} is not a count")
        elif global_cap and cap > global_cap:
            errors.append(f"{where}: tenant {t.get('name')!r} may hold {cap} calls, more than the global {global_cap}")
    return errors, cfg


def access_policy(docs):
    """The gateway.json of a render (the ConfigMap that KTP_CONFIG_FILE names), parsed, or None."""
    for d in docs:
        if d and d.get("kind") == "ConfigMap" and "gateway.json" in (d.get("data") or {}):
            try:
                return json.loads(d["data"]["gateway.json"])
            except ValueError:
                return None
    return None


def same_policy(docs_a, docs_b):
    """Two overlays' access policies differ only in `auth` (prod and istio share tenants and clients)."""
    a, b = access_policy(docs_a), access_policy(docs_b)
    if a is None or b is None:
        return ["an access policy is missing or not valid JSON"]
    a.pop("auth", None)
    b.pop("auth", None)
    if a == b:
        return []
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return [f"the access policies differ outside auth, in {keys}: keep the overlays' tenants and clients the same"]


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

def selftest(renders, dockerfile):
    """Breaks one rule at a time, in the render of the overlay it concerns, and asserts that the
    checks notice. renders: {overlay: docs} with at least dev, prod and istio."""
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

    def np(d, name):
        return next(x for x in d if x and x["kind"] == "NetworkPolicy" and x["metadata"]["name"] == name)

    def drop_named(d, k, name):
        d[:] = [x for x in d if not x or x["kind"] != k or x["metadata"]["name"] != name]

    def policy(d, change):
        """Edits the gateway.json of the render: change(cfg) mutates the parsed JSON."""
        cm = next(x for x in d if x and x["kind"] == "ConfigMap" and "gateway.json" in (x.get("data") or {}))
        cfg = json.loads(cm["data"]["gateway.json"])
        change(cfg)
        cm["data"]["gateway.json"] = json.dumps(cfg)

    def auth(d, **kv):
        policy(d, lambda cfg: cfg.setdefault("auth", {}).update(kv))

    def pod_meta(d, field, key, value):
        gw(d)["spec"]["template"]["metadata"].setdefault(field, {})[key] = value

    def peer_auth(d):
        return kind(d, "PeerAuthentication")

    glair_dir = "/etc/ktp-gateway/glair"  # a Secret mount: TLS files there are "in a Secret"

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
        # Network exposure.
        "grpc from every namespace": lambda d: set_in(np(d, GATEWAY)["spec"]["ingress"][0], ["from"],
                                                      [{"namespaceSelector": {}}]),
        "grpc from every source": lambda d: np(d, GATEWAY)["spec"]["ingress"][0].pop("from"),
        "grpc from the own namespace": lambda d: set_in(np(d, GATEWAY)["spec"]["ingress"][0], ["from"],
                                                        [{"podSelector": {}}]),
        "grpc from an ipBlock": lambda d: np(d, GATEWAY)["spec"]["ingress"][0]["from"].append(
            {"ipBlock": {"cidr": "10.0.0.0/8"}}),
        "metrics from another namespace": lambda d: set_in(np(d, GATEWAY)["spec"]["ingress"][1], ["from"], [
            {"namespaceSelector": {"matchLabels": {NS_NAME_LABEL: "default"}}}]),
        "monitoring reaches grpc": lambda d: np(d, GATEWAY)["spec"]["ingress"][1]["ports"].append(
            {"protocol": "TCP", "port": GRPC_PORT_NAME}),
        "ingress port range": lambda d: set_in(np(d, GATEWAY)["spec"]["ingress"][0]["ports"][0], ["endPort"], 60000),
        "no ingress policy type": lambda d: [set_in(n["spec"], ["policyTypes"], ["Egress"])
                                             for n in d if n and n["kind"] == "NetworkPolicy"],
        "no egress policy type": lambda d: [set_in(n["spec"], ["policyTypes"], ["Ingress"])
                                            for n in d if n and n["kind"] == "NetworkPolicy"
                                            and n["metadata"]["name"].startswith(GATEWAY)],
        "egress port range": lambda d: set_in(np(d, GATEWAY + "-upstream")["spec"]["egress"][0]["ports"][0],
                                              ["endPort"], 8443),
        "egress allow-all rule": lambda d: np(d, GATEWAY)["spec"]["egress"].append({}),
        "egress to every destination": lambda d: np(d, GATEWAY + "-upstream")["spec"]["egress"][0].pop("to"),
        "egress on every port": lambda d: np(d, GATEWAY + "-upstream")["spec"]["egress"][0].pop("ports"),
        "HTTPS to 0.0.0.0/0": lambda d: set_in(np(d, GATEWAY + "-upstream")["spec"]["egress"][0], ["to"],
                                               [{"ipBlock": {"cidr": "0.0.0.0/0"}}]),
        "HTTPS to a namespace": lambda d: set_in(np(d, GATEWAY + "-upstream")["spec"]["egress"][0], ["to"],
                                                 [{"namespaceSelector": {}}]),
        "HTTPS ipBlock not a CIDR": lambda d: set_in(np(d, GATEWAY + "-upstream")["spec"]["egress"][0], ["to"],
                                                     [{"ipBlock": {"cidr": "api.vision.glair.ai"}}]),
        "no HTTPS egress": lambda d: drop_named(d, "NetworkPolicy", GATEWAY + "-upstream"),
        "egress on another port": lambda d: np(d, GATEWAY)["spec"]["egress"].append(
            {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"protocol": "TCP", "port": 80}]}),
        "DNS to every pod of kube-system": lambda d: np(d, GATEWAY)["spec"]["egress"][0]["to"][0].pop("podSelector"),
        "DNS to every namespace": lambda d: np(d, GATEWAY)["spec"]["egress"][0]["to"][0].pop("namespaceSelector"),
        "DNS over TCP only": lambda d: set_in(np(d, GATEWAY)["spec"]["egress"][0], ["ports"],
                                              [{"protocol": "TCP", "port": 53}]),
        "no Redis egress": lambda d: drop_named(d, "NetworkPolicy", GATEWAY + "-redis"),
        "Redis egress to other pods": lambda d: set_in(np(d, GATEWAY + "-redis")["spec"]["egress"][0], ["to"],
                                                       [{"podSelector": {"matchLabels": {"app": "other"}}}]),
        "Redis egress on another port": lambda d: set_in(np(d, GATEWAY + "-redis")["spec"]["egress"][0]["ports"][0],
                                                         ["port"], 6380),
        "Redis admits every source": lambda d: np(d, REDIS)["spec"]["ingress"][0].pop("from"),
        "Redis admits other pods": lambda d: np(d, REDIS)["spec"]["ingress"][0]["from"].append(
            {"podSelector": {"matchLabels": {"app": "other"}}}),
        "Redis admits the gateway elsewhere": lambda d: set_in(np(d, REDIS)["spec"]["ingress"][0]["ports"][0],
                                                               ["port"], 6380),
        "no Redis NetworkPolicy": lambda d: drop_named(d, "NetworkPolicy", REDIS),
        "Redis may reach out": lambda d: set_in(np(d, REDIS)["spec"], ["egress"], [{}]),
        "Redis egress unrestricted": lambda d: set_in(np(d, REDIS)["spec"], ["policyTypes"], ["Ingress"]),
        # Mesh, identity, secrets, bounds.
        "sidecar outside the istio overlay": lambda d: pod_meta(d, "labels", SIDECAR_INJECT, "true"),
        "sidecar left to the namespace": lambda d: gw(d)["spec"]["template"]["metadata"]["labels"].pop(SIDECAR_INJECT),
        "XFCC trusted in dev": lambda d: auth(d, trust_forwarded_client_cert=True),
        "XFCC trusted (camelCase) in dev": lambda d: auth(d, trustForwardedClientCert=True),
        "unknown auth key": lambda d: auth(d, trust_xfcc=True),
        "proxy CIDR not a CIDR": lambda d: auth(d, trusted_proxy_cidrs=["localhost"]),
        "tenant cap negative": lambda d: policy(d, lambda cfg: cfg["tenants"][0].update(max_concurrent_calls=-1)),
        "tenant cap above the global cap": lambda d: policy(
            d, lambda cfg: cfg["tenants"][0].update(max_concurrent_calls=10 ** 6)),
        "upstream password in env": lambda d: env(d, "KTP_UPSTREAM_PASSWORD", "hunter2"),
        "upstream key from a secretKeyRef": lambda d: ctr(d)["env"].append(
            {"name": "KTP_UPSTREAM_API_KEY", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "api_key"}}}),
        "a literal secret": lambda d: env(d, "KTP_REDIS_PASSWORD", "hunter2"),
        "TLS cert outside a Secret": lambda d: (env(d, "KTP_TLS_CERT_FILE", "/etc/tls/tls.crt"),
                                                env(d, "KTP_TLS_KEY_FILE", "/etc/tls/tls.key")),
        "TLS key missing": lambda d: env(d, "KTP_TLS_CERT_FILE", glair_dir + "/tls.crt"),
        "TLS with gRPC probes": lambda d: (env(d, "KTP_TLS_CERT_FILE", glair_dir + "/tls.crt"),
                                           env(d, "KTP_TLS_KEY_FILE", glair_dir + "/tls.key")),
        "TLS probes on another port": lambda d: (
            env(d, "KTP_TLS_CERT_FILE", glair_dir + "/tls.crt"), env(d, "KTP_TLS_KEY_FILE", glair_dir + "/tls.key"),
            [set_in(ctr(d), [p], {"tcpSocket": {"port": 9090}})
             for p in ("startupProbe", "readinessProbe", "livenessProbe")]),
        "TLS client CA without cert": lambda d: env(d, "KTP_TLS_CLIENT_CA_FILE", glair_dir + "/ca.crt"),
        "buffered bytes over half the memory": lambda d: env(d, "KTP_MAX_BUFFERED_BYTES", str(200 << 20)),
        "buffered bytes below one image": lambda d: env(d, "KTP_MAX_BUFFERED_BYTES", str(1 << 20)),
        "buffered bytes of one image, no room for its call": lambda d: env(
            d, "KTP_MAX_BUFFERED_BYTES", str(MAX_IMAGE_BYTES_DEFAULT)),
        "buffered bytes not a number": lambda d: env(d, "KTP_MAX_BUFFERED_BYTES", "200Mi"),
    }
    prod_mutations = {
        "reflection on in prod": lambda d: env(d, "KTP_REFLECTION", "true"),
        "reflection on by flag": lambda d: set_in(ctr(d), ["args"], ["--reflection=true"]),
        "reflection left to the default": lambda d: set_in(
            ctr(d), ["env"], [e for e in ctr(d)["env"] if e["name"] != "KTP_REFLECTION"]),
        "XFCC trusted in prod": lambda d: auth(d, trust_forwarded_client_cert=True,
                                               trusted_proxy_cidrs=["127.0.0.0/8"]),
        "anonymous callers in prod": lambda d: auth(d, allow_anonymous=True, anonymous_tenant="payments"),
        "anonymous by flag in prod": lambda d: env(d, "KTP_ALLOW_ANONYMOUS", "true"),
        "Redis password in the URL": lambda d: env(d, "KTP_REDIS_URL", "redis://:hunter2@198.51.100.10:6379/0"),
        "Redis password file outside a Secret": lambda d: env(d, "KTP_REDIS_PASSWORD_FILE", "/tmp/redis-password"),
        "Redis address outside its ipBlock": lambda d: env(d, "KTP_REDIS_URL", "redis://10.1.2.3:6379/0"),
        "prod Redis egress to absent pods": lambda d: set_in(np(d, GATEWAY + "-redis")["spec"]["egress"][0], ["to"],
                                                             [{"podSelector": {"matchLabels": {
                                                                 "app.kubernetes.io/name": REDIS}}}]),
        "Redis ipBlock too wide": lambda d: set_in(np(d, GATEWAY + "-redis")["spec"]["egress"][0]["to"][0],
                                                   ["ipBlock"], {"cidr": "10.0.0.0/8"}),
        "memory limit below two images": lambda d: set_in(ctr(d)["resources"]["limits"], ["memory"], "16Mi"),
        "istiod egress without a sidecar": lambda d: d.append(copy.deepcopy(np(renders[ISTIO_OVERLAY],
                                                                               GATEWAY + "-istiod"))),
    }
    istio_mutations = {
        "PeerAuthentication PERMISSIVE": lambda d: set_in(peer_auth(d)["spec"]["mtls"], ["mode"], "PERMISSIVE"),
        "PeerAuthentication selects nothing": lambda d: set_in(peer_auth(d)["spec"]["selector"], ["matchLabels"],
                                                               {"app": "other"}),
        "no PeerAuthentication": lambda d: drop(d, "PeerAuthentication"),
        "PeerAuthentication v1alpha1": lambda d: set_in(peer_auth(d), ["apiVersion"],
                                                        "authentication.istio.io/v1alpha1"),
        "namespace-wide PERMISSIVE only": lambda d: (peer_auth(d)["spec"].pop("selector"),
                                                     set_in(peer_auth(d)["spec"]["mtls"], ["mode"], "PERMISSIVE")),
        "grpc port PERMISSIVE": lambda d: set_in(peer_auth(d)["spec"], ["portLevelMtls"],
                                                 {50051: {"mode": "PERMISSIVE"}}),
        "XFCC from anywhere": lambda d: auth(d, trusted_proxy_cidrs=["0.0.0.0/0"]),
        "XFCC from the pod network": lambda d: auth(d, trusted_proxy_cidrs=["127.0.0.0/8", "10.0.0.0/8"]),
        "istio overlay without XFCC": lambda d: auth(d, trust_forwarded_client_cert=False),
        "no sidecar": lambda d: pod_meta(d, "labels", SIDECAR_INJECT, "false"),
        "grpc port bypasses the sidecar": lambda d: pod_meta(d, "annotations",
                                                             "traffic.sidecar.istio.io/excludeInboundPorts",
                                                             "9090,50051"),
        "grpc port not intercepted": lambda d: pod_meta(d, "annotations",
                                                        "traffic.sidecar.istio.io/includeInboundPorts", "8080"),
        "no istiod egress": lambda d: drop_named(d, "NetworkPolicy", GATEWAY + "-istiod"),
        "istiod egress to every namespace": lambda d: set_in(np(d, GATEWAY + "-istiod")["spec"]["egress"][0],
                                                             ["to"], [{"namespaceSelector": {}}]),
        "TLS listener behind the sidecar": lambda d: (env(d, "KTP_TLS_CERT_FILE", glair_dir + "/tls.crt"),
                                                      env(d, "KTP_TLS_KEY_FILE", glair_dir + "/tls.key")),
        "reflection on in istio": lambda d: env(d, "KTP_REFLECTION", "true"),
    }
    failures = []
    for overlay in (DEV_OVERLAY, "prod", ISTIO_OVERLAY):
        if overlay not in renders:
            failures.append(f"no render of overlay {overlay} to break")
            continue
        unmodified = check_manifests(copy.deepcopy(renders[overlay]), overlay, dockerfile)
        if unmodified:
            failures.append(f"the unmodified {overlay} render does not pass: " + "; ".join(unmodified))
    cases = ([(DEV_OVERLAY, n, f) for n, f in mutations.items()] + [("prod", n, f) for n, f in prod_mutations.items()]
             + [(ISTIO_OVERLAY, n, f) for n, f in istio_mutations.items()])
    for overlay, name, mutate in cases:
        if overlay not in renders:
            continue
        broken = copy.deepcopy(renders[overlay])
        mutate(broken)
        if broken == renders[overlay]:
            failures.append(f"mutation {name!r} changed nothing in {overlay} (update the self-test)")
        elif not check_manifests(broken, overlay, dockerfile):
            failures.append(f"manifest check missed: {name} ({overlay})")
    policy_a = copy.deepcopy(renders.get("prod", []))
    policy(policy_a, lambda cfg: cfg["tenants"][0].update(max_concurrent_calls=1))
    if same_policy(renders.get("prod", []), renders.get(ISTIO_OVERLAY, [])) or not same_policy(
            policy_a, renders.get(ISTIO_OVERLAY, [])):
        failures.append("same-policy check: prod and istio must agree, and a changed tenant must not")
    cases.append(("prod", "istio tenants drift", None))
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
    return failures, len(cases) + len(df_mutations) + len(metric_cases)


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
        for note in dict.fromkeys(NOTES):
            print(f"note: overlay {args[1]}: {note}")
    elif cmd == "same-policy":
        errors = same_policy(list(yaml.safe_load_all(open(args[0]))), list(yaml.safe_load_all(open(args[1]))))
        ok_msg = f"{args[0]} and {args[1]}: same tenants, clients and limits"
    elif cmd == "selftest":
        renders = {}
        for arg in args[1:]:
            overlay, _, path = arg.partition("=")
            renders[overlay] = list(yaml.safe_load_all(open(path)))
        errors, n = selftest(renders, args[0])
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
