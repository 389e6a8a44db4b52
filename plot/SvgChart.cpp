#include "plot/SvgChart.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "plot/Scale.h"
#include "plot/Svg.h"

namespace nnc::plot {

namespace {

// Panel geometry, in pixels.
constexpr double kPanelHeight = 380;
constexpr double kPlotWidth = 420;
constexpr double kMarginLeft = 64, kMarginTop = 40, kMarginBottom = 52, kMarginRight = 16;
constexpr double kLegendSwatch = 26, kCharWidth = 7.2;  // 12px sans-serif, roughly
constexpr int kTickTarget = 6;

// Okabe-Ito's palette: distinct in colour and in lightness.
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};

// A series' dash: its own, else solid for the palette's first round of
// colours and dashed, then dotted, for the next rounds (a colour comes
// back only with another dash).
std::string dashOf(const Series& s, size_t k) {
  if (!s.dash.empty()) return s.dash;
  static const char* kRounds[] = {"", "7 3", "2 2", "9 3 2 3"};
  return kRounds[(k / std::size(kPalette)) % std::size(kRounds)];
}

double legendWidth(const Chart& chart) {
  size_t longest = 0;
  for (const Series& s : chart.series) longest = std::max(longest, s.label.size());
  return longest == 0 ? 0 : kLegendSwatch + 12 + kCharWidth * static_cast<double>(longest);
}

double panelWidth(const Chart& chart) { return kMarginLeft + kPlotWidth + kMarginRight + legendWidth(chart); }

// Category names are written slanted below the axis: room for the longest.
constexpr double kSlant = 30;  // degrees
double bottomMargin(const Chart& chart) {
  size_t longest = 0;
  for (const std::string& c : chart.categories) longest = std::max(longest, c.size());
  double slanted = 20 + std::sin(kSlant * M_PI / 180) * kCharWidth * static_cast<double>(longest);
  return chart.categories.empty() ? kMarginBottom : std::max(kMarginBottom, slanted + 26);
}

// Maps data to pixels within the plot area.
struct Axes {
  double left, top, width, height;
  Range x, y;  // y in log10 units for a log chart
  bool logY;
  double px(double v) const { return left + (v - x.lo) / (x.hi - x.lo) * width; }
  double py(double v) const {
    if (logY) v = v > 0 ? std::log10(v) : std::nan("");
    // Far outside the plot area only the direction matters; renderers
    // misdraw coordinates like 1e16 (tan next to its pole).
    return std::clamp(top + height - (v - y.lo) / (y.hi - y.lo) * height, -1e4, 1e4);
  }
};

Range xRangeOf(const Chart& chart) {
  if (chart.xRange) return *chart.xRange;
  if (!chart.categories.empty()) return {-0.5, static_cast<double>(chart.categories.size()) - 0.5};
  std::vector<const std::vector<double>*> xs;
  for (const Series& s : chart.series) xs.push_back(&s.x);
  Range r = dataRange(xs, false);
  // One epoch is one point: give it some room.
  if (chart.integerX && r.hi - r.lo < 1) r = {r.lo - 0.5, r.hi + 0.5};
  // Markers on the first and last points stay whole inside the frame.
  double margin = chart.series.empty() || !chart.series.front().markers ? 0 : 0.03 * (r.hi - r.lo);
  return {r.lo - margin, r.hi + margin};
}

// The spread of a line as a pale band: along hi, back along lo.
void drawBand(SvgWriter& svg, const Axes& axes, const Series& s, const char* colour, const std::string& clip) {
  std::string points;
  auto add = [&](double x, double y) {
    if (std::isfinite(x) && std::isfinite(y)) points += fmt::format("{}{:.2f},{:.2f}", points.empty() ? "" : " ", x, y);
  };
  for (size_t i = 0; i < s.x.size(); ++i) add(axes.px(s.x[i]), axes.py(s.hi[i]));
  for (size_t i = s.x.size(); i-- > 0;) add(axes.px(s.x[i]), axes.py(s.lo[i]));
  svg.polygon(points, colour, 0.18, clip, "band");
}

// Bar `index` of `count` side by side at each x, from the plot's bottom to
// y, with an error bar from lo to hi if the series has a spread.
void drawBars(SvgWriter& svg, const Axes& axes, const Series& s, const char* colour, bool spread, size_t index,
              size_t count) {
  double slot = axes.width / (axes.x.hi - axes.x.lo);  // one x unit, in pixels
  double width = 0.7 * slot / static_cast<double>(count);
  // From 0 when the axis shows it, else from the bottom of the plot.
  double bottom = axes.y.lo <= 0 && axes.y.hi >= 0 ? axes.py(0) : axes.top + axes.height;
  for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
    double centre = axes.px(s.x[i]) + (static_cast<double>(index) - (static_cast<double>(count) - 1) / 2) * width;
    double top = axes.py(s.y[i]);
    if (!std::isfinite(top)) continue;
    svg.rect(centre - width / 2, std::min(top, bottom), width, std::abs(bottom - top), colour);
    if (!spread) continue;
    double lo = axes.py(s.lo[i]), hi = axes.py(s.hi[i]);
    svg.line(centre, lo, centre, hi, "#222222", 1.5);
    svg.line(centre - width / 4, lo, centre + width / 4, lo, "#222222", 1.5);
    svg.line(centre - width / 4, hi, centre + width / 4, hi, "#222222", 1.5);
  }
}

