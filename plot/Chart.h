#pragma once
// What a chart shows, independent of how it is drawn (SvgChart.h draws it
// as SVG, TerminalChart.h as Unicode braille text).
#include <optional>
#include <string>
#include <vector>

namespace nnc::plot {

// A line through (x[i], y[i]). A non-finite y (NaN, Inf) breaks the line:
// nothing is drawn to or from it.
struct Series {
  std::string label;
  std::vector<double> x, y;
  bool markers = false;  // also mark each point (few points: per-epoch figures)
  std::string dash;      // SVG stroke-dasharray, e.g. "6 3"; empty: solid (dashed when colours repeat)
  // A spread around y (over seeds, say): lo[i] <= y[i] <= hi[i]. Drawn as
  // a pale band around a line, or as error bars on bars. Empty: none.
  std::vector<double> lo, hi;
  // Bars to y (from 0, or the bottom of the plot when 0 is below it),
  // instead of a line; a non-finite y has no bar.
  bool bars = false;
};

struct Range {
  double lo = 0, hi = 1;
};

struct Chart {
  std::string title;
  std::string xLabel, yLabel;
  std::vector<Series> series;
  std::optional<Range> xRange;  // empty: the data's
  bool logY = false;            // log10 scale; values <= 0 break the line
  bool integerX = false;        // x ticks on whole numbers only (epochs)
  // Names for x = 0, 1, ...: the ticks are these labels (a bar per
  // variant), not numbers. Empty: a numeric axis.
  std::vector<std::string> categories;
};

}  // namespace nnc::plot
