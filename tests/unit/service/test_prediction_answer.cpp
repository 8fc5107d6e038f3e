// The cached prediction answer (issue #13) against the tree the service dumped per request before.
#include <gtest/gtest.h>

#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/prediction_json.h"
#include "tbml/service/prediction_answer.h"
#include "tbml/util/json_template.h"
#include "unit/contract_snapshot.h"

using namespace tbml;
using nlohmann::json;

namespace {

PredictionSnapshot published_snapshot() {
  PredictionSnapshot s = tbml::test::contract_snapshot();
  s.models[1].benched = "3 wrong in a row";
  s.errors["xgboost"] = "not trained";
  s.volatility = {{"available", false}, {"reason", "no model \"yet\""}};
  s.sizing = {{"fraction", 0.125}, {"strategy", "weighted"}};
  s.uncertainty = {{"memberSpread", 0.024}, {"mcDropout", nullptr}};
  s.breaker = {{"tripped", false}};
  EnsembleInputs in;
  in.weights = default_weights();
  in.weight_reason = "configured";
  combine_snapshot(s, in);
  return s;
}

// What Service::prediction built per request before the cache (service_queries.cpp at f45aac6).
std::string as_before(const PredictionSnapshot& snap, const PredictionForm& form, const AnswerSettings& settings,
                      const AnswerValues& v, const std::vector<HorizonAvailability>& horizons) {
  ResponseMeta meta;
  meta.cached = true;
  meta.stale = v.stale;
  meta.timestamp = v.timestamp;
  CombineOptions co;
  co.signal_threshold = settings.signal_threshold;
  json body = form.single ? individual_prediction_json(snap, *form.single, meta, co)
                          : ensemble_prediction_json(snap, form.strategy, meta);
  if (!form.single) {
    body["sizing"] = snap.sizing;
    body["uncertainty"] = snap.uncertainty;
    body["breaker"] = snap.breaker;
  }
  body["horizon"] = settings.horizon;
  body["horizons"] = horizons_json(horizons);
  body["responseTime"] = v.response_time_ms;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<PredictionForm> every_form() {
  std::vector<PredictionForm> forms;
  for (Strategy s : servable_strategies()) forms.push_back({std::nullopt, s});
  for (const char* m : {"lstm", "gru", "cnn", "transformer"}) forms.push_back({std::string(m), Strategy::kWeighted});
  return forms;
}

}  // namespace

TEST(PredictionAnswer, HorizonsTextIsTheDumpOfTheHorizonsTree) {
  const std::vector<HorizonAvailability> h = {{1, false, true}, {5, true, false}, {24, false, false}};
  EXPECT_EQ(horizons_text(h), dump_answer(horizons_json(h)));
  EXPECT_EQ(horizons_text({}), dump_answer(horizons_json({})));
}

TEST(PredictionAnswer, CachedBytesEqualTheAnswerDumpedAsBeforeForEveryForm) {
  const PredictionSnapshot snap = published_snapshot();
  const AnswerSettings settings{5, 0.1};
  const std::vector<HorizonAvailability> horizons = {{1, false, true}, {5, true, true}};
  for (const auto& form : every_form()) {
    const std::string name = form.single ? *form.single : to_string(form.strategy);
    // The first request builds the form's template; the second only renders it, with other values.
    AnswerValues first{1795215300000, 0.0123, false, horizons_text(horizons)};
    EXPECT_EQ(prediction_answer(snap, form, settings, first), as_before(snap, form, settings, first, horizons)) << name;
    const std::vector<HorizonAvailability> later_horizons = {{1, false, false}, {5, true, true}};
    AnswerValues second{1795215301234, 1.5e-05, true, horizons_text(later_horizons)};
    EXPECT_EQ(prediction_answer(snap, form, settings, second), as_before(snap, form, settings, second, later_horizons))
        << name;
    EXPECT_EQ(prediction_answer_uncached(snap, form, settings, second),
              as_before(snap, form, settings, second, later_horizons)) << name;
  }
  // Every form above has its own slot.
  for (std::size_t i = 0; i < every_form().size(); ++i) EXPECT_NE(snap.answers.get(i), nullptr) << i;
}

TEST(PredictionAnswer, AMissingModelStillThrowsAndACopyOfTheSnapshotBuildsItsOwnAnswer) {
  PredictionSnapshot snap = published_snapshot();
  const AnswerSettings settings{5, 0.1};
  const AnswerValues v{1795215300000, 0.2, false, "[]"};
  EXPECT_THROW(prediction_answer(snap, {std::string("xgboost"), Strategy::kWeighted}, settings, v), NoPredictionError);
  const PredictionForm weighted{std::nullopt, Strategy::kWeighted};
  const std::string before = prediction_answer(snap, weighted, settings, v);
  // A recombined copy (Service::Impl::recombine) with a changed field must not answer the old bytes.
  PredictionSnapshot copy = snap;
  EXPECT_EQ(copy.answers.get(0), nullptr);
  copy.sizing = {{"fraction", 0.5}, {"strategy", "weighted"}};
  const std::string after = prediction_answer(copy, weighted, settings, v);
  EXPECT_NE(after, before);
  EXPECT_EQ(after, as_before(copy, weighted, settings, v, {}));
}
