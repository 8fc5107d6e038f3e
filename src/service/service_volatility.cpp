// The volatility object of a prediction: the served forecast on the latest candle, its measured skill
// on the model's unseen test part and its realised skill, stored for resolution.
#include "service_impl.h"
#include "tbml/util/time.h"

namespace tbml {

nlohmann::json Service::Impl::volatility_json(const std::string& pair, const Series& history, bool record) {
  if (!volatility) return {{"available", false}, {"reason", "volatility forecasts are not running"}};
  const volatility::ServedVolatility served = volatility->served(pair);
  if (!served.model) {
    nlohmann::json st = volatility->status(pair);
    return {{"available", false}, {"state", st["state"]}, {"reason", st["reason"]}, {"horizon", cfg.ml.horizon}};
  }
  std::optional<volatility::VolatilityForecast> f = volatility->forecast(pair, history);
  if (!f) {
    nlohmann::json st = volatility->status(pair);
    return {{"available", false}, {"state", st["state"]}, {"reason", st["reason"]}, {"horizon", cfg.ml.horizon}};
  }
  nlohmann::json j = f->to_json();
  j["available"] = true;
  j["modelVersion"] = served.version;
  // Measured skill on the model's unseen test part against EWMA, with the bootstrap verdict.
  const nlohmann::json& report = served.report;
  const std::string member = to_string(served.model->served());
  nlohmann::json skill = {{"vsEwma", f->skill_vs_ewma}};
  if (report.is_object() && report.contains("comparisons")) {
    for (const char* base : {"ewma", "garch"}) {
      const std::string key = member + "-" + base;
      if (report["comparisons"].contains(key)) skill[std::string("qlikeMinus") + (base[0] == 'e' ? "Ewma" : "Garch")] =
                                                   report["comparisons"][key];
    }
    if (report.contains("reason")) skill["reason"] = report["reason"];
  }
  j["skill"] = skill;
  j["realised"] = volatility->realised(pair);
  if (record) {
    VolatilityForecastRecord r;
    r.pair = pair;
    r.candle_ts = f->timestamp;
    r.horizon = static_cast<int>(f->horizon);
    r.member = f->member;
    r.model_version = served.version;
    r.variance = f->variance;
    r.q10 = f->q10;
    r.q50 = f->q50;
    r.q90 = f->q90;
    try {
      r.ewma_variance = served.model->forecast(history, volatility::Member::kEwma).variance;
      r.created_at = now_ms();
      store(r);
    } catch (const std::exception& e) {
      log->warn("{}: volatility forecast not stored: {}", pair, e.what());
    }
  }
  return j;
}

}  // namespace tbml
