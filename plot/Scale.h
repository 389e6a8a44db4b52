#pragma once
// Axis ranges and tick positions shared by the SVG and terminal renderers.
#include <string>
#include <vector>

#include "plot/Chart.h"

namespace nnc::plot {

// The range of the finite values (when `log`: of log10 of the positive
// ones). A few huge values (1/x near 0) would flatten everything else, so
// when the extremes lie far outside the 5th..95th percentiles the range is
// those percentiles and the rest is clipped. An empty or flat range is
// widened to be drawable.
Range dataRange(const std::vector<const std::vector<double>*>& values, bool log);

// Why [from, to] cannot be an x range to sample and draw, or empty if it
// can: both ends finite, from < to, a width that does not overflow, and
// room for `samples` distinct doubles between them.
std::string xRangeProblem(double from, double to, size_t samples);

// Ticks at 1, 2 or 5 times a power of ten, about `target` of them, covering
// [lo, hi]. `integer`: steps of at least 1. A range too narrow or too wide
// for such ticks (fewer distinct doubles than ticks, a width that
// overflows) gets its two ends as ticks.
std::vector<double> niceTicks(Range range, int target, bool integer = false);
// [lo, hi] widened outwards to the nearest ticks of niceTicks.
Range niceRange(Range range, int target, bool integer = false);
// Powers of ten within the range of log10 values [lo, hi] (their exponents).
std::vector<double> logTicks(Range log10Range);

// A tick label with as many decimals as the step between ticks needs.
std::string formatTick(double value, double step);
// "1e-5", "0.01", "1", "100" for log-scale ticks (exponents given).
std::string formatPowerOfTen(int exponent);

}  // namespace nnc::plot
