#include "tbml/models/edge.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace tbml {

std::string to_string(EdgeVerdict verdict) {
  switch (verdict) {
    case EdgeVerdict::kReal: return "real";
    case EdgeVerdict::kNone: return "none";
    case EdgeVerdict::kWorse: return "worse";
  }
  return "none";
}

BootstrapInterval block_bootstrap_mean(const std::vector<double>& d, std::size_t block, int resamples, double level,
                                       std::uint64_t seed) {
  if (d.empty()) throw std::invalid_argument("block bootstrap of an empty series");
  if (resamples < 10) throw std::invalid_argument("resamples must be at least 10");
  if (!(level > 0.0 && level < 1.0)) throw std::invalid_argument("level must be in (0, 1)");
  const std::size_t n = d.size();
  block = std::clamp<std::size_t>(block, 1, n);
  BootstrapInterval out;
  double sum = 0.0;
  for (double v : d) sum += v;
  out.mean = sum / static_cast<double>(n);

  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> start(0, n - 1);
  std::vector<double> means(static_cast<std::size_t>(resamples));
  const std::size_t blocks = (n + block - 1) / block;
  for (double& m : means) {
    double s = 0.0;
    std::size_t taken = 0;
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t first = start(rng);
      for (std::size_t k = 0; k < block && taken < n; ++k, ++taken) s += d[(first + k) % n];  // circular
    }
    m = s / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  const double tail = (1.0 - level) / 2.0;
  auto at = [&](double q) {
    const double pos = q * static_cast<double>(means.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, means.size() - 1);
    return means[lo] + (means[hi] - means[lo]) * (pos - static_cast<double>(lo));
  };
  out.lower = at(tail);
  out.upper = at(1.0 - tail);
  return out;
}

DirectionEdge measure_edge(const std::vector<double>& p, const std::vector<std::uint8_t>& y, double base_forecast,
                           std::size_t horizon, const EdgeOptions& options) {
  if (p.empty() || p.size() != y.size()) throw std::invalid_argument("measure_edge: empty or mismatched input");
  if (!(base_forecast >= 0.0 && base_forecast <= 1.0)) throw std::invalid_argument("base forecast must be in [0, 1]");
  if (horizon == 0) throw std::invalid_argument("horizon must be positive");
  DirectionEdge e;
  e.samples = p.size();
  e.horizon = horizon;
  e.block = options.block > 0 ? options.block : 2 * horizon;
  e.effective_samples = static_cast<double>(p.size()) / static_cast<double>(horizon);
  e.base_forecast = base_forecast;
  e.level = options.level;
  std::vector<double> d(p.size());
  double model = 0.0, base = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!(p[i] >= 0.0 && p[i] <= 1.0)) throw std::invalid_argument("measure_edge: probability outside [0, 1]");
    const double t = y[i] ? 1.0 : 0.0;
    const double bm = (p[i] - t) * (p[i] - t);
    const double bb = (base_forecast - t) * (base_forecast - t);
    model += bm;
    base += bb;
    d[i] = bb - bm;
  }
  e.model_brier = model / static_cast<double>(p.size());
  e.base_brier = base / static_cast<double>(p.size());
  const BootstrapInterval ci = block_bootstrap_mean(d, e.block, options.resamples, options.level, options.seed);
  e.improvement = ci.mean;
  e.lower = ci.lower;
  e.upper = ci.upper;
  e.verdict = e.lower > 0.0 ? EdgeVerdict::kReal : e.upper < 0.0 ? EdgeVerdict::kWorse : EdgeVerdict::kNone;
  const char* says = e.real() ? "beats" : e.verdict == EdgeVerdict::kWorse ? "is worse than" : "does not beat";
  e.reason = fmt::format(
      "test Brier {:.5f} {} the base-rate forecast (always {:.4f}, Brier {:.5f}) beyond noise: improvement {:+.5f}, "
      "{:.0f}% block-bootstrap interval [{:+.5f}, {:+.5f}] over {} windows (~{:.0f} independent, blocks of {})",
      e.model_brier, says, base_forecast, e.base_brier, e.improvement, e.level * 100.0, e.lower, e.upper, e.samples,
      e.effective_samples, e.block);
  return e;
}

nlohmann::json DirectionEdge::to_json() const {
  return {{"edge", to_string(verdict)},  {"samples", samples},     {"horizon", horizon},
          {"block", block},              {"effectiveSamples", effective_samples},
          {"baseForecast", base_forecast}, {"modelBrier", model_brier}, {"baseBrier", base_brier},
          {"improvement", improvement},  {"lower", lower},         {"upper", upper},
          {"level", level},              {"reason", reason}};
}

DirectionEdge DirectionEdge::from_json(const nlohmann::json& j) {
  try {
    DirectionEdge e;
    const std::string v = j.at("edge").get<std::string>();
    e.verdict = v == "real" ? EdgeVerdict::kReal : v == "worse" ? EdgeVerdict::kWorse : EdgeVerdict::kNone;
    e.samples = j.at("samples").get<std::size_t>();
    e.horizon = j.at("horizon").get<std::size_t>();
    e.block = j.at("block").get<std::size_t>();
    e.effective_samples = j.at("effectiveSamples").get<double>();
    e.base_forecast = j.at("baseForecast").get<double>();
    e.model_brier = j.at("modelBrier").get<double>();
    e.base_brier = j.at("baseBrier").get<double>();
    e.improvement = j.at("improvement").get<double>();
    e.lower = j.at("lower").get<double>();
    e.upper = j.at("upper").get<double>();
    e.level = j.value("level", 0.95);
    e.reason = j.value("reason", std::string());
    return e;
  } catch (const nlohmann::json::exception& ex) {
    throw std::invalid_argument(std::string("bad edge JSON: ") + ex.what());
  }
}

}  // namespace tbml
