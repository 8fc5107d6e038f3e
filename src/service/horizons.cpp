#include "tbml/service/horizons.h"

#include <algorithm>
#include <cctype>

#include "tbml/service/api_error.h"

namespace tbml {

namespace {

// Plain decimal digits without a sign or leading zero, small enough for a horizon; nullopt otherwise.
std::optional<std::size_t> parse_count(const std::string& s) {
  if (s.empty() || s.size() > 6 || s[0] == '0') return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return static_cast<std::size_t>(std::stoul(s));
}

}  // namespace

std::string direction_store_type(ModelType type, std::size_t horizon, std::size_t default_horizon) {
  const std::string name = to_string(type);
  return horizon == default_horizon ? name : name + "_h" + std::to_string(horizon);
}

std::optional<std::pair<ModelType, std::size_t>> parse_direction_store_type(const std::string& type,
                                                                             std::size_t default_horizon) {
  if (auto t = parse_model_type(type)) return std::pair{*t, default_horizon};
  const std::size_t cut = type.rfind("_h");
  if (cut == std::string::npos) return std::nullopt;
  const auto t = parse_model_type(type.substr(0, cut));
  const auto h = parse_count(type.substr(cut + 2));
  if (!t || !h || *h == default_horizon) return std::nullopt;
  return std::pair{*t, *h};
}

std::string volatility_store_type(std::size_t horizon) { return "volatility_h" + std::to_string(horizon); }

std::size_t require_horizon(const std::optional<std::string>& raw, const std::vector<std::size_t>& configured,
                            std::size_t fallback) {
  if (!raw) return fallback;
  const auto h = parse_count(*raw);
  if (h && std::find(configured.begin(), configured.end(), *h) != configured.end()) return *h;
  std::string list;
  for (std::size_t c : configured) list += (list.empty() ? "" : ", ") + std::to_string(c);
  throw bad_request("Unknown horizon '" + raw->substr(0, 40) + "': configured horizons (ml.horizons) are " + list,
                    {{"validHorizons", configured}});
}

}  // namespace tbml
