// Gradient-boosted trees over XGBoost's C API (src/trees/boosted_trees.cpp).
#include "tbml/trees/boosted_trees.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

namespace tbml {
namespace {

struct Data {
  std::vector<float> x, y;
};

// Label 1 when column `informative` > 0 (flipped with probability `flip`); other columns are noise.
// With `informative` past the width every column is noise.
Data make(std::size_t rows, std::size_t width, std::size_t informative, double flip, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  std::uniform_real_distribution<double> u;
  Data d;
  d.x.resize(rows * width);
  for (auto& v : d.x) v = n(rng);
  d.y.resize(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    const bool up = informative < width ? d.x[r * width + informative] > 0.0f : u(rng) < 0.5;
    d.y[r] = static_cast<float>(up != (u(rng) < flip));
  }
  return d;
}

double accuracy(const std::vector<double>& p, const std::vector<float>& y) {
  std::size_t hits = 0;
  for (std::size_t i = 0; i < p.size(); ++i) hits += (p[i] > 0.5) == (y[i] > 0.5f);
  return static_cast<double>(hits) / static_cast<double>(p.size());
}

BoostedTreesOptions quick() {
  BoostedTreesOptions o;
  o.max_rounds = 60;
  o.early_stopping_rounds = 10;
  o.learning_rate = 0.2;
  return o;
}

TEST(BoostedTrees, LearnsASeparableProblemOnHeldOutRows) {
  const Data train = make(600, 6, 2, 0.0, 1), validation = make(200, 6, 2, 0.0, 2), test = make(300, 6, 2, 0.0, 3);
  const auto started = std::chrono::steady_clock::now();
  const BoostedTrees trees = BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 6, quick());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto p = trees.predict(test.x.data(), 300);
  ASSERT_EQ(p.size(), 300u);
  for (double v : p) ASSERT_TRUE(v >= 0.0 && v <= 1.0);
  double base = 0.0;
  for (float v : test.y) base += v;
  base /= 300.0;
  EXPECT_GT(accuracy(p, test.y), 0.95);
  EXPECT_GT(accuracy(p, test.y), std::max(base, 1.0 - base) + 0.3);
  EXPECT_EQ(trees.width(), 6u);
  EXPECT_GT(trees.nodes(), static_cast<std::size_t>(trees.rounds()));
  EXPECT_EQ(trees.rounds(), trees.fit_info().best_round);
  EXPECT_LT(trees.fit_info().validation_loss, 0.3);
  EXPECT_LT(seconds, 5.0);
}

TEST(BoostedTrees, EarlyStoppingKeepsFewerRoundsOnNoise) {
  const Data train = make(500, 5, 99, 0.0, 4), validation = make(200, 5, 99, 0.0, 5);
  BoostedTreesOptions o = quick();
  o.max_rounds = 200;
  int reported = 0;
  const BoostedTrees trees = BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 5, o,
                                               [&](const BoostedTreesRound& r) {
                                                 ++reported;
                                                 EXPECT_EQ(r.round, reported);
                                                 EXPECT_LE(r.best_round, r.round);
                                                 EXPECT_GE(r.validation_accuracy, 0.0);
                                                 EXPECT_LE(r.validation_accuracy, 1.0);
                                               });
  const BoostedTreesFit& fit = trees.fit_info();
  EXPECT_EQ(reported, fit.rounds_run);
  EXPECT_LT(fit.rounds_run, o.max_rounds);
  EXPECT_EQ(fit.rounds_run - fit.best_round, o.early_stopping_rounds);
  EXPECT_EQ(trees.rounds(), fit.best_round);
}

TEST(BoostedTrees, CallbackThatThrowsAbortsFit) {
  const Data train = make(200, 3, 0, 0.0, 6), validation = make(80, 3, 0, 0.0, 7);
  struct Stop {};
  EXPECT_THROW(BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 3, quick(),
                                 [](const BoostedTreesRound& r) {
                                   if (r.round == 3) throw Stop{};
                                 }),
               Stop);
}

