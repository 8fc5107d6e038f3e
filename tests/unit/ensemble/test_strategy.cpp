#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tbml/ensemble/strategy.h"

using namespace tbml;

namespace {

std::vector<ModelVote> contract_votes() {
  return {{"lstm", 0.58, 1.0}, {"gru", 0.55, 0.9}, {"cnn", 0.6, 0.8}, {"transformer", 0.54, 0.7}};
}

}  // namespace

TEST(Strategy, ParsesExactNamesAndListsValidOnesOnError) {
  EXPECT_EQ(parse_strategy("weighted"), Strategy::kWeighted);
  EXPECT_EQ(parse_strategy("majority"), Strategy::kMajority);
  EXPECT_EQ(parse_strategy("average"), Strategy::kAverage);
  EXPECT_EQ(parse_strategy("confidence_weighted"), Strategy::kConfidenceWeighted);
  for (Strategy s : all_strategies()) EXPECT_EQ(parse_strategy(to_string(s)), s);
  EXPECT_FALSE(try_parse_strategy("Weighted"));
  EXPECT_FALSE(try_parse_strategy(""));
  try {
    parse_strategy("median");
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("median"), std::string::npos);
    for (const auto& name : valid_strategy_names()) EXPECT_NE(msg.find(name), std::string::npos) << msg;
  }
  EXPECT_EQ(valid_strategy_names().size(), 5u);  // the four rules and the stacked meta-learner
  EXPECT_EQ(try_parse_strategy("stacked"), Strategy::kStacked);
  EXPECT_EQ(all_strategies().size(), 4u);  // what combine() computes from votes alone
}

TEST(Strategy, WeightedMatchesHandComputation) {
  // (0.58*1 + 0.55*0.9 + 0.6*0.8 + 0.54*0.7) / 3.4 = 1.933 / 3.4
  const Combined c = combine(contract_votes(), Strategy::kWeighted);
  EXPECT_NEAR(c.probability, 1.933 / 3.4, 1e-12);
  EXPECT_NEAR(c.confidence, std::fabs(1.933 / 3.4 - 0.5) * 2, 1e-12);
  EXPECT_EQ(c.direction, "up");
  EXPECT_EQ(c.signal, "HOLD");  // confidence ~0.137 < 0.2
  EXPECT_DOUBLE_EQ(c.agreement, 1.0);
  EXPECT_TRUE(c.note.empty());
  ASSERT_EQ(c.votes.size(), 4u);
  EXPECT_NEAR(c.votes[0].confidence, 0.16, 1e-12);
  EXPECT_NEAR(c.votes[3].weight, 0.7, 1e-12);
}

TEST(Strategy, AverageMatchesHandComputation) {
  const Combined c = combine(contract_votes(), Strategy::kAverage);
  EXPECT_NEAR(c.probability, 2.27 / 4, 1e-12);
}

TEST(Strategy, ConfidenceWeightedMatchesHandComputation) {
  // c = 0.16, 0.10, 0.20, 0.08; Σpc = 0.0928 + 0.055 + 0.12 + 0.0432 = 0.311; Σc = 0.54
  const Combined c = combine(contract_votes(), Strategy::kConfidenceWeighted);
  EXPECT_NEAR(c.probability, 0.311 / 0.54, 1e-12);
}

TEST(Strategy, MajorityUsesMeanOfWinningSide) {
  const Combined c = combine({{"a", 0.7, 1}, {"b", 0.6, 1}, {"c", 0.3, 1}}, Strategy::kMajority);
  EXPECT_NEAR(c.probability, 0.65, 1e-12);
  EXPECT_EQ(c.direction, "up");
  EXPECT_EQ(c.up_votes, 2u);
  EXPECT_EQ(c.down_votes, 1u);
  EXPECT_NEAR(c.agreement, 2.0 / 3.0, 1e-12);
  EXPECT_FALSE(c.tie);

  const Combined d = combine({{"a", 0.45, 1}, {"b", 0.2, 1}, {"c", 0.9, 1}}, Strategy::kMajority);
  EXPECT_NEAR(d.probability, 0.325, 1e-12);
  EXPECT_EQ(d.direction, "down");
  EXPECT_EQ(d.signal, "SELL");  // confidence 0.35
}

TEST(Strategy, MajorityTieIsNeutralAndLabelled) {
  const Combined c = combine({{"a", 0.9, 1}, {"b", 0.4, 1}}, Strategy::kMajority);
  EXPECT_TRUE(c.tie);
  EXPECT_EQ(c.probability, 0.5);
  EXPECT_EQ(c.confidence, 0.0);
  EXPECT_EQ(c.direction, "neutral");
  EXPECT_EQ(c.signal, "HOLD");
  EXPECT_NE(c.note.find("tie"), std::string::npos);
  EXPECT_DOUBLE_EQ(c.agreement, 0.0);

  // An abstaining model (exactly 0.5) does not break a tie.
  const Combined d = combine({{"a", 0.7, 1}, {"b", 0.3, 1}, {"c", 0.5, 1}}, Strategy::kMajority);
  EXPECT_TRUE(d.tie);
  EXPECT_EQ(d.neutral_votes, 1u);
  EXPECT_NEAR(d.agreement, 1.0 / 3.0, 1e-12);
}

