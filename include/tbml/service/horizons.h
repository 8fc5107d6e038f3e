#pragma once
// Forecast horizons as a dimension of the service: every configured horizon (ml.horizons) is a separate
// target with its own models, answers, outcomes and weights. These are the naming and validation rules
// that start-up, training and the routes share.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tbml/models/model.h"

namespace tbml {

// ModelStore type of a direction model. The default horizon keeps the bare model name ("lstm"), so
// models stored before horizons became a list still load; any other horizon is "<name>_h<N>".
std::string direction_store_type(ModelType type, std::size_t horizon, std::size_t default_horizon);

// The inverse: the model type and horizon a stored type names. Nullopt for other targets' types
// ("volatility_h5"), for "<name>_h0" and for "<name>_h<default>" (the default's models live under the
// bare name, so nothing else may claim them).
std::optional<std::pair<ModelType, std::size_t>> parse_direction_store_type(const std::string& type,
                                                                             std::size_t default_horizon);

// ModelStore type of a horizon's volatility model.
std::string volatility_store_type(std::size_t horizon);

// The horizon a request names (query or body): plain digits naming one of `configured`; absent →
// `fallback`. Anything else throws ApiError 400 whose context lists validHorizons.
std::size_t require_horizon(const std::optional<std::string>& raw, const std::vector<std::size_t>& configured,
                            std::size_t fallback);

}  // namespace tbml
