// The four-member BTC snapshot the contract's examples describe (every member passed the edge test, so
// all four vote), shared by the tests of the prediction JSON and of its cached answer bytes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "tbml/ensemble/prediction_snapshot.h"

namespace tbml::test {

inline ModelPrediction member(std::string model, double p, int version, std::int64_t trained_at, double us) {
  ModelPrediction m;
  m.model = std::move(model);
  m.probability = p;
  m.version = version;
  m.trained_at = trained_at;
  m.inference_us = us;
  return m;
}

inline PredictionSnapshot contract_snapshot() {
  PredictionSnapshot s;
  s.pair = "BTC";
  s.data_timestamp = 1795215000000;
  s.computed_at = 1795215290000;
  s.feature_count = 84;
  s.horizon = 5;
  s.sequence_length = 60;
  s.models = {member("lstm", 0.58, 3, 1795000000000, 120.0), member("gru", 0.55, 2, 1795000000001, 90.0),
              member("cnn", 0.6, 1, 1795000000002, 40.0),
              member("transformer", 0.54, 4, 1795000000003, 200.0)};
  for (auto& m : s.models) {
    DirectionEdge e;
    e.verdict = EdgeVerdict::kReal;
    e.model_brier = 0.24;
    e.base_brier = 0.25;
    e.lower = 0.002;
    e.upper = 0.018;
    m.edge = e;
  }
  return s;
}

}  // namespace tbml::test
