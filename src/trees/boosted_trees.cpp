#include "tbml/trees/boosted_trees.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace tbml {
namespace {

using nlohmann::json;

// Every XGBoost call goes through here: a non-zero return code becomes an exception with XGBoost's reason.
void check(int rc, const char* call) {
  if (rc != 0) {
    const char* why = XGBGetLastError();
    throw std::runtime_error(std::string("xgboost ") + call + " failed: " + (why && *why ? why : "unknown error"));
  }
}

struct DMatrixDeleter {
  void operator()(void* m) const {
    if (m) XGDMatrixFree(m);
  }
};
using DMatrix = std::unique_ptr<void, DMatrixDeleter>;

struct BoosterDeleter {
  void operator()(void* b) const {
    if (b) XGBoosterFree(b);
  }
};
using Booster = std::unique_ptr<void, BoosterDeleter>;

DMatrix make_dmatrix(const float* x, std::size_t rows, std::size_t width, int threads) {
  DMatrixHandle handle = nullptr;
  check(XGDMatrixCreateFromMat_omp(x, static_cast<bst_ulong>(rows), static_cast<bst_ulong>(width),
                                   std::numeric_limits<float>::quiet_NaN(), &handle, threads),
        "XGDMatrixCreateFromMat");
  return DMatrix(handle);
}

Booster make_booster(const DMatrixHandle* cache, bst_ulong n) {
  BoosterHandle handle = nullptr;
  check(XGBoosterCreate(cache, n, &handle), "XGBoosterCreate");
  return Booster(handle);
}

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void set_param(BoosterHandle b, const char* name, const std::string& value) {
  if (XGBoosterSetParam(b, name, value.c_str()) != 0)
    check(-1, (std::string("XGBoosterSetParam(") + name + "=" + value + ")").c_str());
}

const char* metric_of(TreeObjective o) { return o == TreeObjective::kBinaryLogistic ? "logloss" : "rmse"; }
const char* objective_name(TreeObjective o) {
  return o == TreeObjective::kBinaryLogistic ? "binary:logistic" : "reg:squarederror";
}

// "[3]\ttrain-logloss:0.61\tvalidation-logloss:0.66" -> the value after "<set>-<metric>:".
double eval_value(const char* text, const std::string& set, const char* metric) {
  const std::string s = text ? text : "";
  const std::string key = set + "-" + metric + ":";
  const auto at = s.find(key);
  if (at == std::string::npos) throw std::runtime_error("xgboost evaluation '" + s + "' has no " + key);
  const char* begin = s.c_str() + at + key.size();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin) throw std::runtime_error("xgboost evaluation '" + s + "': unreadable " + key);
  return v;
}

void check_matrix(const std::vector<float>& x, const std::vector<float>& y, std::size_t width, const char* part,
                  TreeObjective objective) {
  if (y.empty()) throw std::invalid_argument(std::string("boosted trees: no ") + part + " rows");
  if (x.size() != y.size() * width)
    throw std::invalid_argument(std::string("boosted trees: ") + part + " has " + std::to_string(x.size()) +
                                " values for " + std::to_string(y.size()) + " rows of width " + std::to_string(width));
  for (float v : y) {
    if (!std::isfinite(v)) throw std::invalid_argument(std::string("boosted trees: non-finite ") + part + " label");
    if (objective == TreeObjective::kBinaryLogistic && v != 0.0f && v != 1.0f)
      throw std::invalid_argument(std::string("boosted trees: ") + part + " label " + number(v) + " is not 0 or 1");
  }
}

