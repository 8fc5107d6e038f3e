#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/, clang-16) of the unit tests of the
# stages chosen for CI's time budget, run by scripts/test.sh; any report fails the run.
#   scripts/asan.sh [STAGE...]     default: the stages below; `scripts/asan.sh all-torch-free` for every
#                                  stage that does not link libtorch
# The chosen stages hold the code where a memory error is most likely and the fuzzers do not reach:
# ring buffers and indicator windows (features), candle ingest and alignment (market), the SQLite C API
# (storage), the model registry, training queue and the binary tensor parser (models), the ensemble's
# snapshots and outcome tracking, and the configuration layers. Only their targets are built, with clang
# at -O0: its ASan + UBSan compile takes a fifth of the CPU time of g++ at -O1 (TBML_SANITIZE's default)
# and less than the Release build's (src/storage/database.cpp: 5.3 s, against 27.4 s and 8.4 s).
# libtorch is not instrumented, so the stages that link it (training, evaluation, service, api) are
# left to `scripts/test.sh --sanitize` (the whole suite, by hand). docs/reliability.md has the numbers.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TBML_ASAN_BUILD_DIR:-$root/build-asan}"
stages=("$@")
if [ ${#stages[@]} -eq 0 ]; then
  stages=(config features market models storage ensemble)
elif [ "${stages[0]}" = "all-torch-free" ]; then
  stages=(config features market models trees volatility ensemble decision storage sim)
fi
targets=()
for s in "${stages[@]}"; do
  for f in "$root"/tests/unit/"$s"/test_*.cpp; do targets+=("${s}_$(basename "$f" .cpp)"); done
done
start=$(date +%s)
"$root/scripts/setup.sh"
# -gline-tables-only: file and line in reports for a fraction of -g's cost.
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=Release -DTBML_SANITIZE=ON \
  -DTBML_SANITIZE_OPT_LEVEL=-O0 -DTBML_TEST_OPT_LEVEL=-O0 -DTBML_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS="-gline-tables-only" \
  -DTBML_TEST_GROUP="$(IFS=';'; echo "${targets[*]}")" >/dev/null
cmake --build "$build" -j"$(nproc)" --target test_group >/dev/null
echo "asan: build took $(( $(date +%s) - start )) s (${#targets[@]} test programs: ${stages[*]})"
# Leaks are reported too (the tests own every allocation they make). UBSan stops at the first report.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
run_start=$(date +%s)
failed=0
for t in "${targets[@]}"; do
  if "$build/tests/$t" >"$build/$t.log" 2>&1; then
    echo "asan: $t ok ($(grep -o '[0-9]* tests\? from [0-9]* test suites\? ran' "$build/$t.log" | head -1))"
  else
    echo "asan: $t FAILED (log $build/$t.log):"
    grep -m10 -E "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error|FAILED|SUMMARY" "$build/$t.log" ||
      tail -10 "$build/$t.log"
    failed=1
  fi
done
echo "asan: tests took $(( $(date +%s) - run_start )) s; build and tests $(( $(date +%s) - start )) s"
exit $failed
