#!/usr/bin/env bash
# The benchmark suite (docs/performance.md): builds Release and measures the real binary on loopback.
#   scripts/bench.sh [--soak] [--soak-seconds N] [--duration N] [--quick] [--no-build] [--http-only]
#     --soak           10-minute RSS soak under load (default: a 60 s soak)
#     --soak-seconds N soak length in seconds
#     --duration N     seconds per wrk run (default 5)
#     --quick          skip training on 20,000 candles (the longest part)
#     --no-build       use the binaries already in the build folder
#     --no-train       skip the training measurements (part 4)
#     --http-only      only the HTTP comparison (issue #13): tbml next to bench_http_ceiling under the same
#                      wrk runs, and the prediction route idle and while the BTC ensemble trains; no
#                      features, inference, training benches, threads64 set-up or soak
#     --repeat N       each ceiling/tbml pair of wrk runs N times, alternating (default 1); the ratios are
#                      the median of the N pairs' ratios, with their range
#     --serve-models D reuse a folder written by `tbml train --out D` holding 6 pairs x 4 models, instead of
#                      training the serving set
#     --openblas       run every binary with Debian's OpenBLAS (libopenblas0-pthread, fetched with
#                      `apt-get download` and unpacked into the scratch folder) even where libblas.so.3 points
#                      to the reference BLAS (scripts/setup.sh installs OpenBLAS, so this is only needed on a
#                      machine set up without it); results get a -openblas suffix
# Environment: TBML_BUILD_DIR (default build/), TBML_BIN (the tbml binary, default <build>/tbml), BENCH_DATA (candle CSVs, default ../shared/data/market), BENCH_WORK (scratch folder, default a mktemp folder),
# BENCH_OUT (default bench/results). Writes <BENCH_OUT>/<date>.json and <date>.md.
# Parts that need real candles (training, models for 6 pairs, HTTP prediction routes) are skipped with a
# note when ../shared/data/market is absent; the feature and inference benches then use a seeded random walk.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TBML_BUILD_DIR:-$root/build}"
out_dir="${BENCH_OUT:-$root/bench/results}"
data="${BENCH_DATA:-$root/../shared/data/market}"  # BENCH_DATA: another folder of <PAIR>USDT_1h.csv
soak_seconds=60
duration=5
quick=0
do_build=1
openblas=0
do_train=1
serve_models=""
http_only=0
repeats=1
while [ $# -gt 0 ]; do
  case "$1" in
    --soak) soak_seconds=600 ;;
    --soak-seconds) soak_seconds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --quick) quick=1 ;;
    --no-build) do_build=0 ;;
    --openblas) openblas=1 ;;
    --no-train) do_train=0 ;;
    --serve-models) serve_models="$2"; shift ;;
    --http-only) http_only=1; do_train=0 ;;
    --repeat) repeats="$2"; shift ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "bench.sh: wrk is required (apt-get install wrk)" >&2; exit 2; }

