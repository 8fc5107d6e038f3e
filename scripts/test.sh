#!/usr/bin/env bash
# README command 2: build and run the whole test suite with ctest; non-zero exit on any failure.
#   scripts/test.sh              Release build in build/, then the fuzzers, ASan + UBSan and TSan builds;
#                                every test runs once (what asan.sh runs is left out of the Release run)
#   scripts/test.sh --sanitize   ASan + UBSan build in build-sanitize/ (the whole suite, by hand)
# CI's run is the first: build, ctest, the fuzzers, scripts/asan.sh, scripts/tsan.sh (docs/reliability.md
# has the time of each step).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build"
# Benchmark programs are built by scripts/bench.sh, not here: the suite does not run them.
extra=(-DTBML_BUILD_BENCH=OFF)
# What scripts/asan.sh runs under ASan + UBSan (scripts/asan_set.sh) is left out of the Release build and
# its ctest: the same tests, stricter, once (CI's time, docs/reliability.md).
. "$root/scripts/asan_set.sh"
elsewhere="$(asan_unit_targets "${asan_default_stages[@]}")"
ctest_skip=()
if [ "${TBML_ASAN_INTEGRATION:-1}" = "1" ]; then
  ctest_skip=(-E "^integration_test_($(IFS='|'; echo "${asan_integration[*]}"))\$")
fi
if [ "${1:-}" = "--sanitize" ]; then
  build="$root/build-sanitize"
  extra=(-DTBML_SANITIZE=ON -DTBML_BUILD_BENCH=OFF -DTBML_TESTS_ELSEWHERE=)
  ctest_skip=()
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
else
  extra+=("-DTBML_TESTS_ELSEWHERE=${elsewhere// /;}")
fi
start=$(date +%s)
TBML_BUILD_DIR="$build" "$root/scripts/build.sh" "${extra[@]}"
echo "build took $(( $(date +%s) - start )) s"
cd "$build"
step=$(date +%s)
ctest --output-on-failure -j2 --timeout 300 "${ctest_skip[@]+"${ctest_skip[@]}"}"
echo "ctest took $(( $(date +%s) - step )) s"
# The parsers of outside input under libFuzzer (ASan + UBSan): seeds and saved crashes first, then a short
# coverage-guided run per harness (scripts/fuzz.sh runs them longer).
if [ "${1:-}" != "--sanitize" ]; then
  step=$(date +%s)
  "$root/scripts/fuzz.sh" "${TBML_FUZZ_SECONDS:-5}"
  echo "fuzz took $(( $(date +%s) - step )) s"
  # The unit tests of the chosen stages under ASan + UBSan (their own clang build, only those targets).
  "$root/scripts/asan.sh"
  # The concurrency tests under ThreadSanitizer (their own build, only the targets they need).
  "$root/scripts/tsan.sh"
fi
echo "build and tests took $(( $(date +%s) - start )) s"
