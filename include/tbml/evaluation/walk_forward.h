#pragma once
// Walk-forward folds over one series. The evaluated span is the last `blocks × block` candles; each
// block's candles are the label candles ("close `horizon` later") of the windows scored in it, so every
// scored window's "now" t satisfies block_begin − horizon <= t < block_end − horizon. A model is trained
// on the `train_window` candles before the first window it predicts and serves `retrain_every` blocks:
// the last training label reads close[train_end − 1], strictly before the first prediction's "now", so
// no training label overlaps the predicted prices (an embargo of `horizon` candles).
#include <cstddef>
#include <vector>

namespace tbml::evaluation {

struct WalkForwardOptions {
  // Defaults sized for ~4,000 hourly candles per pair on 2 shared cores: 2 folds of 500 hours each.
  std::size_t train_window = 1500;  // candles handed to training (its own train/validation split inside)
  std::size_t block = 500;          // label candles per block
  std::size_t blocks = 2;           // blocks evaluated: the most recent ones
  std::size_t retrain_every = 1;    // blocks served by one trained model set
  std::size_t sequence_length = 30;
  std::size_t horizon = 5;

  void validate() const;  // throws std::invalid_argument naming the bad field
};

struct Fold {
  std::size_t train_begin = 0, train_end = 0;  // candle rows [begin, end) the models may learn from
  std::size_t test_begin = 0, test_end = 0;    // "now" rows [begin, end) of the windows scored
  std::size_t first_block = 0, block_count = 0;
};

// Throws std::invalid_argument when `candles` is too short for the options (saying how many are needed).
std::vector<Fold> plan_folds(std::size_t candles, const WalkForwardOptions& options);

// Candles needed for `options`.
std::size_t candles_needed(const WalkForwardOptions& options);

}  // namespace tbml::evaluation
