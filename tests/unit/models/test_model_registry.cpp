#include "tbml/models/model_registry.h"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "unit/fake_model.h"

namespace tbml {
namespace {

using test::fake;
using test::FakeModel;

TEST(ModelRegistry, EmptyRegistryReportsUntrained) {
  ModelRegistry reg;
  EXPECT_EQ(reg.get("BTC", ModelType::kLstm), nullptr);
  EXPECT_TRUE(reg.models_for("BTC").empty());
  EXPECT_TRUE(reg.pairs().empty());
  const auto status = reg.status("BTC");
  ASSERT_EQ(status.size(), all_model_types().size());
  for (std::size_t i = 0; i < status.size(); ++i) {
    EXPECT_EQ(status[i].type, all_model_types()[i]);
    EXPECT_FALSE(status[i].trained);
    EXPECT_EQ(status[i].state, ModelState::kUntrained);
  }
  const nlohmann::json j = reg.status_json("BTC");
  EXPECT_EQ(j["pair"], "BTC");
  EXPECT_EQ(j["modelsLoaded"], 0);
  EXPECT_EQ(j["models"]["lstm"]["state"], "untrained");
  EXPECT_TRUE(j["models"]["lstm"]["trainedAt"].is_null());
  EXPECT_TRUE(j["models"]["lstm"]["lastRun"].is_null());
  EXPECT_EQ(reg.next_version("BTC", ModelType::kLstm), 1);
}

TEST(ModelRegistry, PublishMakesModelServeInTypeOrder) {
  ModelRegistry reg;
  reg.publish("BTC", ModelType::kCnn, fake("BTC", ModelType::kCnn, 1), 1);
  reg.publish("BTC", ModelType::kLstm, fake("BTC", ModelType::kLstm, 4), 4);
  reg.publish("ETH", ModelType::kGru, fake("ETH", ModelType::kGru, 2), 2);

  const auto models = reg.models_for("BTC");
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0]->info().type, ModelType::kLstm);
  EXPECT_EQ(models[1]->info().type, ModelType::kCnn);
  EXPECT_EQ(reg.serving("BTC", ModelType::kLstm).version, 4);
  EXPECT_EQ(reg.next_version("BTC", ModelType::kLstm), 5);
  EXPECT_EQ(reg.pairs(), (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_EQ(reg.loaded_count("BTC"), 2u);
  EXPECT_EQ(reg.loaded_counts(), (std::map<std::string, std::size_t>{{"BTC", 2}, {"ETH", 1}}));
  EXPECT_EQ(reg.status("BTC")[0].state, ModelState::kReady);
}

TEST(ModelRegistry, PublishValidatesInput) {
  ModelRegistry reg;
  EXPECT_THROW(reg.publish("BTC", ModelType::kLstm, nullptr, 1), std::invalid_argument);
  EXPECT_THROW(reg.publish("BTC", ModelType::kGru, fake("BTC", ModelType::kLstm, 1), 1),
               std::invalid_argument);
  EXPECT_THROW(reg.publish("ETH", ModelType::kLstm, fake("BTC", ModelType::kLstm, 1), 1),
               std::invalid_argument);
  EXPECT_THROW(reg.publish("", ModelType::kLstm, fake("", ModelType::kLstm, 1), 1), std::invalid_argument);
  EXPECT_THROW(reg.publish("BTC", ModelType::kLstm, fake("BTC", ModelType::kLstm, 1), -1),
               std::invalid_argument);
  EXPECT_EQ(reg.get("BTC", ModelType::kLstm), nullptr);
}

TEST(ModelRegistry, StateChangesKeepTheServingModel) {
  ModelRegistry reg;
  EXPECT_THROW(reg.apply("BTC", ModelType::kLstm, VersionEvent::kAccepted), std::logic_error);  // nothing serves
  reg.apply("BTC", ModelType::kLstm, VersionEvent::kQueued, "auto: no model");
  EXPECT_EQ(reg.status("BTC")[0].state, ModelState::kQueued);
  EXPECT_EQ(reg.status("BTC")[0].reason, "auto: no model");

  reg.publish("BTC", ModelType::kLstm, fake("BTC", ModelType::kLstm, 1), 1);
  reg.apply("BTC", ModelType::kLstm, VersionEvent::kStarted, "periodic retrain");
  // One run at a time: a second start while training is refused and changes nothing.
  EXPECT_THROW(reg.apply("BTC", ModelType::kLstm, VersionEvent::kStarted, "again"), std::logic_error);
  EXPECT_EQ(reg.status("BTC")[0].reason, "periodic retrain");
  ASSERT_NE(reg.get("BTC", ModelType::kLstm), nullptr);  // old model serves while retraining
  EXPECT_EQ(reg.models_for("BTC").size(), 1u);
  const ModelStatus s = reg.status("BTC")[0];
  EXPECT_TRUE(s.trained);
  EXPECT_EQ(s.state, ModelState::kTraining);
  EXPECT_GT(s.state_since, 0);
}

TEST(ModelRegistry, RecordRunMovesStateOn) {
  ModelRegistry reg(3);
  // Failure with nothing serving → failed.
  reg.record_run("BTC", ModelType::kGru, {RunOutcome::kFailed, "out of data", std::nullopt, 1, 0});
  ModelStatus gru = reg.status("BTC")[1];
  EXPECT_EQ(gru.state, ModelState::kFailed);
  EXPECT_NE(gru.reason.find("out of data"), std::string::npos);
  ASSERT_TRUE(gru.last_run);
  EXPECT_GT(gru.last_run->finished_at, 0);

  // Cancel with nothing serving → untrained.
  reg.record_run("BTC", ModelType::kCnn, {RunOutcome::kCancelled, "by user", std::nullopt, 1, 0});
  EXPECT_EQ(reg.status("BTC")[2].state, ModelState::kUntrained);

  // Rejection with a model serving → still ready, reason says why.
  reg.publish("BTC", ModelType::kLstm, fake("BTC", ModelType::kLstm, 2), 2);
  TrainingReport rep;
  rep.test.brier = 0.26;
  reg.record_run("BTC", ModelType::kLstm, {RunOutcome::kRejected, "worse Brier", rep, 3, 0});
  const ModelStatus lstm = reg.status("BTC")[0];
  EXPECT_EQ(lstm.state, ModelState::kReady);
  EXPECT_EQ(lstm.version, 2);
  EXPECT_NE(lstm.reason.find("worse Brier"), std::string::npos);
  EXPECT_NE(lstm.reason.find("version 2"), std::string::npos);

  // Bounded run list, newest first.
  for (int i = 0; i < 5; ++i) {
    reg.record_run("BTC", ModelType::kLstm,
                   {RunOutcome::kFailed, "run " + std::to_string(i), std::nullopt, 3 + i, 0});
  }
  const auto runs = reg.recent_runs("BTC", ModelType::kLstm);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].reason, "run 4");
  EXPECT_EQ(runs[2].reason, "run 2");
  EXPECT_EQ(reg.last_run("BTC", ModelType::kLstm)->reason, "run 4");
}

