#pragma once
// The volatility target's network candidate (issue #18): a one-layer GRU (the GruNet of the direction
// members, networks.h) over the last `sequence_length` feature rows, each row extended by the base
// inputs at "now" (log lookback variances, log EWMA, log GARCH), regressing
//   y = log max(RV, floor) − log max(GARCH forecast, floor)
// with mean squared error, the same loss on the same log scale as the trees and HAR, so the three learned
// members differ only in the model. Why MSE on log RV rather than QLIKE: RV is heavy-tailed, and QLIKE's
// gradient RV/σ̂² lets a couple of spikes dominate a training part of ~1,000 samples; on logs the loss is
// well conditioned, and the level bias of exp(E log RV) is removed afterwards by the volatility stage's
// level scale (mean RV / raw on the training part), exactly as for the trees and HAR. The GARCH offset
// and a zero-initialised output layer make the untrained network GARCH times a constant, so early
// stopping (validation MSE) can only move it away from GARCH where validation agrees.
//
// Honesty rules as everywhere: the feature and base-input normalisers see only rows read by training
// samples; validation serves early stopping only; the test part is never handed over. Torch-free
// header: the network itself is private to src/training.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "tbml/volatility/network_candidate.h"

namespace tbml::training {

struct VolatilityNetworkOptions {
  std::size_t sequence_length = 24;  // one day of hourly rows
  std::int64_t hidden = 16;
  std::int64_t head = 16;
  int max_epochs = 30;
  int patience = 5;                  // epochs without a validation improvement before stopping
  std::size_t batch_size = 128;      // few optimiser steps per epoch: the GRU's per-step overhead dominates
  double learning_rate = 3e-3;
  double weight_decay = 1e-4;
  std::uint64_t seed = 42;

  void validate() const;  // throws std::invalid_argument naming the bad field
  nlohmann::json to_json() const;
};

// The candidate ("gru"): its trainer uses these options, its loader rebuilds any stored network.
volatility::NetworkCandidate volatility_network_candidate(const VolatilityNetworkOptions& options = {});

// Registers it as the process-wide default (volatility::register_network_candidate), so the service's
// volatility training and VolatilityModel::from_json pick it up. Call once at start-up.
void register_volatility_network(const VolatilityNetworkOptions& options = {});

}  // namespace tbml::training
