#pragma once
// Simple predictors every model has to beat, each using only information available at prediction time.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tbml/market/series.h"
#include "tbml/training/dataset.h"

namespace tbml::evaluation {

// Always predicts "up" with probability 1 (a hard rule: its accuracy is the share of rises; its Brier score
// and log loss show what such certainty costs).
std::vector<double> always_up(std::size_t n);

// P(up) = share of rises among the labels already resolved at each window's "now" (label candle <= now),
// over every eligible window of the series from its start. `all` are the series' eligible windows
// (oldest first), `scored` the windows predicted. 0.5 before any label is known.
std::vector<double> running_base_rate(const std::vector<Window>& all, const std::vector<Window>& scored,
                                      std::size_t horizon);

// Previous-direction persistence: up when close[now] > close[now − horizon]. Its probability is the share
// of training windows on which persistence was right, kept just above 0.5 so the rule never flips.
struct Persistence {
  double hit_rate = 0.5;
  static Persistence fit(const Series& series, const std::vector<Window>& train, std::size_t horizon);
  std::vector<double> predict(const Series& series, const std::vector<Window>& scored, std::size_t horizon) const;
};

// L2-regularised logistic regression by Newton's method (IRLS); the intercept is not penalised.
class LogisticRegression {
 public:
  // x: n rows of `width` values, row-major. Throws std::invalid_argument on mismatched sizes or l2 < 0.
  static LogisticRegression fit(const std::vector<double>& x, const std::vector<std::uint8_t>& y,
                                std::size_t width, double l2, int max_iterations = 50);
  double predict(const double* row) const;
  std::vector<double> predict(const std::vector<double>& x) const;
  const std::vector<double>& weights() const { return w_; }
  double intercept() const { return b_; }

 private:
  std::vector<double> w_;
  double b_ = 0.0;
};

// Logistic regression on the standardised features of each window's last row: the normaliser is fitted
// on the training windows' last rows only, the L2 strength chosen by validation log loss from `grid`.
struct LogisticBaseline {
  double l2 = 1.0;
  std::vector<double> validation_losses;  // one per grid value
  std::vector<double> train_mean, train_std;
  LogisticRegression model;

  static LogisticBaseline fit(const Series& series, const std::vector<Window>& train,
                              const std::vector<Window>& validation,
                              const std::vector<double>& grid = {0.1, 1.0, 10.0, 100.0, 1000.0});
  std::vector<double> predict(const Series& series, const std::vector<Window>& scored) const;
};

}  // namespace tbml::evaluation
