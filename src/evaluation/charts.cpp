#include "tbml/evaluation/charts.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "tbml/util/atomic_file.h"

namespace tbml::evaluation {
namespace {

const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

// Methods drawn on the charts: the calibrated models, one ensemble and the probabilistic baselines.
bool charted(const MethodScore& m) {
  return m.group == "model" || m.name == "ensemble weighted" || m.name == "logistic regression" ||
         m.name == "running base rate" || m.name == "persistence";
}

}  // namespace

std::string line_chart_svg(const ChartSpec& spec, const std::vector<ChartLine>& lines) {
  const double left = 70, right = 200, top = 40, bottom = 50;
  const double w = static_cast<double>(spec.width), h = static_cast<double>(spec.height);
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (!spec.unit_square) {
    x0 = y0 = std::numeric_limits<double>::infinity();
    x1 = y1 = -std::numeric_limits<double>::infinity();
    for (const auto& l : lines)
      for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i) {
        x0 = std::min(x0, l.x[i]);
        x1 = std::max(x1, l.x[i]);
        y0 = std::min(y0, l.y[i]);
        y1 = std::max(y1, l.y[i]);
      }
    if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1;
    const double pad = 0.05 * (y1 - y0);
    y0 -= pad;
    y1 += pad;
  }
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double y) { return h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom); };

  std::ostringstream s;
  s << fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
                   "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                   spec.width, spec.height);
  s << fmt::format("<text x=\"{}\" y=\"22\" font-size=\"15\">{}</text>\n", left, escape(spec.title));
  // Axes, ticks and grid.
  for (int i = 0; i <= 5; ++i) {
    const double xv = x0 + (x1 - x0) * i / 5.0, yv = y0 + (y1 - y0) * i / 5.0;
    s << fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", px(xv), py(y0),
                     px(xv), py(y1));
    s << fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", px(x0), py(yv),
                     px(x1), py(yv));
    s << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.3g}</text>\n", px(xv), h - bottom + 16, xv);
    s << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3g}</text>\n", left - 6, py(yv) + 4, yv);
  }
  s << fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", left, top,
                   w - left - right, h - top - bottom);
  s << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", (left + w - right) / 2,
                   h - 12, escape(spec.x_label));
  s << fmt::format("<text x=\"16\" y=\"{:.1f}\" transform=\"rotate(-90 16 {:.1f})\" text-anchor=\"middle\">{}</text>\n",
                   (top + h - bottom) / 2, (top + h - bottom) / 2, escape(spec.y_label));
  if (spec.unit_square)
    s << fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#999\" "
                     "stroke-dasharray=\"4 4\"/>\n",
                     px(0), py(0), px(1), py(1));
  for (std::size_t k = 0; k < lines.size(); ++k) {
    const auto& l = lines[k];
    const char* colour = kColours[k % (sizeof kColours / sizeof *kColours)];
    std::ostringstream pts;
    for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i)
      pts << fmt::format("{:.1f},{:.1f} ", px(l.x[i]), py(l.y[i]));
    s << fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n", colour, pts.str());
    if (spec.unit_square)
      for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i)
        s << fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", px(l.x[i]), py(l.y[i]), colour);
    const double ly = top + 14 + 18.0 * static_cast<double>(k);
    s << fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"3\"/>\n",
                     w - right + 10, ly - 4, w - right + 30, ly - 4, colour);
    s << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", w - right + 36, ly, escape(l.name));
  }
  s << "</svg>\n";
  return s.str();
}

ChartFolder::ChartFolder(std::string d) : dir(std::move(d)) { std::filesystem::create_directories(dir); }

void ChartFolder::save(const std::string& name, const std::string& svg) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  write_file_atomic(path, svg);
  written.push_back(path);
}

std::vector<std::string> write_charts(const std::string& dir, const EvaluationReport& report) {
  ChartFolder folder(dir);
  auto save = [&](const std::string& name, const std::string& svg) { folder.save(name, svg); };
  std::vector<const PairScores*> all;
  for (const auto& p : report.pairs) all.push_back(&p);
  all.push_back(&report.pooled);
  for (const PairScores* p : all) {
    std::vector<ChartLine> lines;
    for (const auto& m : p->methods) {
      if (!charted(m)) continue;
      ChartLine l{m.name, {}, {}};
      for (const auto& b : m.card.reliability) {
        if (b.count == 0) continue;
        l.x.push_back(b.mean_predicted);
        l.y.push_back(b.observed_rate);
      }
      lines.push_back(std::move(l));
    }
    save("reliability_" + p->pair + ".svg",
         line_chart_svg({"Reliability: " + p->pair + " (out of sample, 10 bins)", "mean predicted P(up)",
                         "observed share of rises", true},
                        lines));
  }
  for (const auto& p : report.pairs) {
    std::vector<ChartLine> lines;
    const MethodScore* any = nullptr;
    for (const auto& m : p.methods) {
      if (!charted(m) || m.card.trading.strategy_equity.empty()) continue;
      any = &m;
      ChartLine l{m.name, {}, {}};
      for (std::size_t i = 0; i < m.card.trading.strategy_equity.size(); ++i) {
        l.x.push_back(static_cast<double>(i));
        l.y.push_back(m.card.trading.strategy_equity[i]);
      }
      lines.push_back(std::move(l));
    }
    if (!any) continue;
    ChartLine hold{"buy & hold", {}, {}};
    for (std::size_t i = 0; i < any->card.trading.buy_and_hold_equity.size(); ++i) {
      hold.x.push_back(static_cast<double>(i));
      hold.y.push_back(any->card.trading.buy_and_hold_equity[i]);
    }
    lines.insert(lines.begin(), std::move(hold));
    save("returns_" + p.pair + ".svg",
         line_chart_svg({"Long/flat equity after costs: " + p.pair, "scored hour", "equity (start = 1)", false},
                        lines));
  }
  return folder.written;
}

}  // namespace tbml::evaluation