// XGBoost's JSON writes most numbers as strings ("num_nodes": "7"); accept either.
long long json_int(const json& j, const char* what) {
  try {
    if (j.is_string()) {
      const std::string s = j.get<std::string>();
      std::size_t used = 0;
      const long long v = std::stoll(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
      return v;
    }
    if (j.is_number_integer()) return j.get<long long>();
  } catch (const std::exception&) {
  }
  throw std::runtime_error(std::string("damaged model: bad ") + what);
}

struct ModelShape {
  std::size_t width = 0;
  std::size_t nodes = 0;
  TreeObjective objective = TreeObjective::kBinaryLogistic;
};

// Structural check of an XGBoost JSON model before XGBoost reads it: XGBoost validates sizes but not that
// child indices form a tree or that split features exist, and a bad index would be read out of bounds at
// prediction time. Only what this class writes is accepted (gbtree, numerical splits).
ModelShape check_model_json(const std::string& bytes) {
  if (bytes.empty() || bytes.front() != '{') throw std::runtime_error("damaged model: not XGBoost JSON");
  json doc;
  try {
    doc = json::parse(bytes);
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("damaged model: ") + e.what());
  }
  try {
    const json& learner = doc.at("learner");
    ModelShape shape;
    const long long width = json_int(learner.at("learner_model_param").at("num_feature"), "num_feature");
    if (width < 1 || width > 1'000'000) throw std::runtime_error("damaged model: num_feature " + std::to_string(width));
    shape.width = static_cast<std::size_t>(width);
    const std::string objective = learner.at("objective").at("name").get<std::string>();
    if (objective == "binary:logistic")
      shape.objective = TreeObjective::kBinaryLogistic;
    else if (objective == "reg:squarederror")
      shape.objective = TreeObjective::kSquaredError;
    else
      throw std::runtime_error("damaged model: unexpected objective '" + objective + "'");
    const json& booster = learner.at("gradient_booster");
    if (booster.at("name").get<std::string>() != "gbtree")
      throw std::runtime_error("damaged model: not a gbtree booster");
    const json& trees = booster.at("model").at("trees");
    if (!trees.is_array()) throw std::runtime_error("damaged model: trees is not an array");
    if (json_int(booster.at("model").at("gbtree_model_param").at("num_trees"), "num_trees") !=
        static_cast<long long>(trees.size()))
      throw std::runtime_error("damaged model: num_trees differs from the trees stored");
    for (const json& tree : trees) {
      const long long n = json_int(tree.at("tree_param").at("num_nodes"), "num_nodes");
      const auto& left = tree.at("left_children");
      const auto& right = tree.at("right_children");
      const auto& split = tree.at("split_indices");
      const auto& conditions = tree.at("split_conditions");
      const auto& type = tree.at("split_type");
      if (n < 1 || left.size() != static_cast<std::size_t>(n) || right.size() != left.size() ||
          split.size() != left.size() || conditions.size() != left.size() || type.size() != left.size())
        throw std::runtime_error("damaged model: tree arrays do not match num_nodes");
      // Walk from the root: every child in range and reached once (no cycles, no shared nodes).
      std::vector<std::uint8_t> seen(left.size(), 0);
      std::vector<long long> stack{0};
      seen[0] = 1;
      while (!stack.empty()) {
        const auto i = static_cast<std::size_t>(stack.back());
        stack.pop_back();
        ++shape.nodes;
        const long long l = left[i].get<long long>(), r = right[i].get<long long>();
        if (l == -1 && r == -1) continue;  // leaf
        const long long f = split[i].get<long long>();
        if (f < 0 || f >= width) throw std::runtime_error("damaged model: split on feature " + std::to_string(f));
        if (type[i].get<long long>() != 0) throw std::runtime_error("damaged model: categorical split");
        for (long long c : {l, r}) {
          if (c < 1 || c >= n || seen[static_cast<std::size_t>(c)])
            throw std::runtime_error("damaged model: trees are not trees (child " + std::to_string(c) + ")");
          seen[static_cast<std::size_t>(c)] = 1;
          stack.push_back(c);
        }
      }
    }
    return shape;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("damaged model: ") + e.what());
  }
}

void check_int(const char* name, int v, int lo, int hi) {
  if (v < lo || v > hi)
    throw std::invalid_argument(std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                "], got " + std::to_string(v));
}

void check_real(const char* name, double v, double lo, double hi, bool lo_open) {
  const bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (!ok)
    throw std::invalid_argument(std::string(name) + " must be in " + (lo_open ? "(" : "[") + number(lo) + ", " +
                                number(hi) + "], got " + number(v));
}

}  // namespace

