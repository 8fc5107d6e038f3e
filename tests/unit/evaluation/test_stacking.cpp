#include "tbml/evaluation/stacking.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace tbml::evaluation {
namespace {

// Three folds of 300 rows, horizon 3. Member 0 is informative in every fold; member 1 is "right" in fold 2
// only (p = label there), anti-informative before.
StackingInput synthetic(std::uint64_t seed = 5) {
  StackingInput in;
  in.horizon = 3;
  in.members.assign(2, {});
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t i = 0; i < 300; ++i) {
      const std::size_t row = in.label.size();
      const std::uint8_t y = u(rng) < 0.5 ? 1 : 0;
      in.label.push_back(y);
      in.last.push_back(1000 + row);
      in.fold.push_back(k);
      in.members[0].push_back(y ? 0.6 + 0.1 * u(rng) : 0.3 + 0.1 * u(rng));  // informative
      const double right = y ? 0.9 : 0.1;
      in.members[1].push_back(k == 2 ? right : 1.0 - right + 0.05 * (u(rng) - 0.5));
      in.fallback.push_back(0.5);
    }
  return in;
}

TEST(Stacking, FirstFoldUsesTheFallbackAndSaysSo) {
  const StackingInput in = synthetic();
  const StackingResult r = stack_out_of_fold(in);
  for (std::size_t i = 0; i < 300; ++i) EXPECT_EQ(r.p[i], 0.5);
  ASSERT_EQ(r.folds.size(), 3u);
  EXPECT_TRUE(r.folds[0].contains("fallback"));
  EXPECT_EQ(r.folds[0].at("rows").get<std::size_t>(), 0u);
  // Fold 1 learns from fold 0's rows, minus the last `horizon` whose labels were not resolved yet.
  EXPECT_EQ(r.folds[1].at("rows").get<std::size_t>(), 300u - 3u + 1u);  // last + 3 <= first_now
  EXPECT_FALSE(r.folds[1].contains("fallback"));
  EXPECT_EQ(r.folds[2].at("rows").get<std::size_t>(), 600u - 3u + 1u);
}

TEST(Stacking, NeverSeesItsOwnFold) {
  StackingInput in = synthetic();
  const StackingResult a = stack_out_of_fold(in);
  // Member 1 is perfect in fold 2, but the meta-learner was fitted on folds 0-1 where it was reversed:
  // its weight is negative, so stacked predictions in fold 2 are worse than member 1 itself there.
  EXPECT_LT(a.folds[2].at("weights")[1].get<double>(), 0.0);
  double brier_stacked = 0.0;
  for (std::size_t i = 600; i < 900; ++i) brier_stacked += std::pow(a.p[i] - in.label[i], 2);
  EXPECT_GT(brier_stacked / 300.0, 0.25);
  // Changing fold 2's labels and its members' predictions leaves fold 2's meta-learner unchanged, and
  // fold 1's predictions bit-identical.
  for (std::size_t i = 600; i < 900; ++i) {
    in.label[i] = 1 - in.label[i];
    in.members[0][i] = 0.5;
  }
  const StackingResult b = stack_out_of_fold(in);
  for (std::size_t i = 0; i < 600; ++i) ASSERT_EQ(a.p[i], b.p[i]) << i;
  EXPECT_EQ(a.folds[2].at("weights"), b.folds[2].at("weights"));
  EXPECT_EQ(a.folds[2].at("intercept"), b.folds[2].at("intercept"));
  // Changing the last rows of fold 1 whose labels resolve after fold 2 starts does not change fold 2 either.
  StackingInput c = synthetic();
  const StackingResult c0 = stack_out_of_fold(c);
  for (std::size_t i = 598; i < 600; ++i) c.label[i] = 1 - c.label[i];
  const StackingResult c1 = stack_out_of_fold(c);
  for (std::size_t i = 600; i < 900; ++i) ASSERT_EQ(c0.p[i], c1.p[i]) << i;
}

TEST(Stacking, PenaltyFollowsTheFixedRule) {
  const StackingResult r = stack_out_of_fold(synthetic());
  EXPECT_DOUBLE_EQ(r.folds[1].at("l2").get<double>(), 0.01 * 298.0);
}

TEST(Stacking, RejectsMismatchedInput) {
  StackingInput in = synthetic();
  in.members[1].pop_back();
  EXPECT_THROW(stack_out_of_fold(in), std::invalid_argument);
  StackingInput none = synthetic();
  none.members.clear();
  EXPECT_THROW(stack_out_of_fold(none), std::invalid_argument);
  StackingOptions bad;
  bad.l2_per_row = -1.0;
  EXPECT_THROW(stack_out_of_fold(synthetic(), bad), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::evaluation