TEST(Strategy, AllZeroWeightsFallBackToAverageWithNote) {
  const Combined c = combine({{"a", 0.8, 0}, {"b", 0.6, 0}}, Strategy::kWeighted);
  EXPECT_NEAR(c.probability, 0.7, 1e-12);
  EXPECT_NE(c.note.find("average"), std::string::npos);
  // A zero weight next to a positive one simply drops that model's influence.
  const Combined d = combine({{"a", 0.8, 0}, {"b", 0.6, 2}}, Strategy::kWeighted);
  EXPECT_NEAR(d.probability, 0.6, 1e-12);
  EXPECT_TRUE(d.note.empty());
}

TEST(Strategy, AllZeroConfidenceIsNeutral) {
  const Combined c = combine({{"a", 0.5, 1}, {"b", 0.5, 1}}, Strategy::kConfidenceWeighted);
  EXPECT_EQ(c.probability, 0.5);
  EXPECT_EQ(c.direction, "neutral");
  EXPECT_FALSE(c.note.empty());
  EXPECT_DOUBLE_EQ(c.agreement, 1.0);
}

TEST(Strategy, SingleModelGivesItsOwnValueUnderEveryStrategy) {
  for (double p : {0.0, 0.2, 0.5, 0.77, 1.0}) {
    for (double w : {0.0, 0.3}) {
      for (Strategy s : all_strategies()) {
        const Combined c = combine({{"lstm", p, w}}, s);
        EXPECT_DOUBLE_EQ(c.probability, p) << to_string(s) << " p=" << p << " w=" << w;
        EXPECT_EQ(c.direction, direction_of(p));
      }
    }
  }
}

TEST(Strategy, SignalUsesConfigurableThreshold) {
  // The contract example: p = 0.57, confidence 0.14 -> HOLD at the default threshold 0.2.
  const Combined c = combine({{"lstm", 0.57, 1}}, Strategy::kWeighted);
  EXPECT_NEAR(c.confidence, 0.14, 1e-12);
  EXPECT_EQ(c.signal, "HOLD");
  EXPECT_EQ(combine({{"lstm", 0.57, 1}}, Strategy::kWeighted, CombineOptions{0.1}).signal, "BUY");
  EXPECT_EQ(combine({{"lstm", 0.6, 1}}, Strategy::kWeighted).signal, "BUY");  // exactly at threshold
  EXPECT_EQ(combine({{"lstm", 0.4, 1}}, Strategy::kWeighted).signal, "SELL");
  EXPECT_EQ(combine({{"lstm", 0.41, 1}}, Strategy::kWeighted).signal, "HOLD");
  EXPECT_EQ(signal_of(0.5, 0.0, 0.0), "HOLD");
}

TEST(Strategy, RejectsInvalidInput) {
  EXPECT_THROW(combine({}, Strategy::kAverage), std::invalid_argument);
  EXPECT_THROW(combine({{"a", std::nan(""), 1}}, Strategy::kAverage), std::invalid_argument);
  EXPECT_THROW(combine({{"a", 1.2, 1}}, Strategy::kAverage), std::invalid_argument);
  EXPECT_THROW(combine({{"a", -0.1, 1}}, Strategy::kAverage), std::invalid_argument);
  EXPECT_THROW(combine({{"a", 0.6, -1}}, Strategy::kWeighted), std::invalid_argument);
  EXPECT_THROW(combine({{"a", 0.6, INFINITY}}, Strategy::kWeighted), std::invalid_argument);
}

TEST(Strategy, ContractHelpers) {
  EXPECT_EQ(direction_of(0.5), "neutral");
  EXPECT_EQ(direction_of(0.5000001), "up");
  EXPECT_EQ(direction_of(0.1), "down");
  EXPECT_NEAR(confidence_of(0.1), 0.8, 1e-12);
  EXPECT_NEAR(confidence_of(0.9), 0.8, 1e-12);
}

TEST(Strategy, CombineAtDerivesEverythingFromTheGivenProbability) {
  // The average of these would be 0.483 (down); at 0.7 the answer is up, and so is what agreement counts.
  const Combined c = combine_at({{"a", 0.6, 1.0}, {"b", 0.4, 1.0}, {"c", 0.45, 1.0}}, 0.7, Strategy::kStacked);
  EXPECT_EQ(c.strategy, Strategy::kStacked);
  EXPECT_DOUBLE_EQ(c.probability, 0.7);
  EXPECT_NEAR(c.confidence, 0.4, 1e-12);
  EXPECT_EQ(c.direction, "up");
  EXPECT_EQ(c.signal, "BUY");
  EXPECT_NEAR(c.agreement, 1.0 / 3.0, 1e-12);
  EXPECT_EQ(c.up_votes, 1u);
  EXPECT_EQ(c.down_votes, 2u);
  EXPECT_THROW(combine_at({{"a", 0.6, 1.0}}, 1.5, Strategy::kStacked), std::invalid_argument);
  EXPECT_THROW(combine_at({}, 0.5, Strategy::kStacked), std::invalid_argument);
}
