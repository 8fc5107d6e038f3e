#include "tbml/evaluation/walk_forward.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tbml::evaluation {

void WalkForwardOptions::validate() const {
  if (sequence_length == 0) throw std::invalid_argument("sequence_length must be positive");
  if (horizon == 0) throw std::invalid_argument("horizon must be positive");
  if (block <= horizon) throw std::invalid_argument("block must be longer than the horizon");
  if (blocks == 0) throw std::invalid_argument("blocks must be positive");
  if (retrain_every == 0) throw std::invalid_argument("retrain_every must be positive");
  if (train_window < sequence_length + 4 * horizon + 20)
    throw std::invalid_argument("train_window of " + std::to_string(train_window) +
                                " candles is too short for sequence_length " + std::to_string(sequence_length));
}

std::size_t candles_needed(const WalkForwardOptions& o) { return o.train_window + o.horizon + o.blocks * o.block; }

std::vector<Fold> plan_folds(std::size_t candles, const WalkForwardOptions& o) {
  o.validate();
  const std::size_t needed = candles_needed(o);
  if (candles < needed)
    throw std::invalid_argument("walk-forward needs " + std::to_string(needed) + " candles (train window " +
                                std::to_string(o.train_window) + " + horizon " + std::to_string(o.horizon) +
                                " + " + std::to_string(o.blocks) + " blocks of " + std::to_string(o.block) +
                                "), the series has " + std::to_string(candles));
  const std::size_t eval_begin = candles - o.blocks * o.block;  // first label candle evaluated
  std::vector<Fold> folds;
  for (std::size_t first = 0; first < o.blocks; first += o.retrain_every) {
    Fold f;
    f.first_block = first;
    f.block_count = std::min(o.retrain_every, o.blocks - first);
    const std::size_t label_begin = eval_begin + first * o.block;
    const std::size_t label_end = label_begin + f.block_count * o.block;
    f.test_begin = label_begin - o.horizon;
    f.test_end = label_end - o.horizon;
    f.train_end = f.test_begin;
    f.train_begin = f.train_end - o.train_window;
    folds.push_back(f);
  }
  return folds;
}

}  // namespace tbml::evaluation
