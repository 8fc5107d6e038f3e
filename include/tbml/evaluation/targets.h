#pragma once
// What `tbml evaluate` evaluates: the direction models, the volatility forecasters, or both, and at which
// horizons. Parsed here (not in the CLI) so the errors are unit-tested.
#include <cstddef>
#include <string>
#include <vector>

namespace tbml::evaluation {

enum class EvaluationTarget { kDirection, kVolatility, kAll };

// "direction", "volatility" or "all"; throws std::invalid_argument naming the accepted values.
EvaluationTarget parse_target(const std::string& text);
bool includes_direction(EvaluationTarget t);
bool includes_volatility(EvaluationTarget t);

// "1,5,24": positive integers (spaces allowed), no duplicates, at most 168 (a week of hours). Throws
// std::invalid_argument saying which item is wrong.
std::vector<std::size_t> parse_horizons(const std::string& text);

}  // namespace tbml::evaluation
