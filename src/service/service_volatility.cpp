// The volatility object of a prediction: the served forecast on the latest candle, its measured skill
// on the model's unseen test part and its realised skill, stored for resolution.
#include "service_impl.h"
#include "tbml/util/time.h"

namespace tbml {

nlohmann::json Service::Impl::volatility_json(HorizonTrack& t, const std::string& pair, const Series& history,
                                              bool record) {
  volatility::VolatilityServing* volatility = t.volatility.get();
  if (!volatility) return {{"available", false}, {"reason", "volatility forecasts are not running"}};
  const volatility::ServedVolatility served = volatility->served(pair);
  const auto f = served.model ? volatility->forecast(pair, history) : std::nullopt;
  if (!f) {
    nlohmann::json st = volatility->status(pair);
    return {{"available", false}, {"state", st["state"]}, {"reason", st["reason"]}, {"horizon", t.horizon()}};
  }
  const volatility::VolatilityForecast& v = f->served;
  nlohmann::json j = v.to_json();
  j["available"] = true;
  j["modelVersion"] = served.version;
  // Measured skill on the model's unseen test part against EWMA, with the bootstrap verdicts.
  const nlohmann::json& report = served.report;
  const std::string member = to_string(served.model->served());
  nlohmann::json skill = {{"vsEwma", v.skill_vs_ewma}};
  if (report.is_object() && report.contains("comparisons")) {
    for (const auto& [base, key] : {std::pair{"ewma", "qlikeMinusEwma"}, std::pair{"garch", "qlikeMinusGarch"}}) {
      const std::string name = member + "-" + base;
      if (report["comparisons"].contains(name)) skill[key] = report["comparisons"][name];
    }
    if (report.contains("reason")) skill["reason"] = report["reason"];
  }
  j["skill"] = skill;
  j["realised"] = volatility->realised(pair);
  if (record) {
    VolatilityForecastRecord r;
    r.pair = pair;
    r.candle_ts = v.timestamp;
    r.horizon = static_cast<int>(v.horizon);
    r.member = v.member;
    r.model_version = served.version;
    r.variance = v.variance;
    r.q10 = v.q10;
    r.q50 = v.q50;
    r.q90 = v.q90;
    r.ewma_variance = f->ewma_variance;
    r.created_at = now_ms();
    store(r);  // never throws: a refused write is logged by store()
  }
  return j;
}

}  // namespace tbml
