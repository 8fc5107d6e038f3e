#pragma once
// Charts of an evaluation as self-contained SVG files (no plotting program needed): a reliability
// diagram per pair and pooled, and the cumulative long/flat return per pair next to buy-and-hold.
#include <string>
#include <vector>

#include "tbml/evaluation/report.h"

namespace tbml::evaluation {

struct ChartLine {
  std::string name;
  std::vector<double> x, y;
};

struct ChartSpec {
  std::string title, x_label, y_label;
  bool unit_square = false;  // axes fixed to [0, 1] with the y = x diagonal (reliability diagrams)
  std::size_t width = 900, height = 560;
};

std::string line_chart_svg(const ChartSpec& spec, const std::vector<ChartLine>& lines);

// The chart files of one `--plot` folder (created when missing), written atomically; `written` lists the
// paths in order. save() throws std::runtime_error when a file cannot be written.
struct ChartFolder {
  explicit ChartFolder(std::string dir);
  void save(const std::string& name, const std::string& svg);
  std::string dir;
  std::vector<std::string> written;
};

// Writes reliability_<PAIR>.svg (and reliability_pooled.svg) and returns_<PAIR>.svg into `dir` (created
// when missing). Returns the paths written. Throws std::runtime_error when a file cannot be written.
std::vector<std::string> write_charts(const std::string& dir, const EvaluationReport& report);

}  // namespace tbml::evaluation
