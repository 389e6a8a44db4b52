#include "analysis/ActivationFacts.h"

#include <algorithm>
#include <cmath>

#include "ir/Diff.h"

namespace nnc::analysis {

namespace {

std::vector<std::string> variableNames(const std::string& input,
                                       const std::vector<std::pair<std::string, double>>& parameters) {
  std::vector<std::string> names{input};
  for (const auto& [name, value] : parameters) names.push_back(name);
  return names;
}

}  // namespace

ActivationFacts::ActivationFacts(ir::ExprContext& exprs, ir::ExprRef body, const std::string& input,
                                 const std::vector<std::pair<std::string, double>>& parameters)
    : input_(input),
      slope_(ir::derivatives(exprs, body, input, 1).orders.back()),
      names_(variableNames(input, parameters)),
      function_(std::span(&body, 1), names_),
      derivative_(std::span(&slope_, 1), names_) {
  values_.push_back(0);
  for (const auto& [name, value] : parameters) values_.push_back(value);
}

double ActivationFacts::value(double x) const {
  values_[0] = x;
  return function_.run1(values_);
}

double ActivationFacts::slope(double x) const {
  values_[0] = x;
  return derivative_.run1(values_);
}

bool ActivationFacts::saturates() const {
  // Far out, the slope is under 1% of its largest value near 0 (sigmoid:
  // 8e-9, softsign: 0.002); relative, so that 0.001*x does not count.
  double nearZero = 0;
  for (double x = -2; x <= 2; x += 0.25) nearZero = std::max(nearZero, std::abs(slope(x)));
  double threshold = 0.01 * nearZero;
  return nearZero > 0 && std::abs(slope(-20)) < threshold && std::abs(slope(20)) < threshold;
}

bool ActivationFacts::affine() const { return !ir::dependsOn(slope_, input_); }

bool ActivationFacts::canDie() const {
  // Points on both sides, near the kink of a relu and far out.
  for (double x : {-100.0, -10.0, -3.0, -1.0, -0.5, -0.01})
    if (value(x) != 0 || slope(x) != 0) return false;
  for (double x : {0.01, 0.5, 1.0, 3.0, 10.0, 100.0})
    if (!(value(x) >= 0)) return false;
  return true;
}

std::pair<double, double> ActivationFacts::outputRange() const {
  double lowest = INFINITY, highest = -INFINITY;
  for (int i = -3000; i <= 3000; ++i) {
    double y = value(i / 100.0);
    if (std::isnan(y)) continue;
    lowest = std::min(lowest, y);
    highest = std::max(highest, y);
  }
  // Far out, a saturating formula reaches its limit to within rounding
  // (sigmoid(-30) = 9e-14): report the limit.
  auto snap = [](double v) { return std::abs(v - std::round(v)) < 1e-9 ? std::round(v) : v; };
  return {snap(lowest), snap(highest)};
}

double ActivationFacts::typicalSlope() const {
  // A Riemann sum over [-6, 6] of |f'(z)| times the normal density; the
  // tails beyond carry less than 1e-8 of the mass.
  constexpr double kStep = 0.01;
  double total = 0;
  for (double z = -6; z <= 6; z += kStep) {
    double slopeHere = std::abs(slope(z));
    if (std::isfinite(slopeHere)) total += slopeHere * std::exp(-z * z / 2) * kStep;
  }
  return total / std::sqrt(2 * M_PI);
}

}  // namespace nnc::analysis
