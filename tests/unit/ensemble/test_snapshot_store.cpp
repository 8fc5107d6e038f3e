#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tbml/ensemble/prediction_snapshot.h"

namespace tbml {
namespace {

// Publication while readers serialise: every reader sees a complete snapshot whose fields belong together
// (run under ThreadSanitizer by scripts/tsan.sh).
TEST(SnapshotStore, ReadersSeeWholeSnapshotsWhilePublishing) {
  SnapshotStore store;
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        for (const char* pair : {"BTC", "ETH"}) {
          const SnapshotPtr s = store.get(pair);
          if (!s) continue;
          ASSERT_EQ(s->pair, pair);
          ASSERT_EQ(s->models.size(), static_cast<std::size_t>(s->data_timestamp % 4));
          for (const auto& m : s->models) ASSERT_EQ(m.version, s->data_timestamp);
          ++reads;
        }
        (void)store.all();
      }
    });
  }
  // Publish at least 2,000 times and until the readers have read a few hundred snapshots, so the test
  // checks concurrent reads however the threads are scheduled on a loaded machine.
  for (std::int64_t t = 1; t <= 2000 || reads.load() < 300; ++t) {
    for (const char* pair : {"BTC", "ETH"}) {
      auto s = std::make_shared<PredictionSnapshot>();
      s->pair = pair;
      s->data_timestamp = t;
      for (std::int64_t k = 0; k < t % 4; ++k) {
        ModelPrediction m;
        m.model = "lstm";
        m.version = static_cast<int>(t);
        s->models.push_back(m);
      }
      store.publish(std::move(s));
    }
    if (t % 500 == 0) store.erase("ETH");
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GE(store.get("BTC")->data_timestamp, 2000);
  EXPECT_GT(reads.load(), 0);
}

}  // namespace
}  // namespace tbml