void drawPanel(SvgWriter& svg, const Chart& chart, double originX, double originY, size_t panel) {
  std::vector<const std::vector<double>*> ys;
  for (const Series& s : chart.series) {
    ys.push_back(&s.y);
    ys.push_back(&s.lo);
    ys.push_back(&s.hi);
  }
  Range yData = dataRange(ys, chart.logY);
  double marginBottom = bottomMargin(chart);
  Axes axes{originX + kMarginLeft, originY + kMarginTop, kPlotWidth,
            kPanelHeight - kMarginTop - marginBottom, xRangeOf(chart), yData, chart.logY};
  if (chart.logY) axes.y = {std::floor(yData.lo), std::ceil(yData.hi)};
  else axes.y = niceRange(yData, kTickTarget);
  // A little room above and below, so that a line along the range's end
  // (relu's 0, a step's 1) is not hidden by the frame.
  // Ticks of the range before that room is added.
  std::vector<double> yTicks = chart.logY ? logTicks(axes.y) : niceTicks(axes.y, kTickTarget);
  double margin = 0.03 * (axes.y.hi - axes.y.lo);
  axes.y = {axes.y.lo - margin, axes.y.hi + margin};
  double bottom = axes.top + axes.height, right = axes.left + axes.width;

  svg.beginGroup("panel");
  svg.text(axes.left + axes.width / 2, originY + 24, chart.title, "middle", 15, true, 0, "title");
  // Grid and tick labels.
  if (!chart.categories.empty()) {
    for (size_t i = 0; i < chart.categories.size(); ++i) {
      double x = axes.px(static_cast<double>(i));
      svg.line(x, bottom, x, bottom + 5, "#444444");
      svg.text(x + 4, bottom + 16, chart.categories[i], "end", 12, false, -kSlant, "x-tick");
    }
  } else {
    std::vector<double> xTicks = niceTicks(axes.x, kTickTarget, chart.integerX);
    double xStep = xTicks.size() > 1 ? xTicks[1] - xTicks[0] : 1;
    for (double t : xTicks) {
      double x = axes.px(t);
      svg.line(x, axes.top, x, bottom, "#e5e5e5");
      svg.line(x, bottom, x, bottom + 5, "#444444");
      svg.text(x, bottom + 18, formatTick(t, xStep), "middle", 12, false, 0, "x-tick");
    }
  }
  if (chart.logY) {
    for (double e : yTicks) {
      double y = axes.top + axes.height - (e - axes.y.lo) / (axes.y.hi - axes.y.lo) * axes.height;
      svg.line(axes.left, y, right, y, "#e5e5e5");
      svg.line(axes.left - 5, y, axes.left, y, "#444444");
      svg.text(axes.left - 8, y + 4, formatPowerOfTen(static_cast<int>(e)), "end", 12, false, 0, "y-tick");
    }
  } else {
    double yStep = yTicks.size() > 1 ? yTicks[1] - yTicks[0] : 1;
    for (double t : yTicks) {
      double y = axes.py(t);
      svg.line(axes.left, y, right, y, "#e5e5e5");
      svg.line(axes.left - 5, y, axes.left, y, "#444444");
      svg.text(axes.left - 8, y + 4, formatTick(t, yStep), "end", 12, false, 0, "y-tick");
    }
    // The lines through 0 orient a reader of activation plots.
    if (axes.y.lo < 0 && axes.y.hi > 0) svg.line(axes.left, axes.py(0), right, axes.py(0), "#9a9a9a");
  }
  if (!chart.integerX && chart.categories.empty() && axes.x.lo < 0 && axes.x.hi > 0)
    svg.line(axes.px(0), axes.top, axes.px(0), bottom, "#9a9a9a");
  svg.rect(axes.left, axes.top, axes.width, axes.height, "none", "#444444");
  if (!chart.xLabel.empty())
    svg.text(axes.left + axes.width / 2, bottom + marginBottom - 12, chart.xLabel, "middle", 13, false, 0, "x-label");
  if (!chart.yLabel.empty())
    svg.text(originX + 16, axes.top + axes.height / 2, chart.yLabel, "middle", 13, false, -90, "y-label");

  // The series, clipped to the plot area (outliers beyond the range).
  std::string clip = fmt::format("plot{}", panel);
  svg.clipRect(clip, axes.left, axes.top, axes.width, axes.height);
  size_t barSeries = 0;
  for (const Series& s : chart.series) barSeries += s.bars;
  size_t barIndex = 0;
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const Series& s = chart.series[k];
    bool spread = s.lo.size() == s.y.size() && s.hi.size() == s.y.size() && !s.y.empty();
    if (s.bars) {
      drawBars(svg, axes, s, seriesColour(k), spread, barIndex++, barSeries);
      continue;
    }
    if (spread) drawBand(svg, axes, s, seriesColour(k), clip);
    PathBuilder path;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) path.point(axes.px(s.x[i]), axes.py(s.y[i]));
    svg.path(path.d(), seriesColour(k), 2, dashOf(s, k), clip, "series");
    if (s.markers)
      for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
        if (std::isfinite(axes.py(s.y[i]))) svg.circle(axes.px(s.x[i]), axes.py(s.y[i]), 3, seriesColour(k), clip);
  }

  // The legend, right of the plot area.
  double legendX = right + 12;
  for (size_t k = 0; k < chart.series.size(); ++k) {
    double y = axes.top + 10 + 20 * static_cast<double>(k);
    svg.line(legendX, y, legendX + kLegendSwatch - 4, y, seriesColour(k), 2.5, dashOf(chart.series[k], k));
    svg.text(legendX + kLegendSwatch + 2, y + 4, chart.series[k].label, "start", 12, false, 0, "legend");
  }
  svg.endGroup();
}

}  // namespace

const char* seriesColour(size_t k) { return kPalette[k % std::size(kPalette)]; }

std::string renderSvg(const std::vector<Chart>& charts, size_t columns) {
  if (columns == 0) columns = std::max<size_t>(charts.size(), 1);
  double cellWidth = 0;
  for (const Chart& c : charts) cellWidth = std::max(cellWidth, panelWidth(c));
  size_t rows = (charts.size() + columns - 1) / columns;
  SvgWriter svg(cellWidth * static_cast<double>(std::min(columns, charts.size())),
                kPanelHeight * static_cast<double>(std::max<size_t>(rows, 1)));
  for (size_t i = 0; i < charts.size(); ++i)
    drawPanel(svg, charts[i], cellWidth * static_cast<double>(i % columns),
              kPanelHeight * static_cast<double>(i / columns), i);
  return svg.finish();
}

}  // namespace nnc::plot