void BoostedTreesOptions::validate() const {
  check_int("rounds", max_rounds, 1, 100000);
  check_int("earlyStopping", early_stopping_rounds, 0, 100000);
  check_int("maxDepth", max_depth, 1, 16);
  check_real("eta", learning_rate, 0.0, 1.0, true);
  check_real("subsample", subsample, 0.0, 1.0, true);
  check_real("colsample", colsample, 0.0, 1.0, true);
  check_real("minChildWeight", min_child_weight, 0.0, 1e9, false);
  check_real("lambda", lambda, 0.0, 1e9, false);
  check_int("threads", threads, 1, 1024);
}

json resolve_tree_architecture(const json& requested) {
  const BoostedTreesOptions o = tree_options_from_architecture(requested);
  return json{{"maxDepth", o.max_depth},       {"rounds", o.max_rounds},       {"earlyStopping", o.early_stopping_rounds},
              {"eta", o.learning_rate},        {"subsample", o.subsample},     {"colsample", o.colsample},
              {"minChildWeight", o.min_child_weight}, {"lambda", o.lambda}};
}

BoostedTreesOptions tree_options_from_architecture(const json& architecture) {
  BoostedTreesOptions o;
  if (architecture.is_null()) return o;
  if (!architecture.is_object()) throw std::invalid_argument("tree architecture must be a JSON object");
  auto integer = [](const std::string& key, const json& v) {
    if (!v.is_number_integer()) throw std::invalid_argument("tree architecture '" + key + "' must be an integer");
    const auto x = v.get<long long>();
    if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
      throw std::invalid_argument("tree architecture '" + key + "' is out of range");
    return static_cast<int>(x);
  };
  auto real = [](const std::string& key, const json& v) {
    if (!v.is_number()) throw std::invalid_argument("tree architecture '" + key + "' must be a number");
    return v.get<double>();
  };
  std::vector<std::string> unknown;
  for (const auto& [key, value] : architecture.items()) {
    if (key == "maxDepth") o.max_depth = integer(key, value);
    else if (key == "rounds") o.max_rounds = integer(key, value);
    else if (key == "earlyStopping") o.early_stopping_rounds = integer(key, value);
    else if (key == "eta") o.learning_rate = real(key, value);
    else if (key == "subsample") o.subsample = real(key, value);
    else if (key == "colsample") o.colsample = real(key, value);
    else if (key == "minChildWeight") o.min_child_weight = real(key, value);
    else if (key == "lambda") o.lambda = real(key, value);
    else unknown.push_back(key);
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& k : unknown) list += (list.empty() ? "'" : ", '") + k + "'";
    throw std::invalid_argument("unknown tree architecture key(s) " + list +
                                " (maxDepth, rounds, earlyStopping, eta, subsample, colsample, minChildWeight, lambda)");
  }
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("tree architecture: ") + e.what());
  }
  return o;
}

struct BoostedTrees::Handle {
  Booster booster;
  int threads = 1;
  // XGBoost's learner keeps per-DMatrix prediction caches and configures itself lazily: one call at a time.
  mutable std::mutex mutex;
};

BoostedTrees::BoostedTrees(BoostedTrees&&) noexcept = default;
BoostedTrees& BoostedTrees::operator=(BoostedTrees&&) noexcept = default;
BoostedTrees::~BoostedTrees() = default;

