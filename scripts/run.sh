#!/usr/bin/env bash
# README command 1: build, then start the service against its embedded market simulator (demo mode).
# Extra arguments are passed to `tbml serve`, e.g. scripts/run.sh --csv BTC=../shared/data/market/BTCUSDT_1h.csv
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
TBML_BUILD_DIR="$root/build" "$root/scripts/build.sh" -DTBML_BUILD_TESTS=OFF -DTBML_BUILD_BENCH=OFF
port="${PORT:-3001}"
cat <<MSG

tbml is starting on port $port with a simulated core service (demo mode). Try:
  curl -s localhost:$port/api/health
  curl -s localhost:$port/api/features/BTC
  curl -s localhost:$port/api/predictions/BTC      (503 with the training state until models are trained)
  curl -s localhost:$port/api/models/BTC/status
  curl -s localhost:$port/api/training/queue
  curl -s localhost:$port/api
Stop with Ctrl-C.

MSG
cd "$root"
exec "$root/build/tbml" serve --demo "$@"
