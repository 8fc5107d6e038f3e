#!/usr/bin/env python3
"""The report of scripts/bench.sh: reads its raw folder (wrk outputs, bench JSON, RSS samples) and writes
the results JSON and the Markdown tables (docs/performance.md quotes them).
usage: bench_report.py RAW_DIR OUT_JSON OUT_MD"""
import json, os, re, sys, glob
raw, out_json, out_md = sys.argv[1:4]

def kv(path):
    d = {}
    if not os.path.exists(path): return d
    for tok in open(path).read().split("\n"):
        for part in ([tok] if tok.count("=") == 1 and " " not in tok.split("=")[0] else tok.split()):
            if "=" in part:
                k, v = part.split("=", 1)
                d[k] = v
    return d

def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    v = float(m.group(1))
    return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]

def parse_wrk(path):
    t = open(path).read()
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", t)
    r["rps"] = float(m.group(1)) if m else None
    for q in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % q, t, re.M)
        r["p%s_ms" % q] = ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", t)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    non2xx = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    sock = sum(int(x) for x in m.groups()) if m else 0
    r["errors"] = non2xx + sock
    r["non2xx"] = non2xx
    r["socket_errors"] = sock
    return r

machine = kv(os.path.join(raw, "machine.txt"))
res = {"machine": machine}
for name in ("features", "inference_t1", "inference_t2", "training_pair"):
    p = os.path.join(raw, name + ".json")
    if os.path.exists(p): res[name] = json.load(open(p))

def train_table(name):
    p = os.path.join(raw, name + ".txt")
    if not os.path.exists(p): return None
    rows = []
    for line in open(p):
        f = line.split()
        if len(f) == 11 and f[1] in ("lstm", "gru", "cnn", "transformer"):
            rows.append({"pair": f[0], "model": f[1], "test_acc": float(f[2]), "brier": float(f[3]),
                         "auc": float(f[4]), "base_brier": float(f[6]), "epochs": int(f[7]),
                         "best_epoch": int(f[8]), "seconds": float(f[9])})
    t = kv(os.path.join(raw, name + ".time"))
    return {"models": rows, "wall_s": float(t.get("wall", "nan")), "peak_rss_mib": int(t.get("peak_kib", 0)) / 1024,
            "load": t.get("load")}
for name in ("train1440", "train20000", "train_serving"):
    t = train_table(name)
    if t: res[name] = t