BoostedTrees BoostedTrees::fit(const std::vector<float>& x_train, const std::vector<float>& y_train,
                               const std::vector<float>& x_validation, const std::vector<float>& y_validation,
                               std::size_t width, const BoostedTreesOptions& options,
                               const std::function<void(const BoostedTreesRound&)>& on_round) {
  options.validate();
  if (width == 0) throw std::invalid_argument("boosted trees: width must be positive");
  check_matrix(x_train, y_train, width, "training", options.objective);
  check_matrix(x_validation, y_validation, width, "validation", options.objective);

  DMatrix train = make_dmatrix(x_train.data(), y_train.size(), width, options.threads);
  DMatrix validation = make_dmatrix(x_validation.data(), y_validation.size(), width, options.threads);
  check(XGDMatrixSetFloatInfo(train.get(), "label", y_train.data(), static_cast<bst_ulong>(y_train.size())),
        "XGDMatrixSetFloatInfo(train label)");
  check(XGDMatrixSetFloatInfo(validation.get(), "label", y_validation.data(),
                              static_cast<bst_ulong>(y_validation.size())),
        "XGDMatrixSetFloatInfo(validation label)");

  DMatrixHandle sets[2] = {train.get(), validation.get()};
  const char* names[2] = {"train", "validation"};
  Booster booster = make_booster(sets, 2);
  BoosterHandle b = booster.get();
  // The intercept starts at the training mean (XGBoost 1.7 would start at 0.5), so round 1 already
  // forecasts the base rate and early stopping compares later rounds against it.
  double mean = 0.0;
  for (float v : y_train) mean += v;
  mean /= static_cast<double>(y_train.size());
  if (options.objective == TreeObjective::kBinaryLogistic) mean = std::clamp(mean, 1e-3, 1.0 - 1e-3);
  set_param(b, "verbosity", "0");
  set_param(b, "nthread", std::to_string(options.threads));
  set_param(b, "seed", std::to_string(options.seed & 0x7fffffffULL));
  set_param(b, "objective", objective_name(options.objective));
  set_param(b, "eval_metric", metric_of(options.objective));
  const bool binary = options.objective == TreeObjective::kBinaryLogistic;
  if (binary) set_param(b, "eval_metric", "error");  // a second metric: misclassified share at 0.5
  set_param(b, "base_score", number(mean));
  set_param(b, "tree_method", "hist");
  set_param(b, "max_depth", std::to_string(options.max_depth));
  set_param(b, "eta", number(options.learning_rate));
  set_param(b, "subsample", number(options.subsample));
  set_param(b, "colsample_bytree", number(options.colsample));
  set_param(b, "min_child_weight", number(options.min_child_weight));
  set_param(b, "lambda", number(options.lambda));

  BoostedTreesFit fit;
  double best = std::numeric_limits<double>::infinity();
  for (int round = 1; round <= options.max_rounds; ++round) {
    check(XGBoosterUpdateOneIter(b, round - 1, train.get()), "XGBoosterUpdateOneIter");
    const char* text = nullptr;
    check(XGBoosterEvalOneIter(b, round - 1, sets, names, 2, &text), "XGBoosterEvalOneIter");
    BoostedTreesRound r;
    r.round = round;
    r.max_rounds = options.max_rounds;
    r.train_loss = eval_value(text, "train", metric_of(options.objective));
    r.validation_loss = eval_value(text, "validation", metric_of(options.objective));
    r.validation_accuracy =
        binary ? 1.0 - eval_value(text, "validation", "error") : std::numeric_limits<double>::quiet_NaN();
    if (!std::isfinite(r.train_loss) || !std::isfinite(r.validation_loss))
      throw std::runtime_error("boosted trees diverged: non-finite loss at round " + std::to_string(round));
    if (r.validation_loss < best) {
      best = r.validation_loss;
      fit.best_round = round;
      fit.train_loss = r.train_loss;
      fit.validation_loss = r.validation_loss;
      r.improved = true;
    }
    r.best_round = fit.best_round;
    fit.rounds_run = round;
    if (on_round) on_round(r);
    if (options.early_stopping_rounds > 0 && round - fit.best_round >= options.early_stopping_rounds) break;
  }

  // Keep the best rounds only, then go through the saved bytes so the model trained is exactly the model
  // stored and loaded later.
  Booster kept;
  if (fit.best_round < fit.rounds_run) {
    BoosterHandle sliced = nullptr;
    check(XGBoosterSlice(b, 0, fit.best_round, 1, &sliced), "XGBoosterSlice");
    kept.reset(sliced);
  }
  bst_ulong len = 0;
  const char* data = nullptr;
  check(XGBoosterSaveModelToBuffer(kept ? kept.get() : b, R"({"format":"json"})", &len, &data),
        "XGBoosterSaveModelToBuffer");
  BoostedTrees out = load(std::string(data, data + len), options.threads);
  if (out.rounds_ != fit.best_round)
    throw std::runtime_error("boosted trees: kept " + std::to_string(out.rounds_) + " rounds, expected " +
                             std::to_string(fit.best_round));
  out.fit_ = fit;
  return out;
}

