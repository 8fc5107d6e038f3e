// kill -9 at random moments while writing: after each kill the database must open, pass
// integrity_check and still hold everything a flush() acknowledged; the model store must load a
// complete, checksum-verified version without needing to quarantine anything.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "tbml/storage/model_store.h"
#include "tbml/storage/storage_writer.h"
#include "tbml/util/atomic_file.h"
#include "tbml/util/time.h"
#include "unit/storage/temp_dir.h"

namespace tbml {
namespace {

namespace fs = std::filesystem;

PredictionRecord prediction(std::int64_t candle_ts) {
  PredictionRecord r;
  r.pair = "BTC";
  r.model = "ensemble";
  r.strategy = "weighted";
  r.probability = 0.5;
  r.confidence = 0.0;
  r.direction = "up";
  r.candle_ts = candle_ts;
  r.horizon = 5;
  r.created_at = candle_ts;
  return r;
}

void report(int fd, std::int64_t value) {
  // 8 bytes < PIPE_BUF: written atomically, so the parent never reads half a number.
  if (::write(fd, &value, sizeof value) != sizeof value) ::_exit(5);
}

// Child: writes through StorageWriter until killed, reporting each count a flush() acknowledged.
[[noreturn]] void write_predictions_forever(const fs::path& dir, int round, int fd) {
  try {
    Database db(dir);
    StorageWriterOptions options;
    options.batch_size = 64;
    options.flush_interval_ms = 5;
    StorageWriter writer(db, options);
    const std::int64_t base = db.stats().predictions;
    const std::int64_t deadline = steady_ms() + 10000;
    for (std::int64_t i = 0; steady_ms() < deadline; ++i) {
      const std::int64_t ts = round * 10'000'000LL + i;
      if (!writer.enqueue(prediction(ts))) ::_exit(4);
      if (i % 10 == 0 && !writer.enqueue(CandleBatch{"BTC", {Candle{ts, 1, 2, 0.5, 1.5, 3}}})) {
        ::_exit(4);
      }
      if (i % 25 == 24 && writer.flush(std::chrono::seconds(5))) report(fd, base + i + 1);
      if (i % 400 == 399) db.checkpoint();
    }
  } catch (...) {
    ::_exit(2);
  }
  ::_exit(0);
}

std::string weights_for(int n) {
  // Sizes vary so some writes span many pages; content is derived from n to check it later.
  std::string w(1000 + (n * 7919) % 200000, '\0');
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<char>((i * 31 + n) & 0xff);
  return w;
}

[[noreturn]] void save_models_forever(const fs::path& dir, int fd) {
  try {
    ModelStore store(dir, 2);
    const std::int64_t deadline = steady_ms() + 10000;
    while (steady_ms() < deadline) {
      // The version number is only known after save(), so content is keyed by the next number.
      const auto versions = store.versions("BTC", "lstm");
      const int next = versions.empty() ? 1 : versions.back() + 1;
      const int saved = store.save("BTC", "lstm", {{"n", next}}, weights_for(next));
      if (saved != next) ::_exit(6);
      report(fd, saved);
    }
  } catch (...) {
    ::_exit(2);
  }
  ::_exit(0);
}

// Forks `child`, kills it with SIGKILL after `delay_ms`, returns the last value it reported.
template <typename Child>
std::int64_t run_and_kill(Child child, int delay_ms) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1]);
  }
  ::close(fds[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "child exited early with code " << WEXITSTATUS(status);
  std::int64_t last = 0, value = 0;
  while (::read(fds[0], &value, sizeof value) == sizeof value) last = value;
  ::close(fds[0]);
  return last;
}

TEST(CrashSafety, DatabaseSurvivesKillNineWhileWriting) {
  test::TempDir dir;
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay(1, 120);
  std::int64_t previous = 0;
  std::int64_t acknowledged_total = 0;
  for (int round = 0; round < 24; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::int64_t acknowledged =
        run_and_kill([&](int fd) { write_predictions_forever(dir.path(), round, fd); }, delay(rng));
    acknowledged_total = std::max(acknowledged_total, acknowledged);
    Database db(dir.path());
    ASSERT_EQ(db.integrity_check(), "ok");
    ASSERT_EQ(db.schema_version(), Database::latest_schema_version());
    const std::int64_t count = db.stats().predictions;
    EXPECT_GE(count, acknowledged) << "a flushed prediction was lost";
    EXPECT_GE(count, previous) << "committed count went backwards";
    previous = count;
  }
  EXPECT_GT(acknowledged_total, 0) << "the children never got to commit anything";
}

TEST(CrashSafety, ModelStoreSurvivesKillNineWhileSaving) {
  test::TempDir dir;
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay(1, 80);
  int previous = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto acknowledged = static_cast<int>(
        run_and_kill([&](int fd) { save_models_forever(dir.path(), fd); }, delay(rng)));
    ModelStore store(dir.path(), 2);
    store.cleanup_temp();
    auto model = store.load_latest("BTC", "lstm");
    if (acknowledged > 0 || previous > 0) {
      ASSERT_TRUE(model.has_value());
    }
    if (model) {
      EXPECT_GE(model->version, acknowledged);
      EXPECT_GE(model->version, previous);
      EXPECT_EQ(model->weights, weights_for(model->version));
      EXPECT_EQ(model->meta["n"], model->version);
      previous = model->version;
    }
    const fs::path type_dir = dir.path() / "models" / "BTC" / "lstm";
    if (fs::exists(type_dir)) {
      for (const auto& entry : fs::directory_iterator(type_dir)) {
        const std::string name = entry.path().filename().string();
        EXPECT_EQ(name.find(".bad-"), std::string::npos) << "a crash left a bad version: " << name;
        EXPECT_EQ(name.find(kTempSuffix), std::string::npos) << "temp left after cleanup: " << name;
      }
    }
  }
  EXPECT_GT(previous, 0) << "the children never completed a save";
}

}  // namespace
}  // namespace tbml
