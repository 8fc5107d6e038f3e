#include "tbml/service/prediction_answer.h"

#include <memory>

#include "tbml/ensemble/prediction_json.h"
#include "tbml/models/model.h"
#include "tbml/util/json_template.h"

namespace tbml {
namespace {

enum Hole : std::size_t { kTimestamp, kResponseTime, kStale, kHorizons, kHoles };

// The answer tree; `fill` puts the request's values (or the holes) where they go.
template <typename Fill>
nlohmann::json answer_tree(const PredictionSnapshot& snap, const PredictionForm& form, const AnswerSettings& settings,
                           Fill fill) {
  ResponseMeta meta;
  meta.cached = true;
  meta.timestamp = 1;  // replaced below; a fixed value keeps now_ms() out of the cached text
  CombineOptions co;
  co.signal_threshold = settings.signal_threshold;
  nlohmann::json body = form.single ? individual_prediction_json(snap, *form.single, meta, co)
                                    : ensemble_prediction_json(snap, form.strategy, meta);
  // The sizing of the served decision (configured strategy), computed when the snapshot was published.
  if (!form.single) {
    body["sizing"] = snap.sizing;
    body["uncertainty"] = snap.uncertainty;
    body["breaker"] = snap.breaker;
  }
  body["horizon"] = settings.horizon;
  body["timestamp"] = fill(kTimestamp);
  body["prediction"]["timestamp"] = fill(kTimestamp);
  body["stale"] = fill(kStale);
  body["horizons"] = fill(kHorizons);
  body["responseTime"] = fill(kResponseTime);
  return body;
}

std::size_t form_slot(const PredictionForm& form) {
  if (!form.single) return static_cast<std::size_t>(form.strategy);
  const auto type = parse_model_type(*form.single);
  return type ? servable_strategies().size() + static_cast<std::size_t>(*type) : PredictionSnapshot::kAnswerForms;
}

}  // namespace

nlohmann::json horizons_json(const std::vector<HorizonAvailability>& horizons) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : horizons) out.push_back({{"horizon", h.horizon}, {"default", h.is_default}, {"available", h.available}});
  return out;
}

std::string horizons_text(const std::vector<HorizonAvailability>& horizons) {
  // nlohmann's objects keep their keys sorted: available, default, horizon.
  std::string out = "[";
  for (const auto& h : horizons) {
    if (out.size() > 1) out += ',';
    out += h.available ? "{\"available\":true" : "{\"available\":false";
    out += h.is_default ? ",\"default\":true" : ",\"default\":false";
    out += ",\"horizon\":";
    out += std::to_string(h.horizon);
    out += '}';
  }
  out += ']';
  return out;
}

std::string prediction_answer_uncached(const PredictionSnapshot& snap, const PredictionForm& form,
                                       const AnswerSettings& settings, const AnswerValues& values) {
  return dump_answer(answer_tree(snap, form, settings, [&values](std::size_t hole) -> nlohmann::json {
    switch (hole) {
      case kTimestamp: return values.timestamp;
      case kResponseTime: return values.response_time_ms;
      case kStale: return values.stale;
      default: return nlohmann::json::parse(values.horizons);
    }
  }));
}

std::string prediction_answer(const PredictionSnapshot& snap, const PredictionForm& form,
                              const AnswerSettings& settings, const AnswerValues& values) {
  const std::size_t slot = form_slot(form);
  if (slot >= PredictionSnapshot::kAnswerForms) return prediction_answer_uncached(snap, form, settings, values);
  const JsonTemplate* t = snap.answers.get(slot);
  if (t == nullptr) {
    auto built = JsonTemplate::build(answer_tree(snap, form, settings, JsonTemplate::hole), {2, 1, 1, 1});
    if (!built) return prediction_answer_uncached(snap, form, settings, values);
    t = snap.answers.put(slot, std::make_unique<JsonTemplate>(std::move(*built)));
  }
  // Formatted as the tree's dump formats them (a double through nlohmann, so the digits match).
  const std::string timestamp = std::to_string(values.timestamp);
  const std::string response_time = nlohmann::json(values.response_time_ms).dump();
  const std::string_view filled[kHoles] = {timestamp, response_time, values.stale ? "true" : "false", values.horizons};
  std::string out;
  t->render(out, filled, kHoles);
  return out;
}

}  // namespace tbml