work="${BENCH_WORK:-$(mktemp -d /tmp/tbml-bench.XXXXXX)}"
raw="$work/raw"
mkdir -p "$raw" "$out_dir"
serve_pid=""
ceiling_pid=""
cleanup() {
  if [ -n "$ceiling_pid" ] && kill -0 "$ceiling_pid" 2>/dev/null; then
    kill -TERM "$ceiling_pid" 2>/dev/null || true
    wait "$ceiling_pid" 2>/dev/null || true
  fi
  if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
log() { echo "[bench $(date +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)] $*" >&2; }

# ---- build ---------------------------------------------------------------------------------------
if [ "$do_build" = 1 ]; then
  log "building Release in $build"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTBML_BUILD_BENCH=ON >/dev/null
  if [ "$http_only" = 1 ]; then
    cmake --build "$build" --target tbml bench_http_ceiling -j"$(nproc)" >/dev/null
  else
    cmake --build "$build" --target tbml bench_market_features bench_service_inference bench_service_training \
      bench_http_ceiling -j"$(nproc)" >/dev/null
  fi
fi
tbml="${TBML_BIN:-$build/tbml}"  # TBML_BIN: another tbml binary (a before/after comparison)
bench_dir="$build/bench"

blas="libblas.so.3 -> $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
suffix=""
if [ "$openblas" = 1 ]; then
  log "fetching libopenblas0-pthread (apt-get download; unpacked, not installed)"
  (cd "$work" && apt-get download libopenblas0-pthread >/dev/null 2>&1 && dpkg -x libopenblas0-pthread_*.deb openblas)
  export LD_LIBRARY_PATH="$work/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export OPENBLAS_NUM_THREADS=1  # torch's own thread setting decides parallelism
  blas="OpenBLAS $(ls "$work"/libopenblas0-pthread_*.deb | sed 's/.*pthread_\(.*\)_amd64.deb/\1/') via LD_LIBRARY_PATH"
  suffix="-openblas"
fi

# ---- machine -------------------------------------------------------------------------------------
{
  echo "cores=$(nproc)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory_mib=$(( $(grep MemTotal /proc/meminfo | awk '{print $2}') / 1024 ))"
  echo "kernel=$(uname -r)"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo +dirty)"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk=$(wrk -v 2>&1 | head -1)"
  echo "soak_seconds=$soak_seconds"
  echo "blas=$blas"
  echo "wrk_seconds=$duration"
  echo "http_only=$http_only"
} > "$raw/machine.txt"

pairs=(BTC ETH SOL BNB XRP ADA)
have_data=1
for p in "${pairs[@]}"; do [ -f "$data/${p}USDT_1h.csv" ] || have_data=0; done
csv_all=""
for p in "${pairs[@]}"; do csv_all="${csv_all:+$csv_all,}$p=$data/${p}USDT_1h.csv"; done
echo "have_data=$have_data" >> "$raw/machine.txt"

# Wall seconds and peak RSS (MiB) of a command, into $raw/<name>.time; its output into $raw/<name>.txt.
timed() {
  local name="$1"; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$raw/$name.rss" "$@" > "$raw/$name.txt" 2>&1
  end=$(date +%s.%N)
  echo "wall=$(echo "$end - $start" | bc) peak_kib=$(cat "$raw/$name.rss") load=$(cut -d' ' -f1 /proc/loadavg)" \
    > "$raw/$name.time"
}

# ---- 1. features ---------------------------------------------------------------------------------
if [ "$http_only" = 1 ]; then
  :
elif [ "$have_data" = 1 ]; then
  log "features"
  "$bench_dir/bench_market_features" --csv "$data/BTCUSDT_1h.csv" > "$raw/features.json"
else
  log "features"
  "$bench_dir/bench_market_features" --synthetic > "$raw/features.json"
fi

# ---- 4. training (before the rest: its models feed inference and HTTP) ----------------------------
if [ "$have_data" = 1 ] && [ "$do_train" = 1 ]; then
  log "training 4 models on the last 1,440 BTC candles"
  timed train1440 "$tbml" train --csv "BTC=$data/BTCUSDT_1h.csv" --max-candles 1440 --threads 1 \
    --out "$work/train1440"
  # What the service trains per pair (every horizon of ml.horizons x every member + the volatility model
  # per horizon), with CPU seconds per job next to wall seconds: a minute of work, more on a busy machine.
  log "training one pair at every horizon (ETH with BTC's cross-pair columns, 1,440 candles)"
  "$bench_dir/bench_service_training" --csv "ETH=$data/ETHUSDT_1h.csv" --reference "BTC=$data/BTCUSDT_1h.csv" \
    --candles 1440 --horizons 1,5,24 --threads 1 > "$raw/training_pair.json"
  if [ "$quick" = 0 ]; then
    log "training 4 models on the last 20,000 BTC candles (minutes)"
    timed train20000 "$tbml" train --csv "BTC=$data/BTCUSDT_1h.csv" --max-candles 20000 --threads 1 \
      --out "$work/train20000"
  fi
fi
if [ "$have_data" = 1 ]; then
  mkdir -p "$work/serve"
  if [ -n "$serve_models" ]; then
    cp -r "$serve_models/models" "$work/serve/"
  else
    # Serving needs 6 pairs x 4 models; how well they predict does not change serving cost, so the serving
    # set gets 2-epoch models on the last 1,440 candles of each pair.
    log "training the serving set: 2-epoch models for 6 pairs"
    timed train_serving "$tbml" train --csv "$csv_all" --max-candles 1440 --epochs 2 --threads 1 --out "$work/serve"
  fi
