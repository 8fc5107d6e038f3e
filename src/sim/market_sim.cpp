#include "tbml/sim/market_sim.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "sim_random.h"

namespace tbml {
namespace {

using sim_detail::PortableRng;

constexpr double kHourMs = 3'600'000.0;

// Rough hourly log-return volatility: majors are calmer than small coins.
double hourly_volatility(const std::string& pair) {
  if (pair == "BTC") return 0.0065;
  if (pair == "ETH") return 0.008;
  if (pair == "BNB") return 0.0085;
  return 0.011;
}

enum Regime { kTrendUp = 0, kTrendDown = 1, kRanging = 2 };

struct ProcessParams {
  double base_vol;      // per-step volatility (unconditional)
  double trend_drift;   // per-step drift while trending
  double range_kappa;   // per-step pull toward the anchor while ranging
  double global_kappa;  // weak pull toward the start price so long series stay at their level
  double switch_prob;   // per-step probability of leaving the current regime
  double jump_prob;     // per-step probability of a jump
  double garch_alpha = 0.07;
  double garch_beta = 0.91;
};

ProcessParams make_params(const std::string& pair, std::int64_t step_ms) {
  const double scale = static_cast<double>(step_ms) / kHourMs;  // steps are this many hours
  const double vol_h = hourly_volatility(pair);
  ProcessParams p{};
  p.base_vol = vol_h * std::sqrt(scale);
  // Strong enough (0.3 σ per step) that a trend is detectable from recent returns within its ~80-hour
  // life, so the demo shows models that learn something; real hourly crypto is much closer to noise.
  p.trend_drift = 0.3 * vol_h * scale;
  p.range_kappa = std::min(0.5, 0.02 * scale);
  p.global_kappa = std::min(0.05, 0.0004 * scale);
  p.switch_prob = std::min(0.5, scale / 80.0);  // regimes last ~80 hours on average
  p.jump_prob = std::min(0.2, 0.002 * scale);
  return p;
}

Regime next_regime(Regime current, double switch_prob, PortableRng& rng) {
  if (!rng.chance(switch_prob)) return current;
  // Leave to one of the two other regimes with equal probability.
  const int offset = rng.uniform() < 0.5 ? 1 : 2;
  return static_cast<Regime>((static_cast<int>(current) + offset) % 3);
}

}  // namespace

double default_start_price(const std::string& pair) {
  static const std::array<std::pair<const char*, double>, 8> known{{{"BTC", 60000.0},
                                                                    {"ETH", 3000.0},
                                                                    {"BNB", 550.0},
                                                                    {"SOL", 150.0},
                                                                    {"XRP", 0.55},
                                                                    {"ADA", 0.45},
                                                                    {"DOGE", 0.15},
                                                                    {"LTC", 80.0}}};
  for (const auto& [name, price] : known) {
    if (pair == name) return price;
  }
  // Small coin: 0.5 times a factor in [0.5, 2) fixed by the name.
  const double u = static_cast<double>(pair_seed(0, pair) >> 11) * 0x1.0p-53;
  return 0.5 * std::exp((u - 0.5) * 2.0 * std::log(2.0));
}

std::uint64_t pair_seed(std::uint64_t seed, const std::string& pair) {
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (unsigned char c : pair) {
    hash ^= c;
    hash *= 0x100000001B3ULL;
  }
  return sim_detail::mix64(seed ^ sim_detail::mix64(hash));
}

std::vector<Candle> generate_candles(const std::string& pair, const MarketSimOptions& options) {
  if (options.count == 0) throw std::invalid_argument("generate_candles: count must be > 0");
  if (options.step_ms <= 0) throw std::invalid_argument("generate_candles: step_ms must be > 0");
  if (!std::isfinite(options.start_price) || options.start_price < 0.0) {
    throw std::invalid_argument("generate_candles: start_price must be finite and >= 0");
  }
  const double start_price = options.start_price > 0.0 ? options.start_price : default_start_price(pair);
  const ProcessParams p = make_params(pair, options.step_ms);
  PortableRng rng(pair_seed(options.seed, pair));

  const double base_var = p.base_vol * p.base_vol;
  const double omega = base_var * (1.0 - p.garch_alpha - p.garch_beta);
  // Typical volume: about 50M USD traded per hour, expressed in units of the base asset.
  const double base_volume = 5e7 * (static_cast<double>(options.step_ms) / kHourMs) / start_price;

  std::vector<Candle> candles;
  candles.reserve(options.count);
  const double log_start = std::log(start_price);
  double log_price = log_start;
  double variance = base_var;
  double last_shock = 0.0;
  Regime regime = static_cast<Regime>(static_cast<int>(rng.uniform() * 3.0) % 3);
  double anchor = log_price;

  for (std::size_t i = 0; i < options.count; ++i) {
    const Regime previous = regime;
    regime = next_regime(regime, p.switch_prob, rng);
    if (regime == kRanging && previous != kRanging) anchor = log_price;

    // GARCH(1,1): today's variance reacts to yesterday's shock; bounded so it cannot explode.
    variance = omega + p.garch_alpha * last_shock * last_shock + p.garch_beta * variance;
    variance = std::clamp(variance, base_var * 0.04, base_var * 25.0);
    const double sigma = std::sqrt(variance);

    double drift = -p.global_kappa * (log_price - log_start);
    if (regime == kTrendUp) drift += p.trend_drift;
    if (regime == kTrendDown) drift -= p.trend_drift;
    if (regime == kRanging) drift -= p.range_kappa * (log_price - anchor);

    double shock = sigma * rng.normal();
    if (rng.chance(p.jump_prob))
      shock += (rng.uniform() < 0.5 ? -1.0 : 1.0) * sigma * (4.0 + 4.0 * rng.uniform());
    last_shock = shock;
    const double log_return = std::clamp(drift + shock, -0.4, 0.4);

    const double open = std::exp(log_price);
    log_price += log_return;
    const double close = std::exp(log_price);
    const double wick_up = std::fabs(rng.normal()) * 0.6 * sigma;
    const double wick_down = std::fabs(rng.normal()) * 0.6 * sigma;

    Candle c;
    c.timestamp = options.start_ms + static_cast<std::int64_t>(i) * options.step_ms;
    c.open = open;
    c.close = close;
    c.high = std::max(open, close) * std::exp(wick_up);
    c.low = std::min(open, close) * std::exp(-wick_down);
    // Volume follows volatility (busy markets trade more) and the size of this candle's move.
    const double activity = 1.2 * (sigma / p.base_vol - 1.0) + 0.35 * rng.normal();
    c.volume =
        base_volume * std::exp(std::clamp(activity, -3.0, 3.0)) * (1.0 + std::fabs(log_return) / p.base_vol);
    candles.push_back(c);
  }
  return candles;
}

}  // namespace tbml
