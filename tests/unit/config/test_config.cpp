#include <gtest/gtest.h>

#include <fstream>

#include "tbml/config/config.h"

using namespace tbml;

namespace {

Config load_with(std::map<std::string, std::string> env = {},
                 std::vector<std::pair<std::string, std::string>> overrides = {}) {
  ConfigSources s;
  s.defaults_file = TBML_CONFIG_FILE;
  s.env = std::move(env);
  s.overrides = std::move(overrides);
  return load_config(s);
}

std::string temp_file(const std::string& content) {
  std::string path = ::testing::TempDir() + "/tbml_config_test.json";
  std::ofstream(path) << content;
  return path;
}

// The ConfigError text the overrides produce ("no error" when they load).
std::string message(std::vector<std::pair<std::string, std::string>> overrides) {
  try {
    load_with({}, std::move(overrides));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Config, DefaultFileMatchesContractDefaults) {
  Config c = load_with();
  EXPECT_EQ(c.server.port, 3001);
  EXPECT_EQ(c.core.url, "http://localhost:3000");
  EXPECT_TRUE(c.core.auto_pairs);
  EXPECT_EQ(c.ml.sequence_length, 60u);
  EXPECT_EQ(c.ml.horizon, 5u);
  EXPECT_EQ(c.ensemble.strategy, "weighted");
  EXPECT_DOUBLE_EQ(c.ensemble.weights.at("lstm"), 1.0);
  EXPECT_DOUBLE_EQ(c.ensemble.weights.at("gru"), 0.9);
  EXPECT_DOUBLE_EQ(c.ensemble.weights.at("cnn"), 0.8);
  EXPECT_DOUBLE_EQ(c.ensemble.weights.at("transformer"), 0.7);
  EXPECT_EQ(c.storage.base_dir, "data/ml");
  EXPECT_DOUBLE_EQ(c.storage.max_age_hours, 168);
  EXPECT_GE(c.market.buffer_capacity, 5000u);
}

TEST(Config, FileOnDiskEqualsCompiledInDefaults) {
  std::ifstream in(TBML_CONFIG_FILE);
  ASSERT_TRUE(in);
  EXPECT_EQ(nlohmann::json::parse(in), builtin_defaults());
}

TEST(Config, EnvironmentOverridesFile) {
  Config c = load_with({{"PORT", "4000"},
                        {"CORE_SERVICE_URL", "http://127.0.0.1:9/"},
                        {"ML_ENABLED_MODELS", "lstm, cnn"},
                        {"ML_ENSEMBLE_STRATEGY", "majority"},
                        {"ML_PAIRS", "btc,eth"},
                        {"ML_STORAGE_MAX_AGE_HOURS", "24"}});
  EXPECT_EQ(c.server.port, 4000);
  EXPECT_EQ(c.core.url, "http://127.0.0.1:9");
  EXPECT_EQ(c.ml.enabled_models, (std::vector<std::string>{"lstm", "cnn"}));
  EXPECT_EQ(c.ensemble.strategy, "majority");
  EXPECT_FALSE(c.core.auto_pairs);
  EXPECT_EQ(c.core.pairs, (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_DOUBLE_EQ(c.storage.max_age_hours, 24);
}

TEST(Config, OverridesComeLast) {
  Config c = load_with({{"PORT", "4000"}}, {{"server.port", "4100"}, {"training.learningRate", "0.01"}});
  EXPECT_EQ(c.server.port, 4100);
  EXPECT_DOUBLE_EQ(c.training.learning_rate, 0.01);
}

TEST(Config, UnknownKeyInFileIsNamed) {
  ConfigSources s;
  s.defaults_file = TBML_CONFIG_FILE;
  s.config_file = temp_file(R"({"server":{"prot":3001}})");
  try {
    load_config(s);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("server.prot"), std::string::npos) << e.what();
  }
}

TEST(Config, InvalidValuesAreAllReported) {
  try {
    load_with({{"PORT", "70000"}, {"ML_ENSEMBLE_STRATEGY", "best"}, {"ML_ENABLED_MODELS", "lstm,svm"}});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("server.port"), std::string::npos) << what;
    EXPECT_NE(what.find("ensemble.strategy"), std::string::npos) << what;
    EXPECT_NE(what.find("svm"), std::string::npos) << what;
  }
}

TEST(Config, NonNumericEnvironmentValueIsAnError) {
  EXPECT_THROW(load_with({{"PORT", "30o1"}}), ConfigError);
  EXPECT_THROW(load_with({{"ML_SEQUENCE_LENGTH", "-5"}}), ConfigError);
  EXPECT_THROW(load_with({}, {{"no.such.key", "1"}}), ConfigError);
}

TEST(Config, BadPairNameRejected) {
  EXPECT_THROW(load_with({{"ML_PAIRS", "BTC,../etc"}}), ConfigError);
}

TEST(Config, RedactsToken) {
  Config c = load_with({{"ML_API_TOKEN", "s3cret"}});
  EXPECT_EQ(c.server.api_token, "s3cret");
  EXPECT_EQ(c.redacted()["server"]["apiToken"], "<redacted>");
  EXPECT_EQ(c.redacted().dump().find("s3cret"), std::string::npos);
}

TEST(Config, ArchitectureSettingsCanBeOverridden) {
  Config c = load_with({}, {{"ml.architectures.lstm.hidden", "8"}, {"ml.architectures.cnn.channels", "[4,8]"}});
  EXPECT_EQ(c.ml.architectures["lstm"]["hidden"], 8);
  EXPECT_EQ(c.ml.architectures["cnn"]["channels"], nlohmann::json::array({4, 8}));
  EXPECT_THROW(load_with({}, {{"ml.architectures.svm.depth", "3"}}), ConfigError);
}

TEST(Config, HorizonsDefaultToOneFiveAndTwentyFour) {
  Config c = load_with();
  EXPECT_EQ(c.ml.horizons, (std::vector<std::size_t>{1, 5, 24}));
  EXPECT_EQ(c.ml.reference_pair, "BTC");
}

TEST(Config, HorizonsFromTheEnvironmentAreSortedIntegers) {
  Config c = load_with({{"ML_HORIZONS", "24,5"}, {"ML_REFERENCE_PAIR", "eth"}});
  EXPECT_EQ(c.ml.horizons, (std::vector<std::size_t>{5, 24}));
  EXPECT_EQ(c.ml.reference_pair, "ETH");
  EXPECT_EQ(load_with({}, {{"ml.referencePair", ""}}).ml.reference_pair, "");
}

TEST(Config, DefaultHorizonMustBeListedAndHorizonsValid) {
  EXPECT_NE(message({{"ml.horizons", "1,24"}}).find("ml.horizon (5) must be one of ml.horizons"), std::string::npos);
  EXPECT_NE(message({{"ml.horizons", "5,5"}}).find("listed twice"), std::string::npos);
  EXPECT_NE(message({{"ml.horizons", "5,x"}}).find("'x' is not an integer"), std::string::npos);
  EXPECT_NE(message({{"ml.horizons", "0,5"}}).find("out of range"), std::string::npos);
  EXPECT_NE(message({{"ml.referencePair", "b-tc"}}).find("ml.referencePair"), std::string::npos);
}

TEST(Config, DecisionDefaults) {
  const Config c = load_with();
  EXPECT_DOUBLE_EQ(c.decision.kelly_fraction, 0.25);
  EXPECT_DOUBLE_EQ(c.decision.volatility_target, 0.5);
  EXPECT_DOUBLE_EQ(c.decision.max_position, 1.0);
  EXPECT_EQ(c.decision.min_outcomes, 50u);
  EXPECT_FALSE(c.decision.allow_short);
  EXPECT_EQ(c.decision.breaker_window, 200u);
  EXPECT_EQ(c.decision.breaker_min_outcomes, 50u);
  EXPECT_DOUBLE_EQ(c.decision.accuracy_floor, 0.5);
  EXPECT_DOUBLE_EQ(c.decision.skill_floor, 0.0);
  EXPECT_DOUBLE_EQ(c.decision.ensemble_skill_floor, 0.0);
  EXPECT_DOUBLE_EQ(c.decision.share_bound, 0.8);
  EXPECT_EQ(c.decision.window_hours, 24);
  EXPECT_EQ(c.decision.long_window_hours, 168);
  EXPECT_EQ(c.decision.mc_dropout_passes, 0u);
  const Config o = load_with({}, {{"decision.sizing.kellyFraction", "0.5"}, {"decision.sizing.allowShort", "true"},
                                  {"decision.uncertainty.mcDropoutPasses", "20"}});
  EXPECT_DOUBLE_EQ(o.decision.kelly_fraction, 0.5);
  EXPECT_TRUE(o.decision.allow_short);
  EXPECT_EQ(o.decision.mc_dropout_passes, 20u);
}

TEST(Config, DecisionValuesAreValidated) {
  EXPECT_NE(message({{"decision.sizing.kellyFraction", "1.5"}}).find("decision.sizing.kellyFraction"), std::string::npos);
  EXPECT_NE(message({{"decision.sizing.maxPosition", "0"}}).find("decision.sizing.maxPosition"), std::string::npos);
  EXPECT_NE(message({{"decision.breaker.minOutcomes", "300"}}).find("must not exceed decision.breaker.window"),
            std::string::npos);
  EXPECT_NE(message({{"decision.signals.shareBound", "1.2"}}).find("decision.signals.shareBound"), std::string::npos);
  EXPECT_NE(message({{"decision.signals.longWindowHours", "12"}}).find("longWindowHours"), std::string::npos);
  EXPECT_NE(message({{"decision.breaker.skillFloor", "-2"}}).find("decision.breaker.skillFloor"), std::string::npos);
  EXPECT_NE(message({{"decision.sizing.kellyFracton", "0.2"}}).find("unknown key"), std::string::npos);
}

TEST(Config, WorkerPoolBoundsAreValidated) {
  Config c = load_with();
  EXPECT_EQ(c.server.threads, 256);
  EXPECT_EQ(c.server.min_threads, 8);
  EXPECT_EQ(c.server.thread_idle_timeout_ms, 30000);
  // A config that only lowers server.threads keeps working: the default minimum is capped at it.
  EXPECT_EQ(load_with({}, {{"server.threads", "2"}}).server.min_threads, 2);
  EXPECT_EQ(load_with({}, {{"server.threads", "4"}, {"server.minThreads", "4"}}).server.min_threads, 4);
  EXPECT_NE(message({{"server.threads", "4"}, {"server.minThreads", "6"}})
                .find("server.minThreads (6) must not exceed server.threads (4)"),
            std::string::npos);
  EXPECT_NE(message({{"server.minThreads", "0"}}).find("server.minThreads"), std::string::npos);
  EXPECT_NE(message({{"server.threadIdleTimeoutMs", "50"}}).find("server.threadIdleTimeoutMs"), std::string::npos);
  EXPECT_EQ(c.server.worker_slice_us, 100);
  EXPECT_EQ(load_with({}, {{"server.workerSliceUs", "0"}}).server.worker_slice_us, 0);
  EXPECT_NE(message({{"server.workerSliceUs", "50"}}).find("server.workerSliceUs must be 0"), std::string::npos);
  EXPECT_NE(message({{"server.workerSliceUs", "200000"}}).find("server.workerSliceUs"), std::string::npos);
}
