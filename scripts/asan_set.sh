# Sourced by scripts/asan.sh and scripts/test.sh: which test programs run under ASan + UBSan in CI.
# test.sh leaves these out of the Release build and its ctest (they run under ASan instead, a stricter
# run of the same tests), which pays for the ASan binary within CI's time (docs/reliability.md, CI time).
root="${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

# Unit test stages: ring buffers and indicator windows (features), candle ingest and alignment (market),
# the SQLite C API (storage), the model registry, training queue and the binary tensor parser (models),
# the ensemble's snapshots and outcome tracking, and the configuration layers.
asan_default_stages=(config features market models storage ensemble)
# Every stage that does not link libtorch (`scripts/asan.sh all-torch-free`, by hand).
asan_torch_free_stages=(config features market models trees volatility ensemble decision storage sim)

# Programs of those stages that skip themselves under a sanitizer (they measure glibc's malloc): they stay
# in the Release run.
asan_release_only=(models_test_training_queue_memory)

# The integration tests that send the service the riskiest input: every route's validation (validation,
# fuzz: random requests, bodyless_requests: raw HTTP edge cases), the core's payloads and faults
# (upstream_faults), a locked database that must lose nothing (storage_faults), hostile model files on
# disk (model_refusal).
asan_integration=(validation fuzz bodyless_requests upstream_faults storage_faults model_refusal)

# asan_unit_targets STAGE...: the unit test programs of the stages, without asan_release_only.
asan_unit_targets() {
  local s f t skip out=()
  for s in "$@"; do
    for f in "$root"/tests/unit/"$s"/test_*.cpp; do
      t="${s}_$(basename "$f" .cpp)"
      skip=0
      for r in "${asan_release_only[@]}"; do [ "$t" = "$r" ] && skip=1; done
      [ $skip = 0 ] && out+=("$t")
    done
  done
  echo "${out[@]}"
}
