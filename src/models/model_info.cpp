// Names of model types and the JSON form of model metadata (stored next to every model's weights and
// shown by /status), kept torch-free so every stage can read it.
#include <sstream>
#include <stdexcept>

#include "tbml/models/model.h"

namespace tbml {
namespace {

using nlohmann::json;

// Reads a required key with a message naming it, so a damaged meta.json says what is wrong.
template <typename T>
T required(const json& j, const char* key) {
  if (!j.is_object()) throw std::invalid_argument("expected a JSON object holding '" + std::string(key) + "'");
  auto it = j.find(key);
  if (it == j.end()) throw std::invalid_argument(std::string("missing key '") + key + "'");
  try {
    return it->get<T>();
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("bad value for '") + key + "': " + e.what());
  }
}

template <typename T>
T optional_value(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("bad value for '") + key + "': " + e.what());
  }
}

}  // namespace

const std::vector<ModelType>& all_model_types() {
  static const std::vector<ModelType> types{ModelType::kLstm, ModelType::kGru, ModelType::kCnn,
                                            ModelType::kTransformer, ModelType::kXgboost};
  return types;
}

std::string to_string(ModelType type) {
  switch (type) {
    case ModelType::kLstm: return "lstm";
    case ModelType::kGru: return "gru";
    case ModelType::kCnn: return "cnn";
    case ModelType::kTransformer: return "transformer";
    case ModelType::kXgboost: return "xgboost";
  }
  throw std::invalid_argument("unknown model type value " + std::to_string(static_cast<int>(type)));
}

std::optional<ModelType> parse_model_type(std::string_view name) {
  for (ModelType type : all_model_types()) {
    if (to_string(type) == name) return type;
  }
  return std::nullopt;
}

bool is_network(ModelType type) { return type != ModelType::kXgboost; }

std::vector<ModelType> parse_model_list(const std::string& list) {
  std::vector<ModelType> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    const std::string name = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    const auto type = parse_model_type(name);
    if (!type) throw std::invalid_argument("--models: unknown model '" + name + "' (lstm, gru, cnn, transformer, xgboost)");
    out.push_back(*type);
  }
  if (out.empty()) throw std::invalid_argument("--models: no model given");
  return out;
}

json SplitMetrics::to_json() const {
  return json{{"samples", samples}, {"loss", loss},         {"accuracy", accuracy},
              {"brier", brier},     {"auc", auc},           {"baseRate", base_rate}};
}

SplitMetrics SplitMetrics::from_json(const json& j) {
  SplitMetrics m;
  m.samples = required<std::size_t>(j, "samples");
  m.loss = required<double>(j, "loss");
  m.accuracy = required<double>(j, "accuracy");
  m.brier = required<double>(j, "brier");
  m.auc = required<double>(j, "auc");
  m.base_rate = required<double>(j, "baseRate");
  return m;
}

bool TrainingReport::calibration_checked() const {
  return calibration.is_object() && calibration.contains("heldOut") && calibration["heldOut"].is_number() &&
         calibration["heldOut"].get<double>() > 0.0;
}

json TrainingReport::to_json() const {
  json j{{"train", train.to_json()},
              {"validation", validation.to_json()},
              {"test", test.to_json()},
              {"epochsRun", epochs_run},
              {"bestEpoch", best_epoch},
              {"wallSeconds", wall_seconds},
              {"dataFrom", data_from},
              {"dataTo", data_to},
              {"cancelled", cancelled}};
  if (test_uncalibrated) j["testUncalibrated"] = test_uncalibrated->to_json();
  if (!calibration.is_null()) j["calibration"] = calibration;
  if (edge) j["edge"] = edge->to_json();
  return j;
}

TrainingReport TrainingReport::from_json(const json& j) {
  TrainingReport r;
  r.train = SplitMetrics::from_json(required<json>(j, "train"));
  r.validation = SplitMetrics::from_json(required<json>(j, "validation"));
  r.test = SplitMetrics::from_json(required<json>(j, "test"));
  r.epochs_run = required<int>(j, "epochsRun");
  r.best_epoch = required<int>(j, "bestEpoch");
  r.wall_seconds = required<double>(j, "wallSeconds");
  r.data_from = required<std::int64_t>(j, "dataFrom");
  r.data_to = required<std::int64_t>(j, "dataTo");
  r.cancelled = optional_value<bool>(j, "cancelled", false);
  const json uncalibrated = optional_value<json>(j, "testUncalibrated", json());
  if (!uncalibrated.is_null()) r.test_uncalibrated = SplitMetrics::from_json(uncalibrated);
  r.calibration = optional_value<json>(j, "calibration", json());
  const json edge = optional_value<json>(j, "edge", json());
  if (!edge.is_null()) r.edge = DirectionEdge::from_json(edge);
  return r;
}

json ModelInfo::to_json() const {
  return json{{"type", to_string(type)},
              {"pair", pair},
              {"version", version},
              {"trainedAt", trained_at},
              {"featureNames", feature_names},
              {"featureVersion", feature_version},
              {"sequenceLength", sequence_length},
              {"horizon", horizon},
              {"parameters", parameters},
              {"config", config.is_null() ? json::object() : config},
              {"report", report.to_json()}};
}

ModelInfo ModelInfo::from_json(const json& j) {
  ModelInfo info;
  auto type_name = required<std::string>(j, "type");
  auto type = parse_model_type(type_name);
  if (!type) throw std::invalid_argument("unknown model type '" + type_name + "'");
  info.type = *type;
  info.pair = required<std::string>(j, "pair");
  info.version = optional_value<int>(j, "version", 0);
  info.trained_at = required<std::int64_t>(j, "trainedAt");
  info.feature_names = required<std::vector<std::string>>(j, "featureNames");
  info.feature_version = optional_value<std::string>(j, "featureVersion", "");
  info.sequence_length = required<std::size_t>(j, "sequenceLength");
  info.horizon = required<std::size_t>(j, "horizon");
  info.parameters = required<std::size_t>(j, "parameters");
  info.config = optional_value<json>(j, "config", json::object());
  info.report = TrainingReport::from_json(required<json>(j, "report"));
  if (info.sequence_length == 0) throw std::invalid_argument("sequenceLength must be positive");
  if (info.horizon == 0) throw std::invalid_argument("horizon must be positive");
  return info;
}

}  // namespace tbml
