#include "tbml/evaluation/targets.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace tbml::evaluation {
namespace {

TEST(EvaluateFlags, Targets) {
  EXPECT_EQ(parse_target("direction"), EvaluationTarget::kDirection);
  EXPECT_EQ(parse_target("volatility"), EvaluationTarget::kVolatility);
  EXPECT_EQ(parse_target("all"), EvaluationTarget::kAll);
  EXPECT_TRUE(includes_direction(EvaluationTarget::kAll));
  EXPECT_TRUE(includes_volatility(EvaluationTarget::kAll));
  EXPECT_FALSE(includes_volatility(EvaluationTarget::kDirection));
  EXPECT_FALSE(includes_direction(EvaluationTarget::kVolatility));
  for (const char* bad : {"", "Direction", "vol", "both"}) EXPECT_THROW(parse_target(bad), std::invalid_argument) << bad;
}

TEST(EvaluateFlags, Horizons) {
  EXPECT_EQ(parse_horizons("1,5,24"), (std::vector<std::size_t>{1, 5, 24}));
  EXPECT_EQ(parse_horizons(" 5 "), (std::vector<std::size_t>{5}));
  EXPECT_EQ(parse_horizons("24, 1"), (std::vector<std::size_t>{24, 1}));
  for (const char* bad : {"", ",", "1,,5", "0", "-1", "1.5", "x", "5,5", "169", "1,5,"}) {
    try {
      parse_horizons(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--horizons"), std::string::npos) << e.what();
    }
  }
}

// The real binary rejects bad flags with exit code 2 before reading any data.
int run(const std::string& args) {
  const std::string cmd = std::string(TBML_BINARY) + " evaluate " + args + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(EvaluateFlags, BinaryRejectsBadFlags) {
  if (!std::filesystem::exists(TBML_BINARY)) GTEST_SKIP() << "tbml not built";
  const std::string csv = "--csv BTC=" + std::string(TBML_SHARED_DATA_DIR) + "/BTCUSDT_1h.csv";
  EXPECT_EQ(run(csv + " --target sideways"), 2);
  EXPECT_EQ(run(csv + " --horizons 1,0"), 2);
  EXPECT_EQ(run(csv + " --horizons 5,5"), 2);
  EXPECT_EQ(run(csv + " --target volatility --horizons 600"), 2);
  EXPECT_EQ(run(csv + " --target direction --models lstm,forest"), 2);
}

}  // namespace
}  // namespace tbml::evaluation
