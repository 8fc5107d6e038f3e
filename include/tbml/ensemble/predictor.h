#pragma once
// Runs a pair's models once on its latest window and packs the results into a PredictionSnapshot. A
// model that throws, returns the wrong number of values, or returns a non-finite or out-of-[0, 1] value
// is listed under `errors` and the others still count.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tbml/ensemble/prediction_snapshot.h"
#include "tbml/models/model.h"

namespace tbml {

struct PredictionMeta {
  std::string pair;
  std::int64_t data_timestamp = 0;  // timestamp of the candle of the window's last row
  std::size_t horizon = 5;
  std::int64_t computed_at = 0;  // epoch ms; 0 = now
  // MC-dropout passes per network (decision.uncertainty.mcDropoutPasses; 0: none). Drawn here, on the
  // candle path, so a request never runs a model; a model without dropout draws none.
  std::size_t mc_dropout_passes = 0;
};

// `window` is `rows` x `width` raw floats, row-major (the latest sequence of feature rows). A model whose
// sequence_length or feature count differs from rows/width is reported as an error rather than fed a
// wrongly shaped window. Throws std::invalid_argument for a null window, zero rows/width or an empty pair.
PredictionSnapshot run_models(const std::vector<ModelPtr>& models, const float* window, std::size_t rows,
                              std::size_t width, const PredictionMeta& meta);

}  // namespace tbml
