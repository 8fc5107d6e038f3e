#!/usr/bin/env bash
# Builds the libFuzzer harnesses in fuzz/ in the clang-16 ASan + UBSan build shared with scripts/asan.sh
# (build-asan/, scripts/asan_build.sh: the parsers' stages with coverage instrumentation) and runs each
# one: first over its seed corpus and every saved crash in fuzz/regressions/<harness>/ (these must pass),
# then coverage-guided for SECONDS seconds (default 300; scripts/test.sh passes a short time).
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
# New inputs that found coverage are kept in build-asan/fuzz/corpus/<harness>/ (not committed); a crash
# is written to build-asan/fuzz/crashes/<harness>/ and the script fails: copy the file into
# fuzz/regressions/<harness>/ and fix the parser, so the crash becomes a regression test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TBML_ASAN_BUILD_DIR:-$root/build-asan}/fuzz"
seconds="${1:-300}"
shift || true
all=()
for f in "$root"/fuzz/fuzz_*.cpp; do all+=("$(basename "$f" .cpp)"); done
start=$(date +%s)
"$root/scripts/asan_build.sh" "${all[@]}"
echo "fuzz: build took $(( $(date +%s) - start )) s"
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=("${all[@]}")
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=0
for h in "${harnesses[@]}"; do
  corpus="$build/corpus/$h"
  crashes="$build/crashes/$h"
  mkdir -p "$corpus" "$crashes" "$root/fuzz/regressions/$h"
  # Regressions and seeds, each input once.
  inputs=("$root/fuzz/corpus/$h"/*)
  for f in "$root/fuzz/regressions/$h"/*; do [ -f "$f" ] && inputs+=("$f"); done
  if ! "$build/$h" -runs=0 "${inputs[@]}" >"$build/$h.replay.log" 2>&1; then
    echo "fuzz: $h fails on a seed or regression input (see $build/$h.replay.log)"
    failed=1
    continue
  fi
  start=$(date +%s)
  if "$build/$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "$root/fuzz/corpus/$h" >"$build/$h.log" 2>&1; then
    runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$build/$h.log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$build/$h.log" | tail -1 | grep -o '[0-9]*' || echo "?")
    echo "fuzz: $h ok: $runs runs in $(( $(date +%s) - start )) s, coverage $cov edges, corpus $(ls "$corpus" | wc -l) files"
  else
    echo "fuzz: $h FOUND A CRASH (inputs in $crashes, log $build/$h.log):"
    grep -m5 -E "ERROR|runtime error|terminate|Assertion|deadly" "$build/$h.log" || tail -5 "$build/$h.log"
    failed=1
  fi
done
exit $failed
