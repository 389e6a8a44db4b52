#pragma once
// Samples functions of one variable densely for plotting, finding their
// jumps so that a step is drawn as two pieces, not joined by a steep line.
#include <cstddef>
#include <functional>
#include <vector>

namespace nnc::plot {

// Evaluates every output at every x: result[k][i] is output k at xs[i].
using Evaluator = std::function<std::vector<std::vector<double>>(const std::vector<double>& xs)>;

struct Curve {
  std::vector<double> x, y;  // a NaN y marks a break (a jump, or where the function is not finite)
};

// One curve per output over [from, to], `count` evenly spaced samples. Where
// two neighbouring samples differ by much, the interval is halved towards
// the change until it is tiny: if the change is still there, it is a jump,
// and the curve gets the values on both sides with a break between them;
// if it shrank, the function was only steep and the line stays joined.
inline constexpr size_t kDefaultSamples = 801;
std::vector<Curve> sampleCurves(const Evaluator& evaluate, double from, double to, size_t count = kDefaultSamples);

}  // namespace nnc::plot
