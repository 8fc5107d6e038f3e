#!/usr/bin/env bash
# The one clang-16 ASan + UBSan build (build-asan/) shared by scripts/asan.sh (unit tests, the tbml binary
# for the chosen integration tests) and scripts/fuzz.sh (the libFuzzer harnesses): the same configuration,
# so what one script compiled the other reuses. Builds only the targets given.
#   scripts/asan_build.sh TARGET...
# -O0: clang's ASan + UBSan compile at -O0 takes a fifth of g++'s at -O1 and less than the Release build's
# (docs/reliability.md). -gline-tables-only: file and line in reports for a fraction of -g's cost.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TBML_ASAN_BUILD_DIR:-$root/build-asan}"
"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=Release -DTBML_SANITIZE=ON \
  -DTBML_SANITIZE_OPT_LEVEL=-O0 -DTBML_TEST_OPT_LEVEL=-O0 -DTBML_BUILD_BENCH=OFF -DTBML_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="-gline-tables-only" -DTBML_TEST_GROUP="$(IFS=';'; echo "$*")" >/dev/null
# One target whose dependencies are the programs: with Makefiles `--target a b c` builds one after the other.
cmake --build "$build" -j"$(nproc)" --target test_group >/dev/null
