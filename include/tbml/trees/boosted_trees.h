#pragma once
// Gradient-boosted trees through XGBoost's C API (Debian's libxgboost-dev 1.7), torch-free. One class
// for both targets the service forecasts: P(up) (binary:logistic) and log realised variance
// (reg:squarederror). Training stops early on a validation set that the caller splits off
// chronologically; the booster is kept at its best iteration. Models round-trip through bytes (XGBoost's
// JSON model format) so they are stored like the networks' weights.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml {

enum class TreeObjective { kBinaryLogistic, kSquaredError };

struct BoostedTreesOptions {
  TreeObjective objective = TreeObjective::kBinaryLogistic;
  int max_rounds = 300;            // boosting rounds at most
  int early_stopping_rounds = 20;  // rounds without a validation improvement before stopping; 0 = never
  int max_depth = 3;
  double learning_rate = 0.05;     // eta
  double subsample = 0.8;
  double colsample = 0.8;          // colsample_bytree
  double min_child_weight = 5.0;
  double lambda = 1.0;             // L2 on leaf weights
  int threads = 1;                 // nthread: one, like torch, so training never starves requests
  std::uint64_t seed = 42;         // XGBoost takes the low 31 bits

  void validate() const;  // throws std::invalid_argument naming the bad field
};

// The tree hyper-parameters as JSON (the `architecture` object of a model's config, the way the networks
// take theirs): {"maxDepth","rounds","earlyStopping","eta","subsample","colsample","minChildWeight",
// "lambda"}. resolve_tree_architecture fills in the defaults above and checks types and ranges; unknown
// keys or bad values throw std::invalid_argument naming them. The result is what gets stored with a model.
nlohmann::json resolve_tree_architecture(const nlohmann::json& requested);
// Options from a (resolved or partial) architecture object; objective, threads and seed stay at their
// defaults for the caller to set. Throws like resolve_tree_architecture.
BoostedTreesOptions tree_options_from_architecture(const nlohmann::json& architecture);

struct BoostedTreesFit {
  int best_round = 0;         // 1-based number of rounds kept
  int rounds_run = 0;
  double train_loss = 0.0;    // logloss or rmse at the best round
  double validation_loss = 0.0;
};

// Reported after every boosting round; a callback that throws aborts fit() (nothing leaks).
struct BoostedTreesRound {
  int round = 0;  // 1-based
  int max_rounds = 0;
  double train_loss = 0.0;       // logloss or rmse after this round
  double validation_loss = 0.0;
  double validation_accuracy = 0.0;  // share right at threshold 0.5 (binary:logistic; NaN otherwise)
  int best_round = 0;
  bool improved = false;
};

class BoostedTrees {
 public:
  // x: rows × width floats, row-major (NaN = missing, which XGBoost routes by itself; ±inf is rejected).
  // Binary labels must be 0 or 1. Throws std::invalid_argument on mismatched sizes, bad labels or bad
  // options, std::runtime_error on an XGBoost error.
  static BoostedTrees fit(const std::vector<float>& x_train, const std::vector<float>& y_train,
                          const std::vector<float>& x_validation, const std::vector<float>& y_validation,
                          std::size_t width, const BoostedTreesOptions& options,
                          const std::function<void(const BoostedTreesRound&)>& on_round = {});
  // Checks the JSON structure (every tree a tree, split features in range) before XGBoost reads it.
  // Throws std::runtime_error on a damaged model. `threads` is the nthread used to predict.
  static BoostedTrees load(const std::string& bytes, int threads = 1);

  BoostedTrees(BoostedTrees&&) noexcept;
  BoostedTrees& operator=(BoostedTrees&&) noexcept;
  ~BoostedTrees();

  // One value per row: P(label 1) for binary:logistic, the regression value otherwise.
  // Thread-safe (calls into the booster are serialised; prediction is short).
  std::vector<double> predict(const float* x, std::size_t rows) const;
  std::string save() const;                 // XGBoost JSON model bytes
  std::vector<double> gain_importance() const;  // total gain per feature column, width entries
  std::size_t width() const { return width_; }
  std::size_t nodes() const { return nodes_; }  // tree nodes (splits and leaves) over all trees
  int rounds() const { return rounds_; }        // boosting rounds in the model
  TreeObjective objective() const { return objective_; }
  const BoostedTreesFit& fit_info() const { return fit_; }

 private:
  BoostedTrees() = default;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::size_t width_ = 0;
  std::size_t nodes_ = 0;
  int rounds_ = 0;
  TreeObjective objective_ = TreeObjective::kBinaryLogistic;
  BoostedTreesFit fit_;
};

}  // namespace tbml
