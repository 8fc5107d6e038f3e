#include "tbml/volatility/inputs.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "tbml/volatility/realised.h"

namespace tbml::volatility {

std::size_t InputSpec::max_lookback() const {
  return lookbacks.empty() ? 0 : *std::max_element(lookbacks.begin(), lookbacks.end());
}

std::size_t InputSpec::min_candles() const { return std::max(max_lookback(), window) + 1; }

void InputSpec::validate() const {
  if (horizon == 0) throw std::invalid_argument("InputSpec.horizon must be at least 1");
  if (lookbacks.empty()) throw std::invalid_argument("InputSpec.lookbacks must not be empty");
  for (std::size_t n : lookbacks)
    if (n == 0) throw std::invalid_argument("InputSpec.lookbacks entries must be at least 1");
  if (window < 1) throw std::invalid_argument("InputSpec.window must be at least 1");
  if (!(floor > 0.0) || !std::isfinite(floor)) throw std::invalid_argument("InputSpec.floor must be positive");
}

std::vector<std::string> input_names(const InputSpec& spec, const std::vector<std::string>& feature_names,
                                     std::size_t feature_width) {
  std::vector<std::string> names;
  for (std::size_t n : spec.lookbacks) names.push_back("log_rv_" + std::to_string(n));
  names.push_back("log_ewma");
  names.push_back("log_garch");
  for (std::size_t k = 0; k < feature_width; ++k)
    names.push_back(feature_names.size() == feature_width ? feature_names[k] : "feature_" + std::to_string(k));
  return names;
}

bool compute_inputs(const std::vector<double>& returns, std::size_t t, const InputSpec& spec, const Ewma& ewma,
                    const Garch& garch, InputRow& row, std::string* why) {
  row.log_lookbacks.resize(spec.lookbacks.size());
  for (std::size_t k = 0; k < spec.lookbacks.size(); ++k) {
    double v = 0.0;
    if (!lookback_variance(returns, t, spec.lookbacks[k], spec.horizon, v)) {
      if (why)
        *why = "fewer than half of the last " + std::to_string(spec.lookbacks[k]) + " candles up to row " +
               std::to_string(t) + " have a return (too early or just after a gap)";
      return false;
    }
    row.log_lookbacks[k] = std::log(std::max(v, spec.floor));
  }
  row.ewma_variance = ewma.forecast(returns, t, spec.horizon, spec.window);
  row.garch_variance = garch.forecast(returns, t, spec.horizon, spec.window);
  return true;
}

void write_tree_inputs(const InputRow& row, const InputSpec& spec, const float* series_row, std::size_t width,
                       float* out) {
  for (double v : row.log_lookbacks) *out++ = static_cast<float>(v);
  *out++ = static_cast<float>(std::log(std::max(row.ewma_variance, spec.floor)));
  *out++ = static_cast<float>(std::log(std::max(row.garch_variance, spec.floor)));
  std::copy(series_row, series_row + width, out);
}

}  // namespace tbml::volatility
