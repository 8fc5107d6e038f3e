#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer (clang-16, build-asan/ by scripts/asan_build.sh, shared
# with the fuzzers) in CI, run by scripts/test.sh; any report fails the run:
#  1. the unit tests of the stages where a memory error is most likely and the fuzzers do not reach;
#  2. the real tbml binary built with ASan + UBSan, started by a chosen set of integration test programs
#     (those built in build/ by the Release build, pointed at it by TBML_TEST_BINARY).
#   scripts/asan.sh [STAGE...]     default: asan_set.sh's stages; `scripts/asan.sh all-torch-free` for every
#                                  stage that does not link libtorch
#   TBML_ASAN_INTEGRATION=0        part 1 only (the binary, ~400 s of CPU, is not built)
# scripts/asan_set.sh lists the unit test stages and the integration programs. The torch-linked stages'
# unit tests (training, evaluation, service, api) stay with `scripts/test.sh --sanitize` (by hand); the
# service code they test runs here inside the binary. docs/reliability.md has the numbers.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TBML_ASAN_BUILD_DIR:-$root/build-asan}"
release="${TBML_BUILD_DIR:-$root/build}"
. "$root/scripts/asan_set.sh"
stages=("$@")
if [ ${#stages[@]} -eq 0 ]; then
  stages=("${asan_default_stages[@]}")
elif [ "${stages[0]}" = "all-torch-free" ]; then
  stages=("${asan_torch_free_stages[@]}")
fi
# The stages' unit tests and the integration programs: scripts/asan_set.sh says which and why.
integration=("${asan_integration[@]}")
read -r -a targets <<< "$(asan_unit_targets "${stages[@]}")"
with_binary="${TBML_ASAN_INTEGRATION:-1}"
start=$(date +%s)
if [ "$with_binary" = "1" ]; then "$root/scripts/asan_build.sh" "${targets[@]}" tbml
else "$root/scripts/asan_build.sh" "${targets[@]}"; fi
echo "asan: build took $(( $(date +%s) - start )) s (${#targets[@]} test programs: ${stages[*]}$([ "$with_binary" = 1 ] && echo "; tbml"))"
# The integration test programs themselves are not instrumented: CI's Release build made them already.
itargets=()
[ "$with_binary" = "1" ] && for t in "${integration[@]}"; do itargets+=("integration_test_$t"); done
if [ ${#itargets[@]} -gt 0 ] && [ ! -x "$release/tests/${itargets[0]}" ]; then
  cmake --build "$release" -j"$(nproc)" --target "${itargets[@]}" >/dev/null
fi

# Leaks are reported in the unit tests (they own every allocation they make). UBSan stops at the first report.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
run_start=$(date +%s)
failed=0
pids=()
# Two at a time (2 cores).
for t in "${targets[@]}"; do
  ( if "$build/tests/$t" >"$build/$t.log" 2>&1; then
      echo "asan: $t ok ($(grep -o '[0-9]* tests\? from [0-9]* test suites\? ran' "$build/$t.log" | head -1))"
    else
      echo "asan: $t FAILED (log $build/$t.log):"
      grep -m10 -E "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error|FAILED|SUMMARY" "$build/$t.log" ||
        tail -10 "$build/$t.log"
      exit 1
    fi ) &
  pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" || failed=1; done
echo "asan: unit tests took $(( $(date +%s) - run_start )) s"

# The service under the integration tests. Reports go to files (log_path), one per process, whatever the
# test does with the child's output; any file there fails the run. detect_leaks=0 for the binary: at exit
# LeakSanitizer would list libtorch's and OpenBLAS's process-lifetime allocations (thread pools,
# allocator caches, registries) that are never freed by design, and most runs end in SIGKILL anyway; the
# service's own containers are the torch-free stages' code, whose leaks the unit tests above check.
reports="$build/integration-reports"
rm -rf "$reports" && mkdir -p "$reports"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
export TBML_TEST_BINARY="$build/tbml"
run_start=$(date +%s)
pids=()
# Two at a time (2 cores): each program mostly waits on the service it started.
for t in "${itargets[@]+"${itargets[@]}"}"; do
  ( s=$(date +%s)
    if "$release/tests/$t" >"$build/$t.log" 2>&1; then echo "asan: $t ok ($(( $(date +%s) - s )) s)"
    else echo "asan: $t FAILED ($(( $(date +%s) - s )) s, log $build/$t.log):"; grep -m10 -E "Failure|FAILED" "$build/$t.log"; exit 1; fi ) &
  pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" || failed=1; done
if compgen -G "$reports/*" >/dev/null; then
  echo "asan: sanitizer reports from the service (in $reports):"
  for f in "$reports"/*; do grep -m5 -E "ERROR: AddressSanitizer|runtime error|SUMMARY" "$f" || head -5 "$f"; done
  failed=1
fi
echo "asan: integration tests took $(( $(date +%s) - run_start )) s; build and tests $(( $(date +%s) - start )) s"
exit $failed
