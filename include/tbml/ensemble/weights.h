#pragma once
// Ensemble weights per model name: the defaults carried over from the original service and validation of
// user-supplied weights (POST /api/ensemble/:pair/weights).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/ensemble/strategy.h"

namespace tbml {

using WeightMap = std::map<std::string, double>;

inline constexpr double kMaxWeight = 1e6;

// {lstm 1.0, gru 0.9, cnn 0.8, transformer 0.7}
const WeightMap& default_weights();

// The weight of `model` in `weights`; when absent, its default weight; when it has no default either (a
// model type added later), 1.0 so that it takes part rather than silently vanishing.
double weight_for(const WeightMap& weights, const std::string& model);

struct WeightValidation {
  WeightMap weights;                // `base` overlaid with the submitted values (only when ok())
  std::vector<std::string> errors;  // one precise message per problem
  bool ok() const { return errors.empty(); }
};

// Validates a weights object such as {"lstm":1.0,"gru":0.9}. Errors: not an object, empty, unknown model
// (names are exact, lower-case), non-number (strings such as "NaN" or "1.0", booleans, null — nlohmann
// serialises NaN/Infinity as null), non-finite, negative, above kMaxWeight, and all weights zero. The
// all-zero check applies to the merged result `base` + submitted, so a partial update that zeroes one
// model is fine while the others keep weight.
WeightValidation validate_weights(const nlohmann::json& weights, const std::vector<std::string>& known_models,
                                  const WeightMap& base = {});

// The whole POST body {"weights":{...}, "strategy":"weighted"}: at least one of the two keys, no others.
struct WeightsRequest {
  std::optional<WeightMap> weights;  // merged with `base`
  std::optional<Strategy> strategy;
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};
WeightsRequest parse_weights_request(const nlohmann::json& body, const std::vector<std::string>& known_models,
                                     const WeightMap& base = {});

}  // namespace tbml