BoostedTrees BoostedTrees::load(const std::string& bytes, int threads) {
  if (threads < 1) throw std::invalid_argument("boosted trees: threads must be at least 1");
  const ModelShape shape = check_model_json(bytes);
  Booster booster = make_booster(nullptr, 0);
  set_param(booster.get(), "verbosity", "0");
  check(XGBoosterLoadModelFromBuffer(booster.get(), bytes.data(), static_cast<bst_ulong>(bytes.size())),
        "XGBoosterLoadModelFromBuffer");
  set_param(booster.get(), "verbosity", "0");
  set_param(booster.get(), "nthread", std::to_string(threads));
  bst_ulong features = 0;
  check(XGBoosterGetNumFeature(booster.get(), &features), "XGBoosterGetNumFeature");
  if (features != shape.width)
    throw std::runtime_error("damaged model: " + std::to_string(features) + " features, JSON says " +
                             std::to_string(shape.width));
  int rounds = 0;
  check(XGBoosterBoostedRounds(booster.get(), &rounds), "XGBoosterBoostedRounds");

  BoostedTrees out;
  out.handle_ = std::make_unique<Handle>();
  out.handle_->booster = std::move(booster);
  out.handle_->threads = threads;
  out.width_ = shape.width;
  out.nodes_ = shape.nodes;
  out.rounds_ = rounds;
  out.objective_ = shape.objective;
  out.fit_.best_round = rounds;
  out.fit_.rounds_run = rounds;
  return out;
}

std::vector<double> BoostedTrees::predict(const float* x, std::size_t rows) const {
  if (rows == 0) return {};
  if (x == nullptr) throw std::invalid_argument("boosted trees: predict on null data");
  if (!handle_) throw std::logic_error("boosted trees: moved-from model");
  DMatrix m = make_dmatrix(x, rows, width_, handle_->threads);
  std::lock_guard<std::mutex> lock(handle_->mutex);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  check(XGBoosterPredictFromDMatrix(handle_->booster.get(), m.get(),
                                    R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})",
                                    &shape, &dim, &result),
        "XGBoosterPredictFromDMatrix");
  bst_ulong total = dim > 0 ? 1 : 0;
  for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
  if (total != rows)
    throw std::runtime_error("boosted trees: " + std::to_string(total) + " predictions for " + std::to_string(rows) +
                             " rows");
  return std::vector<double>(result, result + rows);
}

std::string BoostedTrees::save() const {
  if (!handle_) throw std::logic_error("boosted trees: moved-from model");
  std::lock_guard<std::mutex> lock(handle_->mutex);
  bst_ulong len = 0;
  const char* data = nullptr;
  check(XGBoosterSaveModelToBuffer(handle_->booster.get(), R"({"format":"json"})", &len, &data),
        "XGBoosterSaveModelToBuffer");
  return std::string(data, data + len);
}

std::vector<double> BoostedTrees::gain_importance() const {
  if (!handle_) throw std::logic_error("boosted trees: moved-from model");
  std::vector<double> gain(width_, 0.0);
  std::lock_guard<std::mutex> lock(handle_->mutex);
  bst_ulong n_features = 0, dim = 0;
  const char** features = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  check(XGBoosterFeatureScore(handle_->booster.get(), R"({"importance_type":"total_gain"})", &n_features,
                              &features, &dim, &shape, &scores),
        "XGBoosterFeatureScore");
  for (bst_ulong i = 0; i < n_features; ++i) {
    // No feature names are set, so XGBoost names column k "fk".
    const std::string_view name = features[i] ? features[i] : "";
    char* end = nullptr;
    const unsigned long k = name.size() > 1 && name[0] == 'f' ? std::strtoul(features[i] + 1, &end, 10) : width_;
    if (k >= width_ || end == nullptr || *end != '\0')
      throw std::runtime_error("boosted trees: unexpected feature name '" + std::string(name) + "' in importance");
    gain[k] += static_cast<double>(scores[i]);
  }
  return gain;
}

}  // namespace tbml
