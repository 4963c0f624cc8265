#!/usr/bin/env python3
"""Helpers for scripts/serving_cost_bench.sh (stdlib only).

  serving_cost.py freeport                      print a free loopback TCP port
  serving_cost.py bodies IMAGE KB OUTDIR        write OUTDIR/multipart.body (+ .boundary) and
                                                OUTDIR/grpc.body: the image padded to KB KiB, as a
                                                multipart/form-data part "image" and as pre-framed
                                                gRPC ktp.v1.ReadRequest messages (metadata, then
                                                64 KiB chunks)
  serving_cost.py nginx-return JSONFILE         the JSON as an nginx single-quoted string
  serving_cost.py cpu PID...                    utime+stime (clock ticks) summed over the pids
  serving_cost.py h2load-stats OUT LOG          one JSON line: calls/s, done, 2xx, p50/p99/p99.9 ms
  serving_cost.py metrics URL                   one JSON line: gRPC calls by code, document statuses,
                                                in-flight gauge (from the gateway's /metrics)
  serving_cost.py watch PID SECONDS URL N       sample RSS/threads of PID and the in-flight gauge
                                                until SECONDS pass; one JSON line with peaks
  serving_cost.py report RESULTS.jsonl          the markdown tables and target checks
The image bytes are synthetic (samples/); nothing here prints image content.
"""
import json
import os
import re
import socket
import statistics
import sys
import time
import urllib.request

CHUNK = 64 * 1024


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(number, payload):
    return varint((number << 3) | 2) + varint(len(payload)) + payload


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def grpc_frame(message):
    return b"\x00" + len(message).to_bytes(4, "big") + message


def cmd_freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def cmd_bodies(image_path, kb, outdir):
    with open(image_path, "rb") as f:
        image = f.read()
    size = int(kb) * 1024
    if len(image) < size:
        image += b"\x00" * (size - len(image))  # after IEND/EOI: decoders ignore it
    else:
        image = image[:size]
    ext = "png" if image.startswith(b"\x89PNG") else "jpg"
    mime = "image/png" if ext == "png" else "image/jpeg"
    boundary = "------------------------ktpbench7d2f9a41c3"
    head = ("--%s\r\nContent-Disposition: form-data; name=\"image\"; filename=\"bench.%s\"\r\n"
            "Content-Type: %s\r\n\r\n" % (boundary, ext, mime)).encode()
    tail = ("\r\n--%s--\r\n" % boundary).encode()
    with open(os.path.join(outdir, "multipart.body"), "wb") as f:
        f.write(head + image + tail)
    with open(os.path.join(outdir, "multipart.boundary"), "w") as f:
        f.write(boundary)
    # ktp.v1.ReadRequest: metadata = 1 (ImageMetadata: file_name 1, mime_type 2, size_bytes 3),
    # chunk = 2 (bytes).
    metadata = (field_bytes(1, ("bench." + ext).encode()) + field_bytes(2, mime.encode())
                + field_varint(3, len(image)))
    body = bytearray(grpc_frame(field_bytes(1, metadata)))
    for off in range(0, len(image), CHUNK):
        body += grpc_frame(field_bytes(2, image[off:off + CHUNK]))
    with open(os.path.join(outdir, "grpc.body"), "wb") as f:
        f.write(body)
    with open(os.path.join(outdir, "metadata.msg"), "wb") as f:
        f.write(field_bytes(1, metadata))  # for a protoc --decode sanity check


def cmd_nginx_return(path):
    with open(path) as f:
        text = json.dumps(json.load(f), separators=(",", ":"))
    if "$" in text:
        raise SystemExit("canned JSON contains '$' (nginx would expand it)")
    print("'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'")