TEST(BoostedTrees, SaveLoadGivesIdenticalPredictions) {
  const Data train = make(400, 4, 1, 0.1, 8), validation = make(150, 4, 1, 0.1, 9), test = make(100, 4, 1, 0.1, 10);
  const BoostedTrees trees = BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 4, quick());
  const std::string bytes = trees.save();
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.front(), '{');
  const BoostedTrees back = BoostedTrees::load(bytes);
  EXPECT_EQ(back.predict(test.x.data(), 100), trees.predict(test.x.data(), 100));
  EXPECT_EQ(back.nodes(), trees.nodes());
  EXPECT_EQ(back.rounds(), trees.rounds());
  EXPECT_EQ(back.width(), 4u);
  EXPECT_EQ(back.save(), bytes);
  // Missing values are routed, not rejected.
  std::vector<float> missing(4, std::nanf(""));
  const auto p = back.predict(missing.data(), 1);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(std::isfinite(p[0]));
}

TEST(BoostedTrees, DamagedBytesThrow) {
  const Data train = make(200, 3, 0, 0.0, 11), validation = make(80, 3, 0, 0.0, 12);
  const std::string good = BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 3, quick()).save();
  EXPECT_THROW(BoostedTrees::load(""), std::runtime_error);
  EXPECT_THROW(BoostedTrees::load(std::string(4096, '\x5a')), std::runtime_error);
  EXPECT_THROW(BoostedTrees::load("binf" + std::string(200, '\0')), std::runtime_error);
  EXPECT_THROW(BoostedTrees::load(good.substr(0, good.size() / 2)), std::runtime_error);
  EXPECT_THROW(BoostedTrees::load(good.substr(0, good.size() - 1)), std::runtime_error);
  EXPECT_THROW(BoostedTrees::load("{}"), std::runtime_error);
  auto edited = [&](const std::function<void(nlohmann::json&)>& damage) {
    nlohmann::json j = nlohmann::json::parse(good);
    damage(j);
    return j.dump();
  };
  auto first_tree = [](nlohmann::json& j) -> nlohmann::json& {
    return j["learner"]["gradient_booster"]["model"]["trees"][0];
  };
  EXPECT_THROW(BoostedTrees::load(edited([&](auto& j) { first_tree(j)["left_children"][0] = 0; })),
               std::runtime_error);  // a cycle
  EXPECT_THROW(BoostedTrees::load(edited([&](auto& j) { first_tree(j)["left_children"][0] = 100000; })),
               std::runtime_error);
  EXPECT_THROW(BoostedTrees::load(edited([&](auto& j) { first_tree(j)["split_indices"][0] = 7; })),
               std::runtime_error);
  EXPECT_THROW(BoostedTrees::load(edited([&](auto& j) { first_tree(j)["left_children"].erase(0); })),
               std::runtime_error);
  EXPECT_THROW(BoostedTrees::load(edited([&](auto& j) { j["learner"]["objective"]["name"] = "rank:ndcg"; })),
               std::runtime_error);
  EXPECT_THROW(
      BoostedTrees::load(edited([&](auto& j) { j["learner"]["learner_model_param"]["num_feature"] = "x"; })),
      std::runtime_error);
  EXPECT_NO_THROW(BoostedTrees::load(edited([](auto&) {})));
}

TEST(BoostedTrees, ImportanceConcentratesOnTheInformativeColumn) {
  const Data train = make(600, 8, 5, 0.05, 13), validation = make(200, 8, 5, 0.05, 14);
  const BoostedTrees trees = BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 8, quick());
  const auto gain = trees.gain_importance();
  ASSERT_EQ(gain.size(), 8u);
  double total = 0.0;
  for (double g : gain) {
    EXPECT_GE(g, 0.0);
    total += g;
  }
  EXPECT_GT(gain[5], 0.8 * total);
  EXPECT_EQ(BoostedTrees::load(trees.save()).gain_importance(), gain);
}

TEST(BoostedTrees, RegressionObjective) {
  std::mt19937 rng(15);
  std::normal_distribution<float> n;
  auto data = [&](std::size_t rows) {
    Data d;
    d.x.resize(rows * 3);
    for (auto& v : d.x) v = n(rng);
    for (std::size_t r = 0; r < rows; ++r) d.y.push_back(-8.0f + 2.0f * d.x[r * 3] + 0.1f * n(rng));
    return d;
  };
  const Data train = data(500), validation = data(200), test = data(200);
  BoostedTreesOptions o = quick();
  o.objective = TreeObjective::kSquaredError;
  o.max_rounds = 200;
  const BoostedTrees trees = BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 3, o);
  EXPECT_EQ(trees.objective(), TreeObjective::kSquaredError);
  const auto p = trees.predict(test.x.data(), 200);
  double se = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) se += (p[i] - test.y[i]) * (p[i] - test.y[i]);
  EXPECT_LT(std::sqrt(se / 200.0), 0.5);  // the target's own spread is 2
  EXPECT_EQ(BoostedTrees::load(trees.save()).objective(), TreeObjective::kSquaredError);
}

