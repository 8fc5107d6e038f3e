#!/usr/bin/env bash
# Installs the Debian 12 packages tbml builds with. Idempotent: quiet and fast when all are present.
# xgboost (the CLI) is needed too: Debian's XGBoostTargets.cmake checks for /usr/bin/xgboost.
# clang-16, libfuzzer-16-dev and libclang-rt-16-dev (the sanitizer runtimes) build the coverage-guided
# fuzzers of fuzz/ (scripts/fuzz.sh) and the ASan + UBSan unit tests (scripts/asan.sh).
# libopenblas0-pthread replaces the reference libblas.so.3 that Debian's libtorch calls for matrix
# products (through update-alternatives): training and inference get about ten times faster.
# libblas-dev: cblas.h and the link name of that same libblas.so.3, whose sgemm the serving paths call.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libtorch-dev libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libcurl4-openssl-dev libsqlite3-dev libcli11-dev
  libopenblas0-pthread libblas-dev libxgboost-dev xgboost
)
# The test suite and tools on top of the build: googletest; yaml-cpp reads docs/openapi.yaml in the
# OpenAPI tests; chromium (headless) renders the status page in its browser test; curl and wrk for
# scripts and benchmarks; nginx checks the shard router's configuration (`nginx -t` in
# test_docker_files). TBML_SETUP_MINIMAL=1 (docker/Dockerfile's build stage) installs the build only.
if [ "${TBML_SETUP_MINIMAL:-0}" != "1" ]; then
  packages+=(
    googletest libgtest-dev libyaml-cpp-dev chromium
    curl wrk nginx
    clang-16 libfuzzer-16-dev libclang-rt-16-dev
  )
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