def ticks(pid):
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def cmd_cpu(pids):
    print(sum(ticks(p) for p in pids))


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, int(round(p * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def cmd_h2load_stats(out_path, log_path):
    with open(out_path) as f:
        out = f.read()
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", out)
    s = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    t = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
    if not (m and s and t):
        raise SystemExit("cannot parse h2load output %s" % out_path)
    lat = []
    with open(log_path) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) >= 3 and parts[1].startswith("2"):
                lat.append(int(parts[2]) / 1000.0)
    lat.sort()
    print(json.dumps({
        "done": int(m.group(3)), "succeeded": int(m.group(4)), "failed": int(m.group(5)),
        "errored": int(m.group(6)), "s2xx": int(s.group(1)),
        "non2xx": int(s.group(2)) + int(s.group(3)) + int(s.group(4)),
        "rps": float(t.group(3)), "samples": len(lat),
        "p50": percentile(lat, 0.50), "p99": percentile(lat, 0.99), "p999": percentile(lat, 0.999),
        "mean": statistics.fmean(lat) if lat else 0.0,
    }))


def scrape(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        text = r.read().decode()
    codes, statuses, inflight = {}, {}, 0.0
    for line in text.splitlines():
        if line.startswith("grpc_server_handled_total{"):
            code = re.search(r'grpc_code="([A-Z_]+)"', line).group(1)
            codes[code] = codes.get(code, 0) + float(line.rsplit(" ", 1)[1])
        elif line.startswith("ktp_gateway_document_status_total{"):
            st = re.search(r'status="([A-Z_]+)"', line).group(1)
            statuses[st] = statuses.get(st, 0) + float(line.rsplit(" ", 1)[1])
        elif line.startswith("ktp_gateway_inflight_calls"):
            inflight = float(line.rsplit(" ", 1)[1])
    return {"codes": codes, "statuses": statuses, "inflight": inflight}


def cmd_metrics(url):
    print(json.dumps(scrape(url)))


def proc_status(pid):
    rss = threads = 0
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def cmd_watch(pid, seconds, url, want):
    """Peaks of RSS (KiB), threads and the in-flight gauge; RSS/threads at the moment the gauge
    first reached its peak (all calls held)."""
    end = time.time() + float(seconds)
    want = int(want)
    peak = {"rss_kb": 0, "threads": 0, "inflight": 0, "rss_at_full_kb": 0, "threads_at_full": 0,
            "full_at_s": None}
    t0 = time.time()
    while time.time() < end:
        try:
            rss, threads = proc_status(pid)
        except OSError:
            break
        try:
            inflight = int(scrape(url)["inflight"]) if url != "-" else -1  # "-": no metrics
        except Exception:  # the metrics endpoint may be busy; keep sampling /proc
            inflight = -1
        peak["rss_kb"] = max(peak["rss_kb"], rss)
        peak["threads"] = max(peak["threads"], threads)
        if inflight > peak["inflight"]:
            peak["inflight"] = inflight
        if inflight >= want:
            if peak["full_at_s"] is None:
                peak["full_at_s"] = round(time.time() - t0, 2)
            # While every call is held: the largest RSS seen (buffers settle over a few samples).
            peak["rss_at_full_kb"] = max(peak["rss_at_full_kb"], rss)
            peak["threads_at_full"] = max(peak["threads_at_full"], threads)
        elif peak["full_at_s"] is not None and inflight >= 0:
            break  # calls are finishing: the hold is over
        time.sleep(0.1)
    print(json.dumps(peak))


# ---------------------------------------------------------------------------------------------
def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, nd=0):
    if v is None:
        return "—"
    if nd == 0:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, nd)


