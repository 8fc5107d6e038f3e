// Request bodies and path parts validated at the HTTP edge without the service: the ensemble weights body
// (POST /api/ensemble/:pair/weights), model type lists, strategy names and pair names. Invalid input
// yields errors, never an exception or a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "tbml/ensemble/strategy.h"
#include "tbml/ensemble/weights.h"
#include "tbml/models/model.h"
#include "tbml/util/pair_name.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> known = {"lstm", "gru", "cnn", "transformer", "xgboost"};
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (!body.is_discarded()) {
    const tbml::WeightsRequest req = tbml::parse_weights_request(body, known, tbml::default_weights());
    if (req.ok() && !req.weights && !req.strategy) std::abort();  // accepted but says nothing
    const tbml::WeightValidation v = tbml::validate_weights(body, known);
    if (v.ok() && v.weights.empty()) std::abort();
  }
  (void)tbml::parse_model_type(text);
  (void)tbml::try_parse_strategy(text);
  (void)tbml::is_valid_pair_name(text);
  try {
    (void)tbml::parse_model_list(text);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