fi

# ---- 2. inference --------------------------------------------------------------------------------
inference_threads=(1 2)
[ "$http_only" = 1 ] && inference_threads=()
for t in "${inference_threads[@]}"; do
  log "inference, $t torch thread(s)"
  if [ "$have_data" = 1 ]; then
    "$bench_dir/bench_service_inference" --models "$work/serve" --csv "$csv_all" --threads "$t" \
      > "$raw/inference_t$t.json"
  else
    "$bench_dir/bench_service_inference" --synthetic --threads "$t" > "$raw/inference_t$t.json"
  fi
done

# ---- 3 and 5. HTTP under load, RSS ---------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
ceiling_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ceiling_base="http://127.0.0.1:$ceiling_port"
status_of() { curl -s -o /dev/null -w '%{http_code}' "$1" || true; }
# RSS and its high-water mark of a process (default: the service), KiB.
rss_now() { awk '/VmRSS/ {print $2}' "/proc/${1:-$serve_pid}/status"; }
hwm_now() { awk '/VmHWM/ {print $2}' "/proc/${1:-$serve_pid}/status"; }

# The ceiling (bench_http_ceiling): tbml's listener set-up and worker pool answering one fixed body, the
# answer tbml gave on the route just before, so both send the same bytes per request.
start_ceiling() {
  local body="$1" tag="$2"
  "$bench_dir/bench_http_ceiling" --port "$ceiling_port" --body-file "$body" > "$raw/ceiling$tag.out" 2>&1 &
  ceiling_pid=$!
  for _ in $(seq 1 100); do
    sleep 0.1
    grep -q '^port=' "$raw/ceiling$tag.out" && return 0
  done
  echo "bench.sh: bench_http_ceiling did not start: $(cat "$raw/ceiling$tag.out")" >&2
  return 1
}
stop_ceiling() {
  kill -TERM "$ceiling_pid" 2>/dev/null || true
  wait "$ceiling_pid" 2>/dev/null || true
  ceiling_pid=""
}

start_service() {
  local config="$1" threads="$2"
  local overrides=(--set training.autoTrain=false)
  [ -n "$threads" ] && overrides+=(--set "server.threads=$threads")
  rm -rf "$work/serve_run" && mkdir -p "$work/serve_run"
  [ -d "$work/serve/models" ] && cp -r "$work/serve/models" "$work/serve_run/"
  local csv_args=()
  [ "$have_data" = 1 ] && csv_args=(--csv "$csv_all")
  "$tbml" serve --demo "${csv_args[@]}" --storage-dir "$work/serve_run" --port "$port" --log-level warn \
    "${overrides[@]}" > "$raw/serve_$config.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 1 240); do
    sleep 0.5
    if [ "$have_data" = 1 ]; then
      [ "$(curl -s "$base/api/predictions" | jq -r '.count // 0' 2>/dev/null)" = "6" ] && return 0
    else
      [ "$(status_of "$base/api/features/BTC")" = "200" ] && return 0
    fi
  done
  echo "bench.sh: service did not become ready on $base" >&2
  return 1
}
stop_service() {
  kill -TERM "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  serve_pid=""
}

# One wrk run: name, connections, path, seconds[, base URL, pid] (default: the service). Saves wrk's report
# plus the server's RSS after it. wrk's latencies only cover connections that were served, so 10
# fresh-connection requests (curl, one after the other) are timed during the run too: what a new client
# waits while the pool is busy.
wrk_run() {
  local name="$1" conns="$2" path="$3" secs="$4" url="${5:-$base}" pid="${6:-$serve_pid}"
  local threads=2
  [ "$conns" -lt 2 ] && threads=1
  echo "load_before=$(cut -d' ' -f1 /proc/loadavg)" > "$raw/$name.meta"
  wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s --latency "$url$path" > "$raw/$name.wrk" 2>&1 &
  local wrk_pid=$!
  sleep 1
  : > "$raw/$name.probe"
  for _ in $(seq 1 10); do
    curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}\n' "$url$path" >> "$raw/$name.probe" || true
    sleep 0.2
  done
  wait "$wrk_pid" || true
  echo "load_after=$(cut -d' ' -f1 /proc/loadavg) rss_kib=$(rss_now "$pid") hwm_kib=$(hwm_now "$pid") conns=$conns path=$path" \
    >> "$raw/$name.meta"
}

