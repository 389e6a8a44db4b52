#include "plot/Scale.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace nnc::plot {

Range dataRange(const std::vector<const std::vector<double>*>& values, bool log) {
  std::vector<double> finite;
  for (const std::vector<double>* v : values)
    for (double y : *v)
      if (std::isfinite(y) && (!log || y > 0)) finite.push_back(log ? std::log10(y) : y);
  if (finite.empty()) return {-1, 1};
  std::sort(finite.begin(), finite.end());
  auto at = [&](double q) { return finite[static_cast<size_t>(q * static_cast<double>(finite.size() - 1))]; };
  Range range{finite.front(), finite.back()};
  double p5 = at(0.05), p95 = at(0.95);
  if (p95 > p5 && range.hi - range.lo > 10 * (p95 - p5)) range = {p5, p95};
  if (range.hi - range.lo < 1e-12 * std::max(1.0, std::abs(range.hi))) {
    double pad = log ? 0.5 : std::max(1.0, std::abs(range.hi) * 0.1);
    range = {range.lo - pad, range.hi + pad};
  }
  return range;
}

namespace {

double tickStep(Range range, int target, bool integer) {
  double raw = (range.hi - range.lo) / std::max(1, target);
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  return integer ? std::max(1.0, std::round(step)) : step;
}

}  // namespace

std::string xRangeProblem(double from, double to, size_t samples) {
  if (!std::isfinite(from) || !std::isfinite(to)) return fmt::format("the range [{}, {}] is not finite", from, to);
  if (!(from < to)) return fmt::format("the range [{}, {}] is empty: from must be less than to", from, to);
  if (!std::isfinite(to - from))
    return fmt::format("the range [{}, {}] is too wide: its width overflows a double", from, to);
  // Samples must be distinct doubles: the spacing of doubles at the larger
  // end, times the samples, must fit in the width.
  double spacing = std::nextafter(std::max(std::abs(from), std::abs(to)), INFINITY) -
                   std::max(std::abs(from), std::abs(to));
  if ((to - from) / spacing < static_cast<double>(samples))
    return fmt::format("the range [{}, {}] is too narrow: it holds fewer than {} distinct doubles to sample", from,
                       to, samples);
  return "";
}

std::vector<double> niceTicks(Range range, int target, bool integer) {
  double step = tickStep(range, target, integer);
  // A little slack so that a tick on an end of the range is kept despite rounding.
  double slack = step * 1e-9;
  double first = std::ceil((range.lo - slack) / step), last = std::floor((range.hi + slack) / step);
  // Counted in integers, bounded: a count past 2^53, or ticks closer than
  // doubles can tell apart, looped for ever (k + 1 == k).
  constexpr double kMaxTicks = 1000;
  if (!std::isfinite(step) || !(step > 0) || !std::isfinite(first) || !std::isfinite(last) || last < first ||
      last - first > kMaxTicks || std::abs(first) > 0x1p52 || std::abs(last) > 0x1p52)
    return {range.lo, range.hi};
  std::vector<double> ticks;
  for (double k = first; k <= last; ++k) {
    double t = k * step;
    ticks.push_back(std::abs(t) < slack ? 0.0 : t);
  }
  return ticks;
}

Range niceRange(Range range, int target, bool integer) {
  double step = tickStep(range, target, integer);
  return {std::floor(range.lo / step + 1e-9) * step, std::ceil(range.hi / step - 1e-9) * step};
}

std::vector<double> logTicks(Range log10Range) {
  std::vector<double> ticks;
  double lo = std::ceil(log10Range.lo - 1e-9), hi = std::floor(log10Range.hi + 1e-9);
  // Many decades: every other one, so the labels do not overlap.
  double step = hi - lo > 8 ? 2 : 1;
  for (double e = lo; e <= hi; e += step) ticks.push_back(e);
  return ticks;
}

std::string formatTick(double value, double step) {
  if (value == 0) return "0";  // never "-0"
  if (std::abs(value) >= 1e5 || std::abs(value) < 1e-4) return fmt::format("{:g}", value);
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", value, decimals);
}

std::string formatPowerOfTen(int exponent) {
  if (exponent >= 0 && exponent <= 3) return fmt::format("{}", static_cast<int>(std::pow(10, exponent)));
  if (exponent >= -2 && exponent < 0) return fmt::format("{:.{}f}", std::pow(10.0, exponent), -exponent);
  return fmt::format("1e{}", exponent);
}

}  // namespace nnc::plot
