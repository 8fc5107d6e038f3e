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
#     --demo-core      serve with `tbml serve --demo` (the core stand-in inside the service, polled every
#                      demo.pollIntervalMs = 1 s) instead of the production shape: `tbml core-sim` as its own
#                      process, polled by `tbml serve --core-url` at the shipped core.pollIntervalMs
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
demo_core=0
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
    --demo-core) demo_core=1 ;;
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
core_pid=""
cleanup() {
  if [ -n "$core_pid" ] && kill -0 "$core_pid" 2>/dev/null; then
    kill -TERM "$core_pid" 2>/dev/null || true
    wait "$core_pid" 2>/dev/null || true
  fi
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
  echo "core=$([ "$demo_core" = 1 ] && echo "in-process (serve --demo)" || echo "separate process (tbml core-sim, serve --core-url)")"
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
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
base="http://127.0.0.1:$port"
ceiling_port=$(free_port)
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

# The upstream: by default `tbml core-sim` in its own process, as trading-bot-core is in production, serving
# the core's window (1,440 points per pair) and no new candle during the runs; the service polls it at the
# shipped core.pollIntervalMs. So the service's RSS and CPU are its own, not the stand-in's (its candles
# and workers), and polling costs what it costs in production. --demo-core keeps the stand-in in-process.
core_port=$(free_port)
start_core() {
  [ "$demo_core" = 1 ] && return 0
  [ -n "$core_pid" ] && kill -0 "$core_pid" 2>/dev/null && return 0
  local source=(--synthetic BTC,ETH,SOL)
  [ "$have_data" = 1 ] && source=(--csv "$csv_all")
  "$tbml" core-sim "${source[@]}" --port "$core_port" --window 1440 --initial 1440 --step-ms 3600000 \
    --log-level warn > "$raw/core_sim.log" 2>&1 &
  core_pid=$!
  for _ in $(seq 1 100); do
    sleep 0.2
    [ "$(status_of "http://127.0.0.1:$core_port/api/health")" = 200 ] && return 0
  done
  echo "bench.sh: tbml core-sim did not start: $(cat "$raw/core_sim.log")" >&2
  return 1
}

start_service() {
  local config="$1" threads="$2"
  local overrides=(--set training.autoTrain=false)
  [ -n "$threads" ] && overrides+=(--set "server.threads=$threads")
  rm -rf "$work/serve_run" && mkdir -p "$work/serve_run"
  [ -d "$work/serve/models" ] && cp -r "$work/serve/models" "$work/serve_run/"
  local upstream=()
  if [ "$demo_core" = 1 ]; then
    upstream=(--demo)
    [ "$have_data" = 1 ] && upstream+=(--csv "$csv_all" --set demo.initial=1440)
  else
    start_core
    upstream=(--core-url "http://127.0.0.1:$core_port")
  fi
  "$tbml" serve "${upstream[@]}" --storage-dir "$work/serve_run" --port "$port" --log-level warn \
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
  python3 "$root/scripts/rss_breakdown.py" "$serve_pid" --json > "$raw/rss_breakdown_idle_$cname.json" || true
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
    # --repeat N pairs of runs: the idle reference of the same length right before training, so the ratio
    # compares like with like, then the same while the BTC ensemble trains; the jobs are cancelled after
    # each pair so that the next idle run is idle.
    for r in $(seq 1 "$repeats"); do
      log "HTTP idle before training ($cname; $r/$repeats)"
      wrk_run "http_${cname}_idle_c64_r$r" 64 "/api/predictions/BTC" "$(( duration * 2 ))"
      echo "repeat=$r" >> "$raw/http_${cname}_idle_c64_r$r.meta"
      log "HTTP while the BTC ensemble trains ($cname; $r/$repeats)"
      curl -s -X POST "$base/api/train/BTC/ensemble" -H 'Content-Type: application/json' -d '{}' \
        > "$raw/train_during_load_${cname}_r$r.post.json"
      sleep 1
      wrk_run "http_${cname}_training_c64_r$r" 64 "/api/predictions/BTC" "$(( duration * 2 ))"
      echo "repeat=$r" >> "$raw/http_${cname}_training_c64_r$r.meta"
      curl -s "$base/api/training/queue" > "$raw/train_during_load_${cname}_r$r.queue.json"
      cp "$raw/train_during_load_${cname}_r$r.queue.json" "$raw/train_during_load_$cname.queue.json"
      for id in $(jq -r '(.active // []) + (.queued // []) | .[].id' "$raw/train_during_load_${cname}_r$r.queue.json" 2>/dev/null); do
        curl -s -X DELETE "$base/api/training/job/$id" > /dev/null || true
      done
      for _ in $(seq 1 120); do
        [ "$(curl -s "$base/api/training/queue" | jq -r '((.active // []) | length)' 2>/dev/null)" = 0 ] && break
        sleep 0.5
      done
    done
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
  python3 "$root/scripts/rss_breakdown.py" "$serve_pid" --json > "$raw/rss_breakdown_after_soak.json" || true
  stop_service
fi
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$raw/machine.txt"

# ---- report --------------------------------------------------------------------------------------
stamp=$(date -u +%Y-%m-%d)$suffix
# A second run on the same day gets its start time in the name instead of replacing the first.
[ -e "$out_dir/$stamp.json" ] && stamp="$(date -u +%Y-%m-%d)-$(date -u -d "$(grep '^date=' "$raw/machine.txt" | cut -d= -f2)" +%H%M)$suffix"
python3 "$root/scripts/bench_report.py" "$raw" "$out_dir/$stamp.json" "$out_dir/$stamp.md"
log "results: $out_dir/$stamp.json and $out_dir/$stamp.md (raw outputs in $raw)"
