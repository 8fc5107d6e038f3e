#include "tbml/volatility/garch.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "tbml/volatility/nelder_mead.h"
#include "tbml/volatility/realised.h"

namespace tbml::volatility {
namespace {

constexpr double kLog2Pi = 1.8378770664093453;
constexpr double kMaxPersistence = 0.9999;

double logistic(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }
double logit(double p) { return std::log(p / (1.0 - p)); }

GarchParams from_theta(const std::vector<double>& th) {
  const double p = logistic(th[1]), share = logistic(th[2]);
  return {std::exp(th[0]), p * share, p * (1.0 - share)};
}

std::vector<double> to_theta(double omega, double alpha, double beta) {
  return {std::log(omega), logit(alpha + beta), logit(alpha / (alpha + beta))};
}

}  // namespace

double GarchParams::unconditional_variance() const {
  const double p = persistence();
  return p < 1.0 ? omega / (1.0 - p) : std::numeric_limits<double>::infinity();
}

double garch_log_likelihood(const GarchParams& p, const std::vector<double>& returns, std::size_t begin,
                            std::size_t end, double seed_variance) {
  double v = seed_variance, ll = 0.0;
  for (std::size_t i = begin; i < end && i < returns.size(); ++i) {
    const double r = returns[i];
    if (std::isnan(r)) continue;
    if (!(v > 0.0)) return -std::numeric_limits<double>::infinity();
    ll -= 0.5 * (kLog2Pi + std::log(v) + r * r / v);
    v = p.omega + p.alpha * r * r + p.beta * v;
  }
  return ll;
}

double garch_horizon_variance(const GarchParams& p, double next_variance, std::size_t horizon) {
  double v = next_variance, sum = 0.0;
  const double persistence = p.persistence();
  for (std::size_t k = 0; k < horizon; ++k) {
    sum += v;
    v = p.omega + persistence * v;
  }
  return sum;
}

Garch Garch::fit(const std::vector<double>& returns, std::size_t begin, std::size_t end, double fallback_lambda) {
  std::vector<double> x;  // the non-missing training returns divided by their RMS
  for (std::size_t i = begin; i < end && i < returns.size(); ++i)
    if (!std::isnan(returns[i])) x.push_back(returns[i]);
  if (x.size() < 50)
    throw std::invalid_argument("Garch::fit: " + std::to_string(x.size()) + " returns, need at least 50");
  Garch g;
  g.seed_variance = mean_square(returns, begin, end);
  if (!(g.seed_variance > 0.0)) throw std::invalid_argument("Garch::fit: the training returns are all zero");
  const double scale = std::sqrt(g.seed_variance);
  for (double& r : x) r /= scale;
  g.observations = x.size();

  auto nll = [&](const std::vector<double>& th) {
    return -garch_log_likelihood(from_theta(th), x, 0, x.size(), 1.0);
  };
  const GarchParams ewma_eq{0.0, 1.0 - fallback_lambda, fallback_lambda};
  // Starting points: typical hourly fits (high persistence), a moderate one and a fast-reacting one,
  // each with ω set so the unconditional variance matches the sample's (1 after scaling).
  const double starts[][2] = {{0.05, 0.90}, {0.10, 0.80}, {0.03, 0.96}};
  NelderMeadResult best;
  best.f = std::numeric_limits<double>::infinity();
  for (const auto& s : starts) {
    NelderMeadResult r = nelder_mead(nll, to_theta(1.0 - s[0] - s[1], s[0], s[1]), {0.5, 0.5, 0.5});
    g.evaluations += r.evaluations;
    if (r.f < best.f) best = std::move(r);
  }
  if (std::isfinite(best.f)) {  // a restart escapes a simplex collapsed far from the optimum
    NelderMeadResult r = nelder_mead(nll, best.x, {0.1, 0.1, 0.1});
    g.evaluations += r.evaluations;
    if (r.f <= best.f) best = std::move(r);
  }
  g.converged = best.converged;
  const double log_scale = std::log(scale) * static_cast<double>(x.size());  // density of r = density of x / scale
  g.ewma_log_likelihood = garch_log_likelihood(ewma_eq, x, 0, x.size(), 1.0) - log_scale;

  std::string reason;
  GarchParams fitted{};
  if (!std::isfinite(best.f)) {
    reason = "the likelihood was not finite at any point tried";
  } else {
    fitted = from_theta(best.x);
    fitted.omega *= g.seed_variance;
    g.log_likelihood = -best.f - log_scale;
    if (!best.converged)
      reason = "Nelder-Mead did not converge in " + std::to_string(g.evaluations) + " evaluations";
    else if (fitted.persistence() >= kMaxPersistence)
      reason = "alpha + beta = " + std::to_string(fitted.persistence()) + " >= 0.9999: no mean reversion";
    else if (g.log_likelihood < g.ewma_log_likelihood - 1e-6)
      reason = "the optimum's log-likelihood " + std::to_string(g.log_likelihood) +
               " is below the EWMA-equivalent's " + std::to_string(g.ewma_log_likelihood);
  }
  if (reason.empty()) {
    g.params = fitted;
  } else {
    g.fallback = true;
    g.reason = reason + "; using the EWMA-equivalent (omega 0, alpha " + std::to_string(1.0 - fallback_lambda) +
               ", beta " + std::to_string(fallback_lambda) + ")";
    g.params = ewma_eq;
    g.log_likelihood = g.ewma_log_likelihood;
  }
  return g;
}

double Garch::next_variance(const std::vector<double>& returns, std::size_t begin, std::size_t end) const {
  double v = seed_variance;
  for (std::size_t i = begin; i < end && i < returns.size(); ++i) {
    const double r = returns[i];
    if (std::isnan(r)) continue;
    v = params.omega + params.alpha * r * r + params.beta * v;
  }
  return v;
}

double Garch::forecast(const std::vector<double>& returns, std::size_t t, std::size_t horizon,
                       std::size_t window) const {
  const std::size_t begin = t + 1 > window ? t + 1 - window : 0;
  return garch_horizon_variance(params, next_variance(returns, begin, t + 1), horizon);
}

nlohmann::json Garch::to_json() const {
  return {{"omega", params.omega},
          {"alpha", params.alpha},
          {"beta", params.beta},
          {"persistence", params.persistence()},
          {"unconditionalVariance", fallback ? nlohmann::json(nullptr) : nlohmann::json(params.unconditional_variance())},
          {"seedVariance", seed_variance},
          {"logLikelihood", log_likelihood},
          {"ewmaLogLikelihood", ewma_log_likelihood},
          {"observations", observations},
          {"evaluations", evaluations},
          {"converged", converged},
          {"fallback", fallback},
          {"reason", reason}};
}

Garch Garch::from_json(const nlohmann::json& j) {
  Garch g;
  g.params = {j.at("omega").get<double>(), j.at("alpha").get<double>(), j.at("beta").get<double>()};
  g.seed_variance = j.at("seedVariance").get<double>();
  g.log_likelihood = j.value("logLikelihood", 0.0);
  g.ewma_log_likelihood = j.value("ewmaLogLikelihood", 0.0);
  g.observations = j.value("observations", std::size_t{0});
  g.evaluations = j.value("evaluations", std::size_t{0});
  g.converged = j.value("converged", false);
  g.fallback = j.value("fallback", false);
  g.reason = j.value("reason", std::string());
  const auto& p = g.params;
  if (!(p.omega >= 0.0) || !(p.alpha >= 0.0) || !(p.beta >= 0.0) || !(p.persistence() <= 1.0) ||
      !(g.seed_variance > 0.0) || !std::isfinite(g.seed_variance) || !std::isfinite(p.omega))
    throw std::invalid_argument("Garch: bad parameters in the stored model");
  return g;
}

}  // namespace tbml::volatility
