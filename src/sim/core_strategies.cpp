#include "tbml/sim/core_strategies.h"

#include "core_strategy_builders.h"

namespace tbml {

bool core_has_strategies(std::size_t points) { return points >= kCoreMinStrategyPoints; }

nlohmann::json core_strategies_json(const std::vector<Candle>& history) {
  using namespace core_strategy;
  IndicatorEngine engine;
  IndicatorValues prev;
  for (const Candle& candle : history) {
    prev = engine.values();
    engine.push(candle);
  }
  const Context ctx{engine.values(), prev, history};
  return json{{"rsi", rsi_json(ctx)},
              {"macd", macd_json(ctx)},
              {"bollinger", bollinger_json(ctx)},
              {"ma", ma_json(ctx)},
              {"volume", volume_json(ctx)},
              {"stochastic", stochastic_json(ctx)},
              {"williamsR", williams_json(ctx)},
              {"ichimoku", ichimoku_json(ctx)},
              {"adx", adx_json(ctx)},
              {"cci", cci_json(ctx)},
              {"parabolicSAR", sar_json(ctx)}};
}

}  // namespace tbml