TEST(ModelRegistry, StatusJsonCarriesModelFields) {
  ModelRegistry reg;
  reg.publish("BTC", ModelType::kTransformer, fake("BTC", ModelType::kTransformer, 7), 7);
  TrainingReport rep;
  rep.test.samples = 40;
  rep.test.brier = 0.2;
  reg.record_run("BTC", ModelType::kTransformer, {RunOutcome::kAccepted, "better", rep, 7, 123});
  const nlohmann::json j = reg.status_json("BTC");
  EXPECT_EQ(j["modelsLoaded"], 1);
  const nlohmann::json& t = j["models"]["transformer"];
  EXPECT_EQ(t["modelType"], "transformer");
  EXPECT_EQ(t["trained"], true);
  EXPECT_EQ(t["state"], "ready");
  EXPECT_EQ(t["reason"], "");
  EXPECT_EQ(t["version"], 7);
  EXPECT_EQ(t["trainedAt"], 1700000000007);
  EXPECT_EQ(t["featureCount"], 3);
  EXPECT_EQ(t["parameters"], 123);
  EXPECT_DOUBLE_EQ(t["validation"]["brier"].get<double>(), 0.23);
  EXPECT_EQ(t["validation"]["samples"], 50);
  EXPECT_DOUBLE_EQ(t["test"]["brier"].get<double>(), 0.24);
  EXPECT_EQ(t["lastRun"]["result"], "accepted");
  EXPECT_EQ(t["lastRun"]["reason"], "better");
  EXPECT_EQ(t["lastRun"]["finishedAt"], 123);
  EXPECT_DOUBLE_EQ(t["lastRun"]["report"]["test"]["brier"].get<double>(), 0.2);
  EXPECT_EQ(j["models"]["lstm"]["trained"], false);
}

