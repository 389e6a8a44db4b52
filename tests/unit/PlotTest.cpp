// The plot library: ticks and ranges, sampling that finds jumps, the SVG
// writer's escaping and breaks, the terminal renderer's layout.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "plot/Sampling.h"
#include "plot/Scale.h"
#include "plot/Svg.h"
#include "plot/SvgChart.h"
#include "plot/TerminalChart.h"

namespace nnc::plot {
namespace {

TEST(PlotScale, NiceTicksAreOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_EQ(niceTicks({-5, 5}, 6), (std::vector<double>{-4, -2, 0, 2, 4}));
  EXPECT_EQ(niceTicks({0, 1}, 6), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  EXPECT_EQ(niceTicks({0.5, 3.5}, 6, true), (std::vector<double>{1, 2, 3}));
  Range r = niceRange({-0.278, 3.93}, 6);
  EXPECT_DOUBLE_EQ(r.lo, -1);
  EXPECT_DOUBLE_EQ(r.hi, 4);
}

// Ranges that doubles cannot split into ticks get their ends: [1, 1 + 2^-52]
// counted k past 2^53, where ++k stops changing it (a loop for ever).
TEST(PlotScale, NiceTicksEndForRangesDoublesCannotSplit) {
  EXPECT_EQ(niceTicks({1, 1.0000000000000002}, 6), (std::vector<double>{1, 1.0000000000000002}));
  EXPECT_EQ(niceTicks({-1.7e308, 1.7e308}, 6), (std::vector<double>{-1.7e308, 1.7e308}));
  EXPECT_EQ(niceTicks({1e20, 1e20 + 1e5}, 6), (std::vector<double>{1e20, 1e20 + 1e5}));
  EXPECT_EQ(xRangeProblem(-5, 5, 801), "");
  EXPECT_EQ(xRangeProblem(1, 1.0000000000000002, 801),
            "the range [1, 1.0000000000000002] is too narrow: it holds fewer than 801 distinct doubles to sample");
  EXPECT_EQ(xRangeProblem(-1.7e308, 1.7e308, 801),
            "the range [-1.7e+308, 1.7e+308] is too wide: its width overflows a double");
  EXPECT_EQ(xRangeProblem(0, INFINITY, 801), "the range [0, inf] is not finite");
}

TEST(PlotScale, TickLabels) {
  EXPECT_EQ(formatTick(0.4, 0.2), "0.4");
  EXPECT_EQ(formatTick(0, 0.2), "0");
  EXPECT_EQ(formatTick(2, 1), "2");
  EXPECT_EQ(formatPowerOfTen(-5), "1e-5");
  EXPECT_EQ(formatPowerOfTen(-2), "0.01");
  EXPECT_EQ(formatPowerOfTen(2), "100");
}

TEST(PlotScale, RangeIgnoresNonFiniteValuesAndFarOutliers) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<double> ys{1, 2, std::nan(""), inf, -inf, 3};
  Range r = dataRange({&ys}, false);
  EXPECT_EQ(r.lo, 1);
  EXPECT_EQ(r.hi, 3);
  // 1/x near 0: the few huge values are clipped, the rest stays readable.
  std::vector<double> pole;
  for (int i = -100; i <= 100; ++i) pole.push_back(i == 0 ? inf : 1.0 / (i * 0.05));
  Range p = dataRange({&pole}, false);
  EXPECT_LT(p.hi, 20);
  EXPECT_GT(p.lo, -20);
  // A flat line gets a range around it; log ranges are in decades.
  std::vector<double> flat{2, 2};
  EXPECT_LT(dataRange({&flat}, false).lo, 2);
  std::vector<double> norms{1e-5, 1e-1, 0, -1};
  Range l = dataRange({&norms}, true);
  EXPECT_DOUBLE_EQ(l.lo, -5);
  EXPECT_DOUBLE_EQ(l.hi, -1);
}

Evaluator of(double (*f)(double)) {
  return [f](const std::vector<double>& xs) {
    std::vector<std::vector<double>> out(1);
    for (double x : xs) out[0].push_back(f(x));
    return out;
  };
}

size_t breaks(const Curve& c) {
  size_t n = 0;
  for (double y : c.y) n += std::isnan(y);
  return n;
}

TEST(PlotSampling, AStepIsBrokenAtItsJump) {
  std::vector<Curve> curves = sampleCurves(of([](double x) { return x > 0.3 ? 1.0 : 0.0; }), -1, 1, 101);
  ASSERT_EQ(curves.size(), 1u);
  ASSERT_EQ(breaks(curves[0]), 1u);
  // The values on both sides of the break are the step's limits, at 0.3.
  size_t at = 0;
  while (!std::isnan(curves[0].y[at])) ++at;
  EXPECT_EQ(curves[0].y[at - 1], 0);
  EXPECT_EQ(curves[0].y[at + 1], 1);
  EXPECT_NEAR(curves[0].x[at - 1], 0.3, 1e-9);
  EXPECT_NEAR(curves[0].x[at + 1], 0.3, 1e-9);
}

TEST(PlotSampling, SteepButContinuousIsNotBroken) {
  std::vector<Curve> curves = sampleCurves(of([](double x) { return std::tanh(200 * x); }), -1, 1, 101);
  EXPECT_EQ(breaks(curves[0]), 0u);
  EXPECT_EQ(curves[0].x.size(), 101u);
}

TEST(PlotSampling, NonFiniteValuesBecomeBreaks) {
  std::vector<Curve> curves = sampleCurves(of([](double x) { return std::sqrt(x); }), -1, 1, 21);
  EXPECT_EQ(breaks(curves[0]), 10u);  // x = -1, -0.9, ..., -0.1
  EXPECT_EQ(curves[0].y.back(), 1);
}

TEST(PlotSvg, EscapesTextAndBreaksPaths) {
  EXPECT_EQ(escapeXml("f'(x) < 1 & \"a\""), "f&apos;(x) &lt; 1 &amp; &quot;a&quot;");
  PathBuilder path;
  path.point(0, 0);
  path.point(1, 1);
  path.point(2, std::nan(""));
  path.point(3, 3);
  EXPECT_EQ(path.d(), "M0.00 0.00 L1.00 1.00 M3.00 3.00");
  SvgWriter svg(10, 10);
  svg.text(1, 2, "<&>");
  std::string doc = svg.finish();
  EXPECT_NE(doc.find(">&lt;&amp;&gt;</text>"), std::string::npos);
  EXPECT_EQ(doc.substr(doc.size() - 7), "</svg>\n");
}

TEST(PlotSvg, BandsAroundLinesAndErrorBarsOnBars) {
  Series curve;
  curve.label = "mean";
  curve.x = {1, 2, 3};
  curve.y = {0.5, 0.6, 0.7};
  curve.lo = {0.4, 0.55, 0.65};
  curve.hi = {0.6, 0.65, 0.75};
  Chart lines;
  lines.series = {curve};
  std::string doc = renderSvg({lines});
  // One band of six corners (along hi, back along lo), under the line.
  size_t band = doc.find("<polygon class=\"band\" points=\"");
  ASSERT_NE(band, std::string::npos) << doc;
  std::string points = doc.substr(band, doc.find('"', doc.find("points=\"", band) + 8) - band);
  EXPECT_EQ(std::count(points.begin(), points.end(), ','), 6) << points;
  EXPECT_LT(band, doc.find("<path class=\"series\""));

  Series accuracy = curve;
  accuracy.bars = true;
  accuracy.x = {0, 1, 2};
  Chart bars;
  bars.categories = {"relu", "gelu", "relu:128+tanh:128"};
  bars.series = {accuracy};
  doc = renderSvg({bars});
  EXPECT_EQ(doc.find("<polygon"), std::string::npos);
  size_t rects = 0;
  for (size_t at = doc.find("<rect"); at != std::string::npos; at = doc.find("<rect", at + 1)) ++rects;
  EXPECT_EQ(rects, 3 + 3) << doc;  // background, frame, clip area; three bars
  for (const char* label : {">relu<", ">gelu<", ">relu:128+tanh:128<"}) EXPECT_NE(doc.find(label), std::string::npos);
  EXPECT_NE(doc.find("rotate(-30"), std::string::npos);
}

TEST(PlotTerminal, OnePanelPerSeriesAndAnXAxis) {
  Chart chart;
  chart.title = "line";
  chart.xRange = Range{-1, 1};
  Series s;
  s.label = "f(x)";
  for (int i = 0; i <= 100; ++i) {
    s.x.push_back(-1 + i * 0.02);
    s.y.push_back(-1 + i * 0.02);
  }
  chart.series = {s, s};
  std::string text = renderTerminal(chart, {20, 4});
  // title, 2 x (label + 4 rows), axis, x labels
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1 + 2 * 5 + 2);
  EXPECT_NE(text.find("f(x)\n        1 ┤"), std::string::npos) << text;
  EXPECT_NE(text.find("-1"), std::string::npos);
  // A rising diagonal: the top row's dots at the right, the bottom row's at the left.
  EXPECT_NE(text.find("       -1 ┤⣀"), std::string::npos) << text;
}

}  // namespace
}  // namespace nnc::plot
