#include "tbml/volatility/garch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "unit/volatility/garch_sim.h"

namespace tbml::volatility {
namespace {

TEST(Garch, HorizonVarianceByHand) {
  const GarchParams p{0.1, 0.1, 0.8};  // V = 0.1 / 0.1 = 1
  // σ²_{t+1} = 3, σ²_{t+2} = 0.1 + 0.9 · 3 = 2.8, σ²_{t+3} = 0.1 + 0.9 · 2.8 = 2.62
  EXPECT_NEAR(garch_horizon_variance(p, 3.0, 1), 3.0, 1e-12);
  EXPECT_NEAR(garch_horizon_variance(p, 3.0, 3), 3.0 + 2.8 + 2.62, 1e-12);
  // The k-step variance converges to the unconditional variance, from above and from below; the mean
  // per step carries the excess Σ (σ²_{t+1} − V) 0.9^k = 20 for a while longer.
  for (double start : {3.0, 0.2}) {
    const double k_step = garch_horizon_variance(p, start, 301) - garch_horizon_variance(p, start, 300);
    EXPECT_NEAR(k_step, p.unconditional_variance(), 1e-12);
    EXPECT_NEAR(garch_horizon_variance(p, start, 20000) / 20000.0, p.unconditional_variance(),
                std::abs(start - 1.0) * 10.0 / 20000.0 + 1e-9);
  }
  // EWMA-equivalent: flat.
  EXPECT_NEAR(garch_horizon_variance({0.0, 0.06, 0.94}, 2.0, 5), 10.0, 1e-12);
}

TEST(Garch, LikelihoodByHand) {
  const GarchParams p{0.5, 0.2, 0.3};
  const std::vector<double> r{1.0, std::nan(""), -2.0};
  // σ²_1 = seed 2; σ²_3 = 0.5 + 0.2 · 1 + 0.3 · 2 = 1.3 (the gap adds nothing and keeps σ²)
  const double l2pi = std::log(2.0 * M_PI);
  const double expected = -0.5 * (l2pi + std::log(2.0) + 1.0 / 2.0) - 0.5 * (l2pi + std::log(1.3) + 4.0 / 1.3);
  EXPECT_NEAR(garch_log_likelihood(p, r, 0, 3, 2.0), expected, 1e-12);
}

TEST(Garch, RecoversSimulatedParameters) {
  const double omega = 2e-6, alpha = 0.08, beta = 0.90;
  const auto sim = test::simulate_garch(8000, omega, alpha, beta, 11);
  const Garch g = Garch::fit(sim.returns, 0, sim.returns.size());
  ASSERT_FALSE(g.fallback) << g.reason;
  EXPECT_TRUE(g.converged);
  std::cout << "fitted omega " << g.params.omega << " alpha " << g.params.alpha << " beta " << g.params.beta
            << " (true 2e-6, 0.08, 0.90), log-likelihood " << g.log_likelihood << " after " << g.evaluations
            << " evaluations\n";
  EXPECT_NEAR(g.params.alpha, alpha, 0.03);
  EXPECT_NEAR(g.params.beta, beta, 0.04);
  EXPECT_NEAR(g.params.unconditional_variance() / (omega / (1 - alpha - beta)), 1.0, 0.25);
  // The optimum beats the true parameters and the EWMA-equivalent on the data it was fitted on.
  EXPECT_GE(g.log_likelihood + 1e-6,
            garch_log_likelihood({omega, alpha, beta}, sim.returns, 0, sim.returns.size(), g.seed_variance));
  EXPECT_GT(g.log_likelihood, g.ewma_log_likelihood);
  // Long-horizon forecast per candle -> the fitted unconditional variance.
  const double per_step = g.forecast(sim.returns, sim.returns.size() - 1, 20000, 200) / 20000.0;
  EXPECT_NEAR(per_step / g.params.unconditional_variance(), 1.0, 0.01);
}

TEST(Garch, FallsBackWhenVarianceOnlyTrends) {
  // Variance that grows steadily over the sample: the likelihood wants α + β -> 1 (no mean reversion).
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> r;
  for (int i = 0; i < 3000; ++i) r.push_back(0.001 * std::exp(6.0 * i / 3000.0) * z(rng));
  const Garch g = Garch::fit(r, 0, r.size());
  ASSERT_TRUE(g.fallback) << "fit kept alpha+beta = " << g.params.persistence();
  std::cout << "fallback reason: " << g.reason << "\n";
  EXPECT_FALSE(g.reason.empty());
  EXPECT_DOUBLE_EQ(g.params.omega, 0.0);
  EXPECT_DOUBLE_EQ(g.params.beta, 0.94);
  EXPECT_DOUBLE_EQ(g.log_likelihood, g.ewma_log_likelihood);
}

TEST(Garch, JsonRoundTripAndTooFewReturns) {
  const auto sim = test::simulate_garch(2000, 2e-6, 0.08, 0.9, 5);
  const Garch g = Garch::fit(sim.returns, 0, sim.returns.size());
  const Garch back = Garch::from_json(g.to_json());
  EXPECT_EQ(back.params.omega, g.params.omega);
  EXPECT_EQ(back.params.alpha, g.params.alpha);
  EXPECT_EQ(back.params.beta, g.params.beta);
  EXPECT_EQ(back.seed_variance, g.seed_variance);
  EXPECT_EQ(back.forecast(sim.returns, 1500, 5, 200), g.forecast(sim.returns, 1500, 5, 200));
  EXPECT_THROW(Garch::fit(sim.returns, 0, 40), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::volatility
