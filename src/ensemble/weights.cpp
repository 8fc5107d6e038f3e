#include "tbml/ensemble/weights.h"

#include <algorithm>
#include <cmath>

namespace tbml {

const WeightMap& default_weights() {
  static const WeightMap kDefaults = {{"lstm", 1.0}, {"gru", 0.9}, {"cnn", 0.8}, {"transformer", 0.7}, {"xgboost", 0.8}};
  return kDefaults;
}

double weight_for(const WeightMap& weights, const std::string& model) {
  if (auto it = weights.find(model); it != weights.end()) return it->second;
  if (auto it = default_weights().find(model); it != default_weights().end()) return it->second;
  return 1.0;
}

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string describe_non_number(const nlohmann::json& value) {
  if (value.is_null()) return "null (NaN and Infinity are not valid JSON numbers)";
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    std::string lower = s;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "nan" || lower == "inf" || lower == "infinity" || lower == "-inf" || lower == "-infinity" ||
        lower == "+inf" || lower == "+infinity") {
      return "the string \"" + s + "\" (weights must be finite numbers)";
    }
    return "a string (\"" + s + "\")";
  }
  if (value.is_boolean()) return "a boolean";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return "not a number";
}

}  // namespace

WeightValidation validate_weights(const nlohmann::json& weights, const std::vector<std::string>& known_models,
                                  const WeightMap& base) {
  WeightValidation out;
  if (!weights.is_object()) {
    out.errors.push_back("weights must be a JSON object mapping model name to a number, e.g. {\"lstm\":1.0}");
    return out;
  }
  if (weights.empty()) {
    out.errors.push_back("weights object is empty; give at least one of: " + join(known_models));
    return out;
  }
  WeightMap merged = base;
  for (const auto& [name, value] : weights.items()) {
    const bool known = std::find(known_models.begin(), known_models.end(), name) != known_models.end();
    if (!known) {
      out.errors.push_back("unknown model '" + name + "' (known: " + join(known_models) + ")");
      continue;
    }
    if (!value.is_number()) {
      out.errors.push_back("weight of '" + name + "' must be a number, got " + describe_non_number(value));
      continue;
    }
    const double w = value.get<double>();
    if (!std::isfinite(w)) {
      out.errors.push_back("weight of '" + name + "' must be finite");
    } else if (w < 0.0) {
      out.errors.push_back("weight of '" + name + "' must be >= 0, got " + std::to_string(w));
    } else if (w > kMaxWeight) {
      out.errors.push_back("weight of '" + name + "' must be <= 1e6, got " + std::to_string(w));
    } else {
      merged[name] = w;
    }
  }
  if (!out.errors.empty()) return out;
  double total = 0.0;
  for (const auto& [name, w] : merged) total += w;
  if (total <= 0.0) {
    out.errors.push_back("weights are all zero; at least one model needs a positive weight");
    return out;
  }
  out.weights = std::move(merged);
  return out;
}

WeightsRequest parse_weights_request(const nlohmann::json& body, const std::vector<std::string>& known_models,
                                     const WeightMap& base) {
  WeightsRequest out;
  if (!body.is_object()) {
    out.errors.push_back("body must be a JSON object such as {\"weights\":{\"lstm\":1.0}, \"strategy\":\"weighted\"}");
    return out;
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "weights" && key != "strategy") out.errors.push_back("unknown field '" + key + "' (expected weights, strategy)");
  }
  if (!body.contains("weights") && !body.contains("strategy")) {
    out.errors.push_back("body needs 'weights' and/or 'strategy'");
  }
  if (body.contains("strategy")) {
    const auto& s = body["strategy"];
    std::optional<Strategy> parsed = s.is_string() ? try_parse_strategy(s.get<std::string>()) : std::nullopt;
    if (parsed) {
      out.strategy = parsed;
    } else {
      out.errors.push_back("invalid strategy " + s.dump() + "; valid strategies: " + valid_strategy_list());
    }
  }
  if (body.contains("weights")) {
    WeightValidation v = validate_weights(body["weights"], known_models, base);
    if (v.ok()) {
      out.weights = std::move(v.weights);
    } else {
      out.errors.insert(out.errors.end(), v.errors.begin(), v.errors.end());
    }
  }
  if (!out.ok()) {
    out.weights.reset();
    out.strategy.reset();
  }
  return out;
}

}  // namespace tbml