routes=("/api/predictions/BTC" "/api/predictions" "/api/health" "/api/features/BTC")
[ "$have_data" = 1 ] || routes=("/api/health" "/api/features/BTC")
# Two server set-ups: the shipped configuration (server.threads 256), and 64 pool threads. httplib keeps a
# keep-alive connection on one pool thread until it closes, so the pool size caps the connections served
# at once; the second set-up shows what a smaller pool costs at 64 and 256 connections.
configs=("default:" "threads64:64")
# The prediction routes also run against the ceiling (issue #13), in the shipped configuration: at each
# connection count the ceiling's wrk run comes right before tbml's, so both see the same machine.
compared=()
[ "$have_data" = 1 ] && compared=("/api/predictions/BTC" "/api/predictions")
if [ "$http_only" = 1 ]; then
  configs=("default:")
  routes=("${compared[@]}")
  [ "$have_data" = 1 ] || routes=("/api/health")
fi
for cfg in "${configs[@]}"; do
  IFS=: read -r cname cthreads <<< "$cfg"
  log "HTTP: $cname (server.threads=${cthreads:-as configured})"
  start_service "$cname" "$cthreads"
  echo "rss_kib=$(rss_now) hwm_kib=$(hwm_now)" > "$raw/rss_idle_$cname.txt"
  for path in "${routes[@]}"; do
    tag=$(echo "$path" | tr '/:' '__')
    with_ceiling=0
    if [ "$cname" = default ] && printf '%s\n' "${compared[@]}" | grep -qx -- "$path"; then
      with_ceiling=1
      curl -s "$base$path" > "$work/body$tag.json"
      echo "body_bytes=$(wc -c < "$work/body$tag.json") path=$path" > "$raw/ceiling$tag.body"
      start_ceiling "$work/body$tag.json" "$tag"
    fi
    for c in 1 16 64 256; do
      if [ "$with_ceiling" = 0 ]; then
        log "wrk $path c=$c ($cname)"
        wrk_run "http_${cname}${tag}_c$c" "$c" "$path" "$duration"
        continue
      fi
      for r in $(seq 1 "$repeats"); do
        log "wrk $path c=$c (ceiling, then $cname; $r/$repeats)"
        wrk_run "http_ceiling${tag}_c${c}_r$r" "$c" "$path" "$duration" "$ceiling_base" "$ceiling_pid"
        echo "repeat=$r" >> "$raw/http_ceiling${tag}_c${c}_r$r.meta"
        wrk_run "http_${cname}${tag}_c${c}_r$r" "$c" "$path" "$duration"
        echo "repeat=$r" >> "$raw/http_${cname}${tag}_c${c}_r$r.meta"
      done
    done
    [ "$with_ceiling" = 1 ] && stop_ceiling
  done
  if [ "$have_data" = 1 ]; then
    # The idle reference of the same length right before training, so the ratio compares like with like.
    log "HTTP idle before training ($cname)"
    wrk_run "http_${cname}_idle_c64" 64 "/api/predictions/BTC" "$(( duration * 2 ))"
    log "HTTP while the BTC ensemble trains ($cname)"
    curl -s -X POST "$base/api/train/BTC/ensemble" -H 'Content-Type: application/json' -d '{}' \
      > "$raw/train_during_load_$cname.post.json"
    sleep 1
    wrk_run "http_${cname}_training_c64" 64 "/api/predictions/BTC" "$(( duration * 2 ))"
    curl -s "$base/api/training/queue" > "$raw/train_during_load_$cname.queue.json"
  fi
  echo "rss_kib=$(rss_now) hwm_kib=$(hwm_now)" > "$raw/rss_after_load_$cname.txt"
  stop_service
done

