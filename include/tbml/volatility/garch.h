#pragma once
// GARCH(1,1) with zero mean: σ²_{i+1} = ω + α r_i² + β σ²_i, fitted by Gaussian maximum likelihood on the
// training part's returns. The mean is taken as zero because the mean hourly return is noise next to its
// spread. The recursion starts from the training part's mean r² (as the EWMA does); a missing return
// (gap) leaves σ² unchanged and adds no likelihood term.
//
// Fitting: returns are divided by their RMS so the parameters are O(1); Nelder–Mead minimises the
// negative log-likelihood over θ = (log ω, logit(α+β), logit(α/(α+β))), which keeps ω > 0, α, β ≥ 0 and
// α + β < 1 without penalties, from three starting points plus a restart from the best. The fit is
// rejected, and the EWMA-equivalent (ω = 0, α = 1 − λ, β = λ) used instead with the reason recorded, when
// the optimiser does not converge, the likelihood is not finite, α + β ≥ 0.9999 (no mean reversion to
// speak of), or the optimum is below the EWMA-equivalent's own likelihood (the search failed).
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::volatility {

struct GarchParams {
  double omega = 0.0, alpha = 0.0, beta = 0.0;
  double persistence() const { return alpha + beta; }
  double unconditional_variance() const;  // ω / (1 − α − β); +inf when α + β >= 1
};

// Gaussian log-likelihood (with the 2π constant) of the non-missing returns in [begin, end), the
// recursion seeded with `seed_variance`.
double garch_log_likelihood(const GarchParams& p, const std::vector<double>& returns, std::size_t begin,
                            std::size_t end, double seed_variance);

// Σ_{k=1..h} σ²_{t+k|t} given σ²_{t+1|t}: σ²_{t+k+1|t} = ω + (α + β) σ²_{t+k|t}, i.e. mean reversion to the
// unconditional variance at rate α + β (flat when ω = 0 and α + β = 1, the EWMA case).
double garch_horizon_variance(const GarchParams& p, double next_variance, std::size_t horizon);

struct Garch {
  GarchParams params;
  double seed_variance = 0.0;
  double log_likelihood = 0.0;    // at `params` on the training returns
  double ewma_log_likelihood = 0.0;  // of the EWMA-equivalent on the same returns, for comparison
  std::size_t observations = 0;
  std::size_t evaluations = 0;    // objective evaluations over all starts
  bool converged = false;
  bool fallback = false;          // true: params are the EWMA-equivalent, see `reason`
  std::string reason;             // why the fit was rejected; empty when it was kept

  // Fits on returns[begin, end). Throws std::invalid_argument when there are fewer than 50 returns or
  // they are all zero.
  static Garch fit(const std::vector<double>& returns, std::size_t begin, std::size_t end,
                   double fallback_lambda = 0.94);

  double next_variance(const std::vector<double>& returns, std::size_t begin, std::size_t end) const;
  // h-candle variance at t, reading the last `window` returns up to and including r_t.
  double forecast(const std::vector<double>& returns, std::size_t t, std::size_t horizon, std::size_t window) const;

  nlohmann::json to_json() const;
  static Garch from_json(const nlohmann::json& j);  // throws std::invalid_argument on bad parameters
};

}  // namespace tbml::volatility
