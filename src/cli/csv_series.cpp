#include "cli/csv_series.h"

#include <fmt/format.h>

#include "tbml/config/config.h"
#include "tbml/market/pair_name.h"

namespace tbml::cli {

void add_reference_option(CLI::App* cmd, std::string& reference_pair) {
  reference_pair = builtin_defaults().at("ml").value("referencePair", std::string());
  cmd->add_option("--reference-pair", reference_pair,
                  "Pair whose candle at the same timestamp gives the cross-pair columns (\"none\" = off); "
                  "its CSV must be among --csv")
      ->capture_default_str();
}

std::string parse_reference_pair(const std::string& option) {
  if (option.empty() || option == "none" || option == "NONE") return "";
  return normalize_pair_name(option);
}

std::vector<Series> load_series_set(const std::vector<PairCsv>& inputs, std::size_t max_candles,
                                    const std::string& reference_pair,
                                    const std::function<void(const std::string&)>& say) {
  std::vector<PairCandles> candles;
  bool reference_given = false;
  for (const PairCsv& input : inputs) {
    PairCandles p{input.pair, load_candles_csv(input.path)};
    if (max_candles > 0 && p.candles.size() > max_candles)
      p.candles.erase(p.candles.begin(), p.candles.end() - static_cast<std::ptrdiff_t>(max_candles));
    reference_given = reference_given || normalize_pair_name(input.pair) == reference_pair;
    candles.push_back(std::move(p));
  }
  if (reference_pair.empty()) {
    say("cross-pair columns: off (no reference pair); every row has ref_available = 0");
  } else if (!reference_given) {
    say(fmt::format("cross-pair columns: {} is the reference pair but its CSV is not among the inputs; they "
                    "are not available (0, ref_available = 0) for every pair",
                    reference_pair));
  } else {
    say(fmt::format("cross-pair columns: from {} at the same timestamp", reference_pair));
  }
  return build_series_set(candles, reference_pair);
}

}  // namespace tbml::cli
