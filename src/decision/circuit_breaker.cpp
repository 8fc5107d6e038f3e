#include "tbml/decision/circuit_breaker.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "tbml/models/edge.h"

namespace tbml::decision {
namespace {

constexpr std::uint64_t kSeed = 42;  // the same outcomes always give the same verdict

std::string skill_text(const RealisedSkill& s) {
  return fmt::format("accuracy {:.3f} [{:.3f}, {:.3f}], Brier skill {} over {} outcomes", s.accuracy, s.accuracy_low,
                     s.accuracy_high,
                     s.skill_defined ? fmt::format("{:+.3f} [{:+.3f}, {:+.3f}]", s.skill, s.skill_low, s.skill_high)
                                     : std::string("undefined (the base rate was exactly right)"),
                     s.count);
}

}  // namespace

void BreakerOptions::validate() const {
  if (window == 0) throw std::invalid_argument("breaker window must be at least 1");
  if (min_outcomes == 0 || min_outcomes > window)
    throw std::invalid_argument("breaker minOutcomes must be in [1, window]");
  if (!(accuracy_floor >= 0.0 && accuracy_floor <= 1.0)) throw std::invalid_argument("accuracyFloor must be in [0, 1]");
  if (!(skill_floor >= -1.0 && skill_floor <= 1.0)) throw std::invalid_argument("skillFloor must be in [-1, 1]");
  if (!(ensemble_skill_floor >= -1.0 && ensemble_skill_floor <= 1.0))
    throw std::invalid_argument("ensembleSkillFloor must be in [-1, 1]");
  if (horizon == 0) throw std::invalid_argument("breaker horizon must be at least 1");
  if (resamples < 100) throw std::invalid_argument("breaker resamples must be at least 100");
  if (!(level > 0.5 && level < 1.0)) throw std::invalid_argument("breaker level must be in (0.5, 1)");
}

nlohmann::json RealisedSkill::to_json() const {
  nlohmann::json j{{"count", count},         {"accuracy", accuracy}, {"accuracyInterval", {accuracy_low, accuracy_high}},
                   {"brier", brier},         {"baseRate", base_rate}, {"baseBrier", base_brier}};
  if (skill_defined) {
    j["skill"] = skill;
    j["skillInterval"] = {skill_low, skill_high};
  } else {
    j["skill"] = nullptr;
  }
  return j;
}

RealisedSkill RealisedSkill::from_json(const nlohmann::json& j) {
  RealisedSkill s;
  s.count = j.at("count").get<std::size_t>();
  s.accuracy = j.at("accuracy").get<double>();
  s.accuracy_low = j.at("accuracyInterval").at(0).get<double>();
  s.accuracy_high = j.at("accuracyInterval").at(1).get<double>();
  s.brier = j.at("brier").get<double>();
  s.base_rate = j.at("baseRate").get<double>();
  s.base_brier = j.at("baseBrier").get<double>();
  s.skill_defined = j.contains("skill") && j["skill"].is_number();
  if (s.skill_defined) {
    s.skill = j["skill"].get<double>();
    s.skill_low = j.at("skillInterval").at(0).get<double>();
    s.skill_high = j.at("skillInterval").at(1).get<double>();
  }
  return s;
}

RealisedSkill realised_skill(const std::vector<ResolvedOutcome>& outcomes, const BreakerOptions& options) {
  RealisedSkill s;
  const std::size_t n = std::min(outcomes.size(), options.window);
  if (n == 0) return s;
  const auto first = outcomes.end() - static_cast<std::ptrdiff_t>(n);
  std::vector<double> hits, p, b, y;
  for (auto it = first; it != outcomes.end(); ++it) {
    if (!(it->p >= 0.0 && it->p <= 1.0) || !(it->base_rate >= 0.0 && it->base_rate <= 1.0))
      throw std::invalid_argument("realised_skill: probability or base rate outside [0, 1]");
    p.push_back(it->p);
    b.push_back(it->base_rate);
    y.push_back(it->up ? 1.0 : 0.0);
    hits.push_back(((it->p > 0.5) == it->up) ? 1.0 : 0.0);
  }
  s.count = n;
  for (std::size_t i = 0; i < n; ++i) {
    s.base_rate += y[i];
    s.brier += (p[i] - y[i]) * (p[i] - y[i]);
    s.base_brier += (b[i] - y[i]) * (b[i] - y[i]);
  }
  s.base_rate /= static_cast<double>(n);
  s.brier /= static_cast<double>(n);
  s.base_brier /= static_cast<double>(n);
  const std::size_t block = std::min(n, 2 * options.horizon);
  if (n >= 2) {
    const BootstrapInterval a = block_bootstrap_mean(hits, block, options.resamples, options.level, kSeed);
    s.accuracy = a.mean;
    s.accuracy_low = a.lower;
    s.accuracy_high = a.upper;
  } else {
    s.accuracy = s.accuracy_low = s.accuracy_high = hits[0];
  }
  s.skill_defined = s.base_brier > 0.0;
  if (s.skill_defined) {
    // Per outcome: base-rate Brier − model Brier; its mean is base Brier − Brier.
    std::vector<double> d(n);
    for (std::size_t i = 0; i < n; ++i) d[i] = (b[i] - y[i]) * (b[i] - y[i]) - (p[i] - y[i]) * (p[i] - y[i]);
    const BootstrapInterval b = block_bootstrap_mean(d, block, options.resamples, options.level, kSeed);
    s.skill = 1.0 - s.brier / s.base_brier;
    s.skill_low = b.lower / s.base_brier;
    s.skill_high = b.upper / s.base_brier;
  }
  return s;
}

std::string to_string(BreakerState state) { return state == BreakerState::kBenched ? "benched" : "active"; }

ModelBreaker::ModelBreaker(BreakerOptions options) : options_(options) { options_.validate(); }

void ModelBreaker::observe(const std::vector<ResolvedOutcome>& outcomes, std::int64_t now_ms) {
  if (benched()) return;  // only a passing retrain brings it back
  std::vector<ResolvedOutcome> counted;
  for (const auto& o : outcomes)
    if (o.made_at > counting_since_) counted.push_back(o);
  latest_ = realised_skill(counted, options_);
  if (latest_.count < options_.min_outcomes) {
    reason_ = fmt::format("{} of {} outcomes needed before judging", latest_.count, options_.min_outcomes);
    return;
  }
  const bool bad_accuracy = latest_.accuracy_high < options_.accuracy_floor;
  const bool bad_skill = latest_.skill_defined && latest_.skill_high < options_.skill_floor;
  if (!bad_accuracy && !bad_skill) {
    reason_ = "within the floors: " + skill_text(latest_);
    return;
  }
  state_ = BreakerState::kBenched;
  ++times_benched_;
  at_bench_ = latest_;
  benched_at_ = now_ms;
  benched_data_ = counted.back().made_at;
  reason_ = fmt::format("benched: {} lies below the floor{} (accuracy {:.3f}, skill {:+.3f}) beyond noise; weight 0 "
                        "until a retrain passes the floors on fresh data",
                        skill_text(latest_), bad_accuracy && bad_skill ? "s" : "", options_.accuracy_floor,
                        options_.skill_floor);
}

bool ModelBreaker::on_retrain(const RetrainCheck& c, std::int64_t now_ms) {
  const double base = c.test_base_rate * (1.0 - c.test_base_rate);
  const double skill = base > 0.0 ? 1.0 - c.test_brier / base : 0.0;
  last_retrain_ = {{"version", c.version},           {"dataTo", c.data_to},     {"testSamples", c.test_samples},
                   {"testAccuracy", c.test_accuracy}, {"testBrier", c.test_brier}, {"testBaseRate", c.test_base_rate},
                   {"testSkill", skill},             {"at", now_ms}};
  if (!benched()) return false;
  std::string why;
  if (c.data_to <= benched_data_)
    why = fmt::format("its data ends at {}, not after the outcomes that benched it ({})", c.data_to, benched_data_);
  else if (c.test_samples < options_.min_outcomes)
    why = fmt::format("{} test windows, fewer than {}", c.test_samples, options_.min_outcomes);
  else if (c.test_accuracy < options_.accuracy_floor)
    why = fmt::format("test accuracy {:.3f} below the floor {:.3f}", c.test_accuracy, options_.accuracy_floor);
  else if (base <= 0.0 || skill < options_.skill_floor)
    why = fmt::format("test Brier skill {:+.3f} below the floor {:+.3f}", skill, options_.skill_floor);
  last_retrain_["passed"] = why.empty();
  if (!why.empty()) {
    last_retrain_["reason"] = "retrain v" + std::to_string(c.version) + " does not re-admit: " + why;
    return false;
  }
  state_ = BreakerState::kActive;
  counting_since_ = now_ms;
  latest_ = {};
  reason_ = fmt::format("re-admitted after retrain v{}: test accuracy {:.3f}, Brier skill {:+.3f} over {} fresh "
                        "windows; judged again on outcomes made from now on",
                        c.version, c.test_accuracy, skill, c.test_samples);
  last_retrain_["reason"] = reason_;
  return true;
}

nlohmann::json ModelBreaker::to_json() const {
  nlohmann::json j{{"state", to_string(state_)},   {"reason", reason_},
                   {"timesBenched", times_benched_}, {"countingSince", counting_since_},
                   {"latest", latest_.to_json()},  {"floors", {{"accuracy", options_.accuracy_floor}, {"skill", options_.skill_floor}}},
                   {"window", options_.window},    {"minOutcomes", options_.min_outcomes}};
  if (times_benched_ > 0) {
    j["benchedAt"] = benched_at_;
    j["benchedSkill"] = at_bench_.to_json();
  }
  if (!last_retrain_.is_null()) j["lastRetrain"] = last_retrain_;
  return j;
}

nlohmann::json ModelBreaker::saved() const {
  nlohmann::json j{{"state", to_string(state_)},     {"reason", reason_},          {"countingSince", counting_since_},
                   {"benchedAt", benched_at_},       {"benchedData", benched_data_}, {"timesBenched", times_benched_}};
  if (times_benched_ > 0) j["benchedSkill"] = at_bench_.to_json();
  return j;
}

void ModelBreaker::restore(const nlohmann::json& j) {
  try {
    const std::string state = j.at("state").get<std::string>();
    if (state != "active" && state != "benched") throw std::invalid_argument("unknown state '" + state + "'");
    ModelBreaker b(options_);
    b.state_ = state == "benched" ? BreakerState::kBenched : BreakerState::kActive;
    b.reason_ = j.at("reason").get<std::string>() + " (restored after a restart)";
    b.counting_since_ = j.at("countingSince").get<std::int64_t>();
    b.benched_at_ = j.at("benchedAt").get<std::int64_t>();
    b.benched_data_ = j.at("benchedData").get<std::int64_t>();
    b.times_benched_ = j.at("timesBenched").get<std::size_t>();
    if (b.times_benched_ > 0) b.at_bench_ = RealisedSkill::from_json(j.at("benchedSkill"));
    *this = std::move(b);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("breaker state: ") + e.what());
  }
}

