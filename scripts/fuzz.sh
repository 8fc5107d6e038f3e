#!/usr/bin/env bash
# Builds the libFuzzer harnesses in fuzz/ with clang-16 (ASan + UBSan + coverage) into build-fuzz/ and runs
# each one: first over its seed corpus and every saved crash in fuzz/regressions/<harness>/ (these must
# pass), then coverage-guided for SECONDS seconds (default 300; scripts/test.sh passes a short time).
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
# New inputs that found coverage are kept in build-fuzz/corpus/<harness>/ (not committed); a crash is
# written to build-fuzz/crashes/<harness>/ and the script fails: copy the file into fuzz/regressions/
# <harness>/ and fix the parser, so the crash becomes a regression test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TBML_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-300}"
shift || true
if ! command -v clang++-16 >/dev/null || [ ! -e /usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
  echo "fuzz: clang-16 and libfuzzer-16-dev are not installed (scripts/setup.sh installs them)" >&2
  exit 1
fi
cmake -S "$root/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in "$root"/fuzz/fuzz_*.cpp; do harnesses+=("$(basename "$f" .cpp)"); done
fi
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