TEST(ModelRegistry, ClearDropsPairButKeepsVersionsIncreasing) {
  ModelRegistry reg;
  reg.publish("BTC", ModelType::kLstm, fake("BTC", ModelType::kLstm, 3), 3);
  reg.publish("ETH", ModelType::kLstm, fake("ETH", ModelType::kLstm, 1), 1);
  const ModelPtr held = reg.get("BTC", ModelType::kLstm);
  reg.clear("BTC");
  EXPECT_EQ(reg.get("BTC", ModelType::kLstm), nullptr);
  EXPECT_EQ(reg.status("BTC")[0].state, ModelState::kUntrained);
  EXPECT_EQ(reg.next_version("BTC", ModelType::kLstm), 4);
  EXPECT_EQ(held->info().version, 3);  // a reader's copy stays valid
  EXPECT_NE(reg.get("ETH", ModelType::kLstm), nullptr);
  EXPECT_EQ(reg.pairs(), std::vector<std::string>{"ETH"});
}

// Readers run while a writer swaps in new versions: every read sees a model and the version that
// belongs to it, and versions never go backwards for a reader.
TEST(ModelRegistry, SwapUnderConcurrentReadersIsNeverTorn) {
  ModelRegistry reg;
  reg.publish("BTC", ModelType::kLstm, fake("BTC", ModelType::kLstm, 1), 1);
  constexpr int kVersions = 3000;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      int last = 0;
      const float window[1] = {0.0f};
      while (!done.load()) {
        const ServingModel s = reg.serving("BTC", ModelType::kLstm);
        const auto* m = dynamic_cast<const FakeModel*>(s.model.get());
        if (!m || m->info().version != s.version || s.version < last ||
            m->predict(window, 1)[0] != 1.0 / (1.0 + s.version)) {
          ++torn;
        }
        last = s.version;
        const auto all = reg.models_for("BTC");
        if (all.size() != 1 || all[0]->info().type != ModelType::kLstm) ++torn;
        reg.status("BTC");
        ++reads;
      }
    });
  }
  for (int v = 2; v <= kVersions; ++v) {
    reg.publish("BTC", ModelType::kLstm, fake("BTC", ModelType::kLstm, v), v);
    if (v % 500 == 0) std::this_thread::yield();
  }
  while (reads.load() < 1000) std::this_thread::yield();
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(reg.serving("BTC", ModelType::kLstm).version, kVersions);
}

TEST(ModelRegistry, NamesOfStatesAndOutcomes) {
  EXPECT_EQ(to_string(ModelState::kUntrained), "untrained");
  EXPECT_EQ(to_string(ModelState::kQueued), "queued");
  EXPECT_EQ(to_string(ModelState::kTraining), "training");
  EXPECT_EQ(to_string(ModelState::kReady), "ready");
  EXPECT_EQ(to_string(ModelState::kFailed), "failed");
  EXPECT_EQ(to_string(RunOutcome::kAccepted), "accepted");
  EXPECT_EQ(to_string(RunOutcome::kRejected), "rejected");
  EXPECT_EQ(to_string(RunOutcome::kFailed), "failed");
  EXPECT_EQ(to_string(RunOutcome::kCancelled), "cancelled");
}

}  // namespace
}  // namespace tbml
