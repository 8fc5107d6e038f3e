#include "tbml/evaluation/targets.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace tbml::evaluation {

EvaluationTarget parse_target(const std::string& text) {
  if (text == "direction") return EvaluationTarget::kDirection;
  if (text == "volatility") return EvaluationTarget::kVolatility;
  if (text == "all") return EvaluationTarget::kAll;
  throw std::invalid_argument("--target must be direction, volatility or all, not '" + text + "'");
}

bool includes_direction(EvaluationTarget t) { return t != EvaluationTarget::kVolatility; }
bool includes_volatility(EvaluationTarget t) { return t != EvaluationTarget::kDirection; }

std::vector<std::size_t> parse_horizons(const std::string& text) {
  std::vector<std::size_t> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    const auto last = item.find_last_not_of(' ');
    item.erase(last == std::string::npos ? 0 : last + 1);
    if (item.empty()) throw std::invalid_argument("--horizons: empty item in '" + text + "'");
    if (!std::all_of(item.begin(), item.end(), [](unsigned char c) { return std::isdigit(c) != 0; }) ||
        item.size() > 4)
      throw std::invalid_argument("--horizons: '" + item + "' is not a whole number of candles");
    const std::size_t h = std::stoul(item);
    if (h == 0 || h > 168) throw std::invalid_argument("--horizons: " + item + " is outside 1..168");
    if (std::find(out.begin(), out.end(), h) != out.end())
      throw std::invalid_argument("--horizons: " + item + " is listed twice");
    out.push_back(h);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace tbml::evaluation