# ---- 5. soak: RSS sampled every 5 s under a rotating mix of the four routes ------------------------
# A fresh service, so that the training started above does not count as growth.
: > "$raw/soak_rss.txt"
if [ "$http_only" = 0 ]; then
  log "soak ${soak_seconds}s (shipped configuration, fresh service)"
  start_service soak ""
  echo "rss_kib=$(rss_now) hwm_kib=$(hwm_now)" > "$raw/rss_before_soak.txt"
  cat > "$work/mix.lua" <<EOF
local paths = {}
for i, p in ipairs({$(printf '"%s",' "${routes[@]}")}) do paths[i] = p end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
EOF
  : > "$raw/soak_rss.txt"
  wrk -t2 -c16 -d"${soak_seconds}s" --timeout 5s --latency -s "$work/mix.lua" "$base" > "$raw/soak.wrk" 2>&1 &
  wrk_pid=$!
  elapsed=0
  while kill -0 "$wrk_pid" 2>/dev/null; do
    echo "$elapsed $(rss_now)" >> "$raw/soak_rss.txt"
    sleep 5
    elapsed=$(( elapsed + 5 ))
  done
  wait "$wrk_pid" || true
  echo "rss_kib=$(rss_now) hwm_kib=$(hwm_now)" > "$raw/rss_after_soak.txt"
  stop_service
fi
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$raw/machine.txt"

# ---- report --------------------------------------------------------------------------------------
stamp=$(date -u +%Y-%m-%d)$suffix
# A second run on the same day gets its start time in the name instead of replacing the first.
[ -e "$out_dir/$stamp.json" ] && stamp="$(date -u +%Y-%m-%d)-$(date -u -d "$(grep '^date=' "$raw/machine.txt" | cut -d= -f2)" +%H%M)$suffix"
python3 - "$raw" "$out_dir/$stamp.json" "$out_dir/$stamp.md" <<'PY'
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
# The prediction route while the BTC ensemble trains, against the idle run made just before it.
training_vs_idle = {}
for cfg in ("default", "threads64"):
    idle = next((h for h in http if h["config"] == cfg and h["idle_reference"]), None)
    busy = next((h for h in http if h["config"] == cfg and h["training"]), None)
    if idle and busy:
        training_vs_idle[cfg] = {"idle_rps": idle["rps"], "training_rps": busy["rps"], "idle_p99_ms": idle["p99_ms"],
                                 "training_p99_ms": busy["p99_ms"], "p99_ratio": ratio(busy["p99_ms"], idle["p99_ms"]),
                                 "training_errors": busy["errors"], "goal_p99_ratio_max": 2.0,
                                 "met": ratio(busy["p99_ms"], idle["p99_ms"]) is not None
                                        and ratio(busy["p99_ms"], idle["p99_ms"]) <= 2.0 and busy["errors"] == 0}
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
    L.append("\nWhile the BTC ensemble trains (%s, 64 conns, /api/predictions/BTC): %s req/s, p99 %s ms against %s req/s, p99 %s ms idle just before: p99 ratio %s (goal <= 2: %s), %d errors.\n"
             % (cfg, f3(t["training_rps"]), f3(t["training_p99_ms"]), f3(t["idle_rps"]), f3(t["idle_p99_ms"]),
                "-" if t["p99_ratio"] is None else "%.2f" % t["p99_ratio"], "met" if t["met"] else "missed", t["training_errors"]))
L.append("\n## RSS (MiB)\n")
for k, v in rss.items(): L.append("- %s: %s" % (k, ", ".join("%s %.1f" % kv_ for kv_ in v.items())))
if samples:
    L.append("- soak %d s: first %.1f, last %.1f, max %.1f, growth over the second half %.1f MiB; %s requests, %d errors"
             % (soak["seconds"], soak["first_mib"], soak["last_mib"], soak["max_mib"], soak["second_half_growth_mib"],
                soak.get("wrk", {}).get("requests"), soak.get("wrk", {}).get("errors", -1)))
open(out_md, "w").write("\n".join(L) + "\n")
print(out_md)
PY
log "results: $out_dir/$stamp.json and $out_dir/$stamp.md (raw outputs in $raw)"