TEST(BoostedTrees, PredictIsThreadSafe) {
  const Data train = make(300, 4, 0, 0.1, 16), validation = make(100, 4, 0, 0.1, 17), test = make(64, 4, 0, 0.1, 18);
  const BoostedTrees trees = BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 4, quick());
  const auto serial = trees.predict(test.x.data(), 64);
  std::vector<std::vector<double>> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) r = trees.predict(test.x.data(), 64);
    });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r, serial);
  EXPECT_TRUE(trees.predict(test.x.data(), 0).empty());
  EXPECT_THROW(trees.predict(nullptr, 1), std::invalid_argument);
}

TEST(BoostedTrees, BadOptionsAndInputsThrow) {
  const Data train = make(50, 2, 0, 0.0, 19), validation = make(20, 2, 0, 0.0, 20);
  auto fit_with = [&](const std::function<void(BoostedTreesOptions&)>& change) {
    BoostedTreesOptions o = quick();
    change(o);
    return BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 2, o);
  };
  EXPECT_THROW(fit_with([](auto& o) { o.max_rounds = 0; }), std::invalid_argument);
  EXPECT_THROW(fit_with([](auto& o) { o.max_depth = 0; }), std::invalid_argument);
  EXPECT_THROW(fit_with([](auto& o) { o.learning_rate = 0.0; }), std::invalid_argument);
  EXPECT_THROW(fit_with([](auto& o) { o.subsample = 1.5; }), std::invalid_argument);
  EXPECT_THROW(fit_with([](auto& o) { o.colsample = std::nan(""); }), std::invalid_argument);
  EXPECT_THROW(fit_with([](auto& o) { o.lambda = -1.0; }), std::invalid_argument);
  EXPECT_THROW(fit_with([](auto& o) { o.threads = 0; }), std::invalid_argument);
  EXPECT_THROW(BoostedTrees::fit(train.x, train.y, validation.x, validation.y, 3, quick()), std::invalid_argument);
  EXPECT_THROW(BoostedTrees::fit(train.x, train.y, {}, {}, 2, quick()), std::invalid_argument);
  std::vector<float> bad_labels = train.y;
  bad_labels[0] = 0.5f;
  EXPECT_THROW(BoostedTrees::fit(train.x, bad_labels, validation.x, validation.y, 2, quick()), std::invalid_argument);
}

TEST(BoostedTrees, ArchitectureJson) {
  const nlohmann::json defaults = resolve_tree_architecture(nlohmann::json());
  EXPECT_EQ(defaults.at("maxDepth"), 3);
  EXPECT_EQ(defaults.at("rounds"), 300);
  EXPECT_EQ(defaults.at("earlyStopping"), 20);
  EXPECT_EQ(defaults.size(), 8u);
  EXPECT_EQ(resolve_tree_architecture(nlohmann::json::object()), defaults);
  const auto custom = resolve_tree_architecture({{"maxDepth", 5}, {"eta", 0.1}});
  EXPECT_EQ(custom.at("maxDepth"), 5);
  EXPECT_DOUBLE_EQ(custom.at("eta").get<double>(), 0.1);
  EXPECT_EQ(resolve_tree_architecture(custom), custom);
  const BoostedTreesOptions o = tree_options_from_architecture(custom);
  EXPECT_EQ(o.max_depth, 5);
  EXPECT_DOUBLE_EQ(o.learning_rate, 0.1);

  auto message = [](const nlohmann::json& j) {
    try {
      resolve_tree_architecture(j);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{"depth", 3}, {"hidden", 8}}).find("'depth', 'hidden'"), std::string::npos)
      << message({{"depth", 3}});
  EXPECT_NE(message({{"maxDepth", 0}}).find("maxDepth"), std::string::npos);
  EXPECT_NE(message({{"maxDepth", 2.5}}).find("maxDepth"), std::string::npos);
  EXPECT_NE(message({{"eta", "fast"}}).find("eta"), std::string::npos);
  EXPECT_NE(message({{"subsample", 0}}).find("subsample"), std::string::npos);
  EXPECT_NE(message(nlohmann::json::array()).find("object"), std::string::npos);
}

}  // namespace
}  // namespace tbml