def cmd_report(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    info = next((r for r in rows if r.get("kind") == "info"), {})
    runs = [r for r in rows if r.get("kind") == "run"]
    mem = next((r for r in rows if r.get("kind") == "memory" and r.get("gw", "gateway") == "gateway"), None)
    slow = next((r for r in rows if r.get("kind") == "slow" and r.get("gw", "gateway") == "gateway"), None)
    mem_b = next((r for r in rows if r.get("kind") == "memory" and r.get("gw") == "gateway_b"), None)
    mem_floor = next((r for r in rows if r.get("kind") == "memory" and r.get("gw") == "floor"), None)
    mem_floor_raw = next((r for r in rows if r.get("kind") == "memory" and r.get("gw") == "floor_raw"), None)
    slow_b = next((r for r in rows if r.get("kind") == "slow" and r.get("gw") == "gateway_b"), None)
    cases = [("direct", "direct to the upstream (nginx, canned JSON)"),
             ("proxy", "nginx as a plain reverse proxy in front of it"),
             ("gateway", "ktp-gateway in front of it")]
    if any(r["case"] == "gateway_b" for r in runs):
        cases.append(("gateway_b", "ktp-gateway B (KTP_GATEWAY_BIN_B) in front of it"))
    if any(r["case"] == "floor" for r in runs):
        cases.append(("floor", "floor: a bare gRPC server receiving the upload, canned answer"))
    if any(r["case"] == "floor_raw" for r in runs):
        cases.append(("floor_raw", "floor, Read as a raw ByteBuffer method (no protobuf parse)"))
    conc = info.get("concurrency", 64)

    def pick(case, c, key):
        return [r[key] for r in runs if r["case"] == case and r["conc"] == c and r.get(key) is not None]

    m = {}
    for case, _ in cases:
        for c in (conc, 1):
            for key in ("rps", "p50", "p99", "p999", "cpu_us_per_call"):
                m[(case, c, key)] = med(pick(case, c, key))
    rounds = info.get("rounds", 0)
    print("### Serving cost, one run (%s)\n" % info.get("when", ""))
    print("%s; image %s KiB; %s interleaved round(s) per case, medians; h2load %s; "
          "%s s per measurement at %d concurrent calls, %s s at 1.\n"
          % (info.get("machine", ""), info.get("image_kb"), rounds, info.get("h2load", ""),
             info.get("duration"), conc, info.get("lat_duration")))
    print("| path, %d concurrent calls | calls/s | p50 ms | p99 ms | p99.9 ms | CPU µs per call in the hop |" % conc)
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for case, label in cases:
        cpu = m[(case, conc, "cpu_us_per_call")]
        print("| %s | %s | %s | %s | %s | %s |" % (
            label, fmt(m[(case, conc, "rps")]), fmt(m[(case, conc, "p50")], 1),
            fmt(m[(case, conc, "p99")], 1), fmt(m[(case, conc, "p999")], 1),
            "—" if case == "direct" else fmt(cpu)))
    print()
    print("| path, 1 concurrent call | calls/s | p50 ms | p99 ms | p99.9 ms | added p50 ms | added p99 ms | CPU µs per call in the hop |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    added = {}
    for case, label in cases:
        # Added latency per round (same round, adjacent runs), then the median.
        per_round = []
        for rnd in range(rounds):
            d = [r for r in runs if r["case"] == "direct" and r["conc"] == 1 and r["round"] == rnd]
            h = [r for r in runs if r["case"] == case and r["conc"] == 1 and r["round"] == rnd]
            if d and h:
                per_round.append((h[0]["p50"] - d[0]["p50"], h[0]["p99"] - d[0]["p99"]))
        a50 = med([x[0] for x in per_round])
        a99 = med([x[1] for x in per_round])
        added[case] = (a50, a99)
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, fmt(m[(case, 1, "rps")]), fmt(m[(case, 1, "p50")], 2), fmt(m[(case, 1, "p99")], 2),
            fmt(m[(case, 1, "p999")], 2),
            "—" if case == "direct" else fmt(a50, 2), "—" if case == "direct" else fmt(a99, 2),
            "—" if case == "direct" else fmt(m[(case, 1, "cpu_us_per_call")])))
    print()

    # Ratios per round, then medians (and the spread across rounds).
    def ratio_rounds(num_case, den_case, key, c):
        out = []
        for rnd in range(rounds):
            n = [r[key] for r in runs if r["case"] == num_case and r["conc"] == c and r["round"] == rnd]
            d = [r[key] for r in runs if r["case"] == den_case and r["conc"] == c and r["round"] == rnd]
            if n and d and d[0]:
                out.append(n[0] / d[0])
        return out

    cpu_ratio = ratio_rounds("gateway", "proxy", "cpu_us_per_call", conc)
    tput_ratio = ratio_rounds("gateway", "direct", "rps", conc)
    proxy_tput = ratio_rounds("proxy", "direct", "rps", conc)

    def span(v, nd=2):
        if not v:
            return "—"
        return "%s (rounds %s–%s)" % (fmt(med(v), nd), fmt(min(v), nd), fmt(max(v), nd))

    print("| ratio | value |")
    print("| --- | --- |")
    print("| gateway CPU per call ÷ nginx proxy CPU per call (%d calls) | %s |" % (conc, span(cpu_ratio)))
    print("| gateway calls/s ÷ direct calls/s (%d calls) | %s |" % (conc, span(tput_ratio)))
    print("| nginx proxy calls/s ÷ direct calls/s (%d calls) | %s |" % (conc, span(proxy_tput)))
    print("| added at 1 call, gateway: p50 / p99 ms | %s / %s |" % (fmt(added["gateway"][0], 2), fmt(added["gateway"][1], 2)))
    print("| added at 1 call, nginx proxy: p50 / p99 ms | %s / %s |" % (fmt(added["proxy"][0], 2), fmt(added["proxy"][1], 2)))
    if "gateway_b" in added:
        print("| B: gateway_b CPU per call ÷ nginx proxy CPU per call (%d calls) | %s |" % (
            conc, span(ratio_rounds("gateway_b", "proxy", "cpu_us_per_call", conc))))
        print("| B: gateway_b CPU per call ÷ gateway CPU per call (%d calls; 1 call) | %s; %s |" % (
            conc, span(ratio_rounds("gateway_b", "gateway", "cpu_us_per_call", conc), 3),
            span(ratio_rounds("gateway_b", "gateway", "cpu_us_per_call", 1), 3)))
        print("| B: gateway_b calls/s ÷ gateway calls/s (%d calls) | %s |" % (
            conc, span(ratio_rounds("gateway_b", "gateway", "rps", conc), 3)))
        print("| B: added at 1 call, gateway_b: p50 / p99 ms | %s / %s |" % (
            fmt(added["gateway_b"][0], 2), fmt(added["gateway_b"][1], 2)))
    if "floor" in added:
        # The floor is the gRPC receive alone: the gateway cannot cost less than it with this gRPC.
        print("| floor: bare gRPC server CPU per call ÷ nginx proxy CPU per call (%d calls) | %s |" % (
            conc, span(ratio_rounds("floor", "proxy", "cpu_us_per_call", conc))))
        print("| floor: gateway CPU per call ÷ bare gRPC server CPU per call (%d calls) | %s |" % (
            conc, span(ratio_rounds("gateway", "floor", "cpu_us_per_call", conc))))
        print("| floor: bare gRPC server calls/s ÷ direct calls/s (%d calls) | %s |" % (
            conc, span(ratio_rounds("floor", "direct", "rps", conc))))
        print("| floor: added at 1 call, bare gRPC server: p50 / p99 ms | %s / %s |" % (
            fmt(added["floor"][0], 2), fmt(added["floor"][1], 2)))
    if "floor_raw" in added:
        print("| floor: raw-method server CPU per call ÷ bare gRPC server CPU per call (%d calls) | %s |" % (
            conc, span(ratio_rounds("floor_raw", "floor", "cpu_us_per_call", conc), 3)))
    for label, mrow in (("", mem), ("B: ", mem_b), ("floor: ", mem_floor), ("floor, raw method: ", mem_floor_raw)):
        if mrow:
            print("| %sRSS per in-flight call, %d uploads of %d KiB held | %s image sizes (%s MiB over idle %s MiB; %d/%d in flight; %d threads) |" % (
                label, mrow["calls"], mrow["image_kb"], fmt(mrow["per_call_images"], 2),
                fmt(mrow["growth_kb"] / 1024.0, 1), fmt(mrow["idle_kb"] / 1024.0, 1), mrow["inflight"],
                mrow["calls"], mrow["threads"]))
    for label, srow in (("", slow), ("B: ", slow_b)):
        if srow:
            print("| %s%d slow calls of %d KiB (budget %s MiB): peak in flight / threads / RSS growth / CPU | %d / %d / %s MiB (%s KiB per call; images %s MiB) / %s µs per call |" % (
                label, srow["calls"], srow["image_kb"], fmt(srow["budget_bytes"] / 2**20), srow["inflight"],
                srow["threads"], fmt(srow["growth_kb"] / 1024.0, 1),
                fmt(srow["growth_kb"] / max(1, srow["inflight"]), 1), fmt(srow["calls"] * srow["image_kb"] / 1024.0, 1),
                fmt(srow.get("cpu_us_per_call"))))
    print()

    def check(name, ok, value):
        print("| %s | %s | %s |" % (name, "PASS" if ok else ("FAIL" if ok is not None else "n/a"), value))

    print("| target (issue 14) | result | measured |")
    print("| --- | --- | --- |")
    cr = med(cpu_ratio)
    check("gateway CPU per call ≤ 1.5× the nginx proxy's", None if cr is None else cr <= 1.5, fmt(cr, 2) + "×")
    tr = med(tput_ratio)
    check("throughput ≥ 0.8 of direct at %d calls" % conc, None if tr is None else tr >= 0.8, fmt(tr, 2))
    a50, a99 = added["gateway"]
    check("≤ 0.3 ms added at p50, 1 call", None if a50 is None else a50 <= 0.3, fmt(a50, 2) + " ms")
    check("≤ 1 ms added at p99, 1 call", None if a99 is None else a99 <= 1.0, fmt(a99, 2) + " ms")
    if mem:
        check("≤ 1.2 image sizes resident per in-flight call", mem["per_call_images"] <= 1.2,
              fmt(mem["per_call_images"], 2))
    if slow:
        held_all = slow["inflight"] >= slow["calls"]
        # The budget counts each call's working memory too: RSS growth must stay inside it.
        ok = held_all and slow["threads"] < 32 and slow["growth_kb"] * 1024 <= slow["budget_bytes"]
        check("%d slow calls in flight on < 32 threads, RSS growth within the byte budget" % slow["calls"], ok,
              "%d in flight, %d threads, %s MiB growth vs %s MiB budget" % (
                  slow["inflight"], slow["threads"], fmt(slow["growth_kb"] / 1024.0, 1),
                  fmt(slow["budget_bytes"] / 2**20)))


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"freeport": cmd_freeport, "bodies": cmd_bodies, "nginx-return": cmd_nginx_return,
     "cpu": lambda *p: cmd_cpu(p), "h2load-stats": cmd_h2load_stats, "metrics": cmd_metrics,
     "watch": cmd_watch, "report": cmd_report}[cmd](*args)


if __name__ == "__main__":
    main()