http = []
for p in sorted(glob.glob(os.path.join(raw, "http_*.wrk"))):
    name = os.path.basename(p)[:-4]
    meta = kv(p[:-4] + ".meta")
    r = parse_wrk(p)
    probes = []
    if os.path.exists(p[:-4] + ".probe"):
        for line in open(p[:-4] + ".probe"):
            f = line.split()
            if len(f) == 2: probes.append((f[0], float(f[1]) * 1000))
    cfg = next(c for c in ("default", "threads64", "ceiling") if name.startswith("http_" + c))
    r.update({"name": name, "path": meta.get("path"), "connections": int(meta.get("conns", 0)),
              "config": cfg, "training": "_training_" in name, "idle_reference": "_idle_" in name,
              "repeat": int(meta.get("repeat", 1)),
              "new_connection_ms": {"median": sorted(t for _, t in probes)[len(probes) // 2] if probes else None,
                                    "max": max((t for _, t in probes), default=None),
                                    "non200": sum(1 for c, _ in probes if c != "200")},
              "load_before": meta.get("load_before"), "load_after": meta.get("load_after"),
              "rss_mib": int(meta.get("rss_kib", 0)) / 1024})
    http.append(r)
res["http"] = http

# tbml against the ceiling (issue #13): each ratio from two wrk runs made one after the other.
goals = {"/api/predictions/BTC": {"rps_ratio_min": 0.8, "p99_ratio_max": 1.5},
         "/api/predictions": {"rps_ratio_min": 0.5}}
def run_of(config, path, conns, repeat):
    return next((h for h in http if h["config"] == config and h["path"] == path and h["connections"] == conns
                 and h["repeat"] == repeat and not h["training"] and not h["idle_reference"]), None)
def ratio(a, b): return a / b if a is not None and b else None
def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs: return None
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
comparison = []
keys = sorted({(h["path"], h["connections"]) for h in http if h["config"] == "ceiling"})
for path, conns in keys:
    pairs = []
    for c in sorted((h for h in http if h["config"] == "ceiling" and h["path"] == path and h["connections"] == conns),
                    key=lambda h: h["repeat"]):
        t = run_of("default", path, conns, c["repeat"])
        if t is not None: pairs.append((c, t))
    if not pairs: continue
    body = kv(os.path.join(raw, "ceiling%s.body" % path.replace("/", "_").replace(":", "_")))
    rps_ratios = [ratio(t["rps"], c["rps"]) for c, t in pairs]
    p99_ratios = [ratio(t["p99_ms"], c["p99_ms"]) for c, t in pairs]
    known = lambda xs: [x for x in xs if x is not None]
    row = {"path": path, "connections": conns, "body_bytes": int(body.get("body_bytes", 0)), "pairs": len(pairs),
           "ceiling_rps": median(c["rps"] for c, _ in pairs), "tbml_rps": median(t["rps"] for _, t in pairs),
           "rps_ratio": median(rps_ratios), "rps_ratio_range": [min(known(rps_ratios), default=None), max(known(rps_ratios), default=None)],
           "ceiling_p99_ms": median(c["p99_ms"] for c, _ in pairs), "tbml_p99_ms": median(t["p99_ms"] for _, t in pairs),
           "p99_ratio": median(p99_ratios), "p99_ratio_range": [min(known(p99_ratios), default=None), max(known(p99_ratios), default=None)],
           "ceiling_errors": sum(c["errors"] for c, _ in pairs), "tbml_errors": sum(t["errors"] for _, t in pairs)}
    g = goals.get(c["path"])
    if g and c["connections"] == 64 and row["rps_ratio"] is not None:
        met = row["rps_ratio"] >= g["rps_ratio_min"] and row["tbml_errors"] == 0
        if "p99_ratio_max" in g: met = met and row["p99_ratio"] is not None and row["p99_ratio"] <= g["p99_ratio_max"]
        row["goal"] = dict(g, met=met)
    comparison.append(row)
res["ceiling_comparison"] = comparison
# The prediction route while the BTC ensemble trains, against the idle run made just before it: one ratio
# per repeat, the median of them judged (--repeat N).
training_vs_idle = {}
for cfg in ("default", "threads64"):
    runs = []
    for idle in sorted((h for h in http if h["config"] == cfg and h["idle_reference"]), key=lambda h: h["repeat"]):
        busy = next((h for h in http if h["config"] == cfg and h["training"] and h["repeat"] == idle["repeat"]), None)
        if busy: runs.append((idle, busy))
    if not runs: continue
    ratios = [ratio(b["p99_ms"], i["p99_ms"]) for i, b in runs]
    known = [x for x in ratios if x is not None]
    errors = sum(b["errors"] for _, b in runs)
    p99_ratio = median(ratios)
    training_vs_idle[cfg] = {"pairs": len(runs), "idle_rps": median(i["rps"] for i, _ in runs),
                             "training_rps": median(b["rps"] for _, b in runs),
                             "idle_p99_ms": median(i["p99_ms"] for i, _ in runs),
                             "training_p99_ms": median(b["p99_ms"] for _, b in runs), "p99_ratio": p99_ratio,
                             "p99_ratios": ratios, "p99_ratio_range": [min(known, default=None), max(known, default=None)],
                             "training_errors": errors, "goal_p99_ratio_max": 2.0,
                             "met": p99_ratio is not None and p99_ratio <= 2.0 and errors == 0}
res["training_vs_idle"] = training_vs_idle
for cfg in ("default", "threads64"):
    q = os.path.join(raw, "train_during_load_%s.queue.json" % cfg)
    if os.path.exists(q):
        try: res["training_queue_after_load_" + cfg] = json.load(open(q))
        except ValueError: pass
rss = {}
for f in ("rss_idle_default", "rss_after_load_default", "rss_idle_threads64", "rss_after_load_threads64",
          "rss_before_soak", "rss_after_soak"):
    d = kv(os.path.join(raw, f + ".txt"))
    rss[f] = {k.replace("_kib", "_mib"): int(v) / 1024 for k, v in d.items()}
soak_file = os.path.join(raw, "soak_rss.txt")
samples = [tuple(map(int, l.split())) for l in open(soak_file) if len(l.split()) == 2] if os.path.exists(soak_file) else []
soak = {"seconds": int(machine.get("soak_seconds", 0)), "samples_mib": [[s, k / 1024] for s, k in samples]}
if samples:
    half = samples[len(samples) // 2:]
    soak.update({"first_mib": samples[0][1] / 1024, "last_mib": samples[-1][1] / 1024,
                 "max_mib": max(k for _, k in samples) / 1024,
                 "second_half_growth_mib": (half[-1][1] - half[0][1]) / 1024})
if os.path.exists(os.path.join(raw, "soak.wrk")): soak["wrk"] = parse_wrk(os.path.join(raw, "soak.wrk"))
res["rss"] = rss
# What holds the RSS (scripts/rss_breakdown.py: libraries, malloc heap and arenas, thread stacks), MiB.
for f in ("rss_breakdown_idle_default", "rss_breakdown_after_soak"):
    p = os.path.join(raw, f + ".json")
    try:
        groups = json.load(open(p))["groups"]
        res.setdefault("rss_breakdown", {})[f[len("rss_breakdown_"):]] = {
            name: round(g["rss_kib"] / 1024, 1) for name, g in groups.items() if g["rss_kib"] >= 512}
    except (OSError, ValueError, KeyError):
        pass
res["soak"] = soak
json.dump(res, open(out_json, "w"), indent=1)

# Markdown summary
L = []
m = machine
L.append("# tbml benchmark %s\n" % m.get("date"))
L.append("Machine: %s cores, %s, %s MiB; BLAS %s; commit %s; load average at start %s, at end %s. wrk %s s per run.\n"
         % (m.get("cores"), m.get("cpu"), m.get("memory_mib"), m.get("blas"), m.get("commit"), m.get("load_start"),
            m.get("load_end"), m.get("wrk_seconds")))
def f3(x): return "-" if x is None else ("%.3g" % x if abs(x) < 100 else "%.0f" % x)
if "features" in res:
    f = res["features"]
    L.append("## Features (%s, %d features)\n" % (f["input"], f["featureWidth"]))
    L.append("| measure | min | median | p99 | unit |\n|---|---|---|---|---|")
    for k in ("pushPerCandle", "recompute1440", "recompute20000", "buildSeries1440", "buildSeries20000"):
        s = f[k]; L.append("| %s | %s | %s | %s | %s |" % (k, f3(s["min"]), f3(s["median"]), f3(s["p99"]), s["unit"]))
    L.append("")
for t in ("inference_t1", "inference_t2"):
    if t not in res: continue
    i = res[t]
    L.append("## Inference, %d torch thread(s) (%s, %d pairs x 4 models)\n" % (i["torchThreads"], i["source"], i["pairs"]))
    L.append("| measure | min | median | p99 (us) |\n|---|---|---|---|")
    for name, e in i["perModel"].items():
        for b in ("batch1", "batchPairs", "batch256"):
            s = e[b]; L.append("| %s %s | %s | %s | %s |" % (name, b, f3(s["min"]), f3(s["median"]), f3(s["p99"])))
    for k in ("ensembleRecompute", "allPairsRecompute", "predictionJson"):
        s = i[k]; L.append("| %s | %s | %s | %s |" % (k, f3(s["min"]), f3(s["median"]), f3(s["p99"])))
    L.append("")
for t in ("train1440", "train20000", "train_serving"):
    if t not in res: continue
    tr = res[t]
    L.append("## Training %s: wall %.1f s for all models, peak RSS %.0f MiB (load %s)\n" % (t, tr["wall_s"], tr["peak_rss_mib"], tr["load"]))
    L.append("| pair | model | epochs run | best epoch | seconds | test acc | brier | base brier |\n|---|---|---|---|---|---|---|---|")
    for r in tr["models"]:
        L.append("| %s | %s | %d | %d | %.1f | %.4f | %.4f | %.4f |" % (r["pair"], r["model"], r["epochs"], r["best_epoch"], r["seconds"], r["test_acc"], r["brier"], r["base_brier"]))
    L.append("")
if "training_pair" in res:
    tp = res["training_pair"]
    L.append("## Training one pair at horizons %s (%s, %d candles): %.1f s CPU, %.1f s wall\n"
             % (",".join(str(h["horizon"]) for h in tp["horizons"]), tp["pair"], tp["candles"],
                tp["training"]["totalCpuSeconds"], tp["training"]["totalSeconds"]))
    L.append("| horizon | job | CPU s | wall s | epochs |\n|---|---|---|---|---|")
    for h in tp["horizons"]:
        for name, d in h["direction"].items():
            L.append("| %d | %s | %.1f | %.1f | %d |" % (h["horizon"], name, d["cpuSeconds"], d["seconds"], d["epochs"]))
        v = h["volatility"]
        L.append("| %d | volatility (serves %s) | %.2f | %.2f | |" % (h["horizon"], v["served"], v["cpuSeconds"], v["seconds"]))
    r = tp["recomputeAllHorizons"]
    L.append("\nRecompute of the pair at every horizon: CPU %.0f us mean, wall min %.0f / median %.0f us; peak RSS %.0f MiB.\n"
             % (r["cpuMean"], r["min"], r["median"], tp["memory"]["end"]["peak"]))
L.append("## HTTP (wrk, keep-alive, loopback)\n")
L.append("default = the shipped configuration (server.threads 256); threads64 = server.threads=64. new conn = a fresh curl request during the run (median / max ms).\n")
L.append("| server | route | conns | training | req/s | p50 ms | p99 ms | errors | new conn ms | RSS MiB | load |\n|---|---|---|---|---|---|---|---|---|---|---|")
order = {"default": 0, "threads64": 1, "ceiling": 2}
for h in sorted(http, key=lambda h: (order[h["config"]], h["training"], h["idle_reference"], h["path"] or "", h["connections"], h["repeat"])):
    nc = h["new_connection_ms"]
    L.append("| %s | %s | %d | %s | %s | %s | %s | %d | %s / %s | %.0f | %s |" % (h["config"], h["path"], h["connections"], "yes" if h["training"] else ("idle ref." if h["idle_reference"] else ""), f3(h["rps"]), f3(h["p50_ms"]), f3(h["p99_ms"]), h["errors"], f3(nc["median"]), f3(nc["max"]), h["rss_mib"], h["load_before"]))
if comparison:
    L.append("\n## HTTP against its ceiling (issue #13)\n")
    L.append("ceiling = bench_http_ceiling: tbml's listener set-up and worker pool answering the body tbml gave on the route; "
             "each ceiling run is followed by tbml's, %d time(s) per row; req/s and p99 are medians, a ratio is the median of the "
             "pairs' ratios [min-max]. Goals at 64 connections: /api/predictions/BTC req/s ratio >= 0.8, p99 ratio <= 1.5, "
             "0 errors; /api/predictions req/s ratio >= 0.5.\n" % max(r["pairs"] for r in comparison))
    def rr(x, rng): return "-" if x is None else ("%.2f" % x if rng[0] is None or rng[0] == rng[1] else "%.2f [%.2f-%.2f]" % (x, rng[0], rng[1]))
    L.append("| route | body bytes | conns | ceiling req/s | tbml req/s | req/s ratio | ceiling p99 ms | tbml p99 ms | p99 ratio | tbml errors | goal |\n|---|---|---|---|---|---|---|---|---|---|---|")
    for r in comparison:
        goal = r.get("goal")
        L.append("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %d | %s |" % (r["path"], r["body_bytes"], r["connections"], f3(r["ceiling_rps"]), f3(r["tbml_rps"]), rr(r["rps_ratio"], r["rps_ratio_range"]), f3(r["ceiling_p99_ms"]), f3(r["tbml_p99_ms"]), rr(r["p99_ratio"], r["p99_ratio_range"]), r["tbml_errors"], "" if not goal else ("met" if goal["met"] else "missed")))
for cfg, t in training_vs_idle.items():
    rng = t.get("p99_ratio_range") or [None, None]
    L.append("\nWhile the BTC ensemble trains (%s, 64 conns, /api/predictions/BTC; median of %d pairs of runs): %s req/s, p99 %s ms against %s req/s, p99 %s ms idle just before: p99 ratio %s (range %s-%s; goal <= 2: %s), %d errors.\n"
             % (cfg, t.get("pairs", 1), f3(t["training_rps"]), f3(t["training_p99_ms"]), f3(t["idle_rps"]), f3(t["idle_p99_ms"]),
                "-" if t["p99_ratio"] is None else "%.2f" % t["p99_ratio"],
                "-" if rng[0] is None else "%.2f" % rng[0], "-" if rng[1] is None else "%.2f" % rng[1],
                "met" if t["met"] else "missed", t["training_errors"]))
L.append("\n## RSS (MiB)\n")
for k, v in rss.items(): L.append("- %s: %s" % (k, ", ".join("%s %.1f" % kv_ for kv_ in v.items())))
if samples:
    L.append("- soak %d s: first %.1f, last %.1f, max %.1f, growth over the second half %.1f MiB; %s requests, %d errors"
             % (soak["seconds"], soak["first_mib"], soak["last_mib"], soak["max_mib"], soak["second_half_growth_mib"],
                soak.get("wrk", {}).get("requests"), soak.get("wrk", {}).get("errors", -1)))
open(out_md, "w").write("\n".join(L) + "\n")
print(out_md)
