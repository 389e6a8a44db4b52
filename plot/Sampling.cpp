#include "plot/Sampling.h"

#include <cmath>
#include <limits>

#include "plot/Scale.h"

namespace nnc::plot {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A change between neighbours larger than this fraction of the curve's
// range is looked at closer.
constexpr double kSuspectFraction = 0.05;
constexpr int kBisections = 48;
// Bisection is a few evaluations per suspect; pathological curves
// (sin(1/x)) have many suspects, and are drawn as sampled past this many.
constexpr int kMaxSuspects = 256;

struct Jump {
  double leftX, leftY, rightX, rightY;
};

// Narrows (a, b) to where output k changes the most; a jump if the change
// does not shrink with the interval.
bool findJump(const Evaluator& evaluate, size_t k, double a, double ya, double b, double yb, Jump& jump) {
  double initial = std::abs(yb - ya);
  for (int i = 0; i < kBisections; ++i) {
    double m = 0.5 * (a + b);
    if (m <= a || m >= b) break;  // adjacent doubles
    double ym = evaluate({m})[k][0];
    if (!std::isfinite(ym)) return false;  // a pole: the samples around it break the line anyway
    if (std::abs(ym - ya) > std::abs(yb - ym)) {
      b = m;
      yb = ym;
    } else {
      a = m;
      ya = ym;
    }
  }
  if (std::abs(yb - ya) < 0.5 * initial) return false;
  jump = {a, ya, b, yb};
  return true;
}

}  // namespace

std::vector<Curve> sampleCurves(const Evaluator& evaluate, double from, double to, size_t count) {
  count = std::max<size_t>(count, 2);
  std::vector<double> xs(count);
  for (size_t i = 0; i < count; ++i)
    xs[i] = i + 1 == count ? to : from + (to - from) * static_cast<double>(i) / static_cast<double>(count - 1);
  std::vector<std::vector<double>> ys = evaluate(xs);
  std::vector<Curve> curves;
  for (size_t k = 0; k < ys.size(); ++k) {
    const std::vector<double>& y = ys[k];
    Range range = dataRange({&y}, false);
    double suspect = kSuspectFraction * (range.hi - range.lo);
    int suspects = 0;
    Curve curve;
    for (size_t i = 0; i < count; ++i) {
      curve.x.push_back(xs[i]);
      curve.y.push_back(std::isfinite(y[i]) ? y[i] : kNaN);
      if (i + 1 == count || !std::isfinite(y[i]) || !std::isfinite(y[i + 1])) continue;
      if (std::abs(y[i + 1] - y[i]) <= suspect || ++suspects > kMaxSuspects) continue;
      Jump jump;
      if (!findJump(evaluate, k, xs[i], y[i], xs[i + 1], y[i + 1], jump)) continue;
      curve.x.insert(curve.x.end(), {jump.leftX, jump.leftX, jump.rightX});
      curve.y.insert(curve.y.end(), {jump.leftY, kNaN, jump.rightY});
    }
    curves.push_back(std::move(curve));
  }
  return curves;
}

}  // namespace nnc::plot
