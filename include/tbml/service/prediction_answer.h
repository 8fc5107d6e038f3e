#pragma once
// The bytes of GET /api/predictions/:pair (issue #13). Everything in the answer but four values comes
// from the snapshot, so each form (a strategy, or one model) is dumped once per snapshot with holes and
// kept in the snapshot's `answers`; a request fills in the time, its own response time, the staleness and
// the horizons list. The text is byte for byte what dumping the whole tree per request gave.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/ensemble/prediction_snapshot.h"
#include "tbml/ensemble/strategy.h"

namespace tbml {

// Which answer: one model's (individual form) when `single` is set, else the ensemble for `strategy`.
struct PredictionForm {
  std::optional<std::string> single;  // a model type name ("lstm", ...)
  Strategy strategy = Strategy::kWeighted;
};

// One entry of the answer's "horizons" list.
struct HorizonAvailability {
  std::size_t horizon = 0;
  bool is_default = false;
  bool available = false;  // the pair has an answer at this horizon
};
nlohmann::json horizons_json(const std::vector<HorizonAvailability>& horizons);
std::string horizons_text(const std::vector<HorizonAvailability>& horizons);  // == dump_answer(horizons_json(...))

// What only the request knows.
struct AnswerValues {
  std::int64_t timestamp = 0;  // epoch ms
  double response_time_ms = 0.0;
  bool stale = false;
  std::string horizons;  // horizons_text(...)
};

// The answer's constants besides the snapshot: the track's horizon and the signal threshold.
struct AnswerSettings {
  std::size_t horizon = 0;
  double signal_threshold = 0.0;
};

// The answer from the snapshot's cached form, built on first use. Throws NoPredictionError when the form
// has no prediction (as the serialisers do).
std::string prediction_answer(const PredictionSnapshot& snapshot, const PredictionForm& form,
                              const AnswerSettings& settings, const AnswerValues& values);

// The same answer built and dumped as a whole tree, as before the cache (the fallback, and what tests
// compare the cached bytes with).
std::string prediction_answer_uncached(const PredictionSnapshot& snapshot, const PredictionForm& form,
                                       const AnswerSettings& settings, const AnswerValues& values);

}  // namespace tbml