EnsembleBreaker::EnsembleBreaker(BreakerOptions options) : options_(options) { options_.validate(); }

void EnsembleBreaker::observe(const std::vector<ResolvedOutcome>& outcomes) {
  latest_ = realised_skill(outcomes, options_);
  const bool was = tripped_;
  if (latest_.count < options_.min_outcomes) {
    tripped_ = false;
    reason_ = fmt::format("{} of {} outcomes needed before judging", latest_.count, options_.min_outcomes);
  } else if (latest_.skill_defined && latest_.skill_high < options_.ensemble_skill_floor) {
    tripped_ = true;
    reason_ = fmt::format("every signal is HOLD: the ensemble's realised Brier skill {:+.3f} [{:+.3f}, {:+.3f}] over "
                          "{} outcomes lies below the floor {:+.3f}",
                          latest_.skill, latest_.skill_low, latest_.skill_high, latest_.count,
                          options_.ensemble_skill_floor);
  } else {
    tripped_ = false;
    reason_ = "within the floor: " + skill_text(latest_);
  }
  if (tripped_ && !was) ++times_tripped_;
}

nlohmann::json EnsembleBreaker::to_json() const {
  return {{"tripped", tripped_},         {"reason", reason_}, {"floor", options_.ensemble_skill_floor},
          {"timesTripped", times_tripped_}, {"latest", latest_.to_json()}};
}

}  // namespace tbml::decision
