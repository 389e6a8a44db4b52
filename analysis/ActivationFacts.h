#pragma once
// What an activation formula does, decided from the formula itself: its
// slope far out on both sides (does it saturate?), whether its derivative
// is free of x (affine), whether its derivative is identically 0, whether
// its units can die, the range of its outputs and its typical slope. Weight
// initialisation, the lints and the training-time dead-unit monitor use
// these facts, so no activation is special-cased by name. This is the one
// place that analyses activations.
#include <string>
#include <utility>
#include <vector>

#include "ir/Expr.h"
#include "ir/Interpreter.h"

namespace nnc::analysis {

class ActivationFacts {
public:
  // `body` is f(input; parameters), the parameters at the given values.
  ActivationFacts(ir::ExprContext& exprs, ir::ExprRef body, const std::string& input,
                  const std::vector<std::pair<std::string, double>>& parameters);

  ir::ExprRef derivative() const { return slope_; }
  double value(double x) const;
  double slope(double x) const;

  // f'(x) -> 0 on both sides (sigmoid, tanh, softsign): |f'(+-20)| is under
  // 1% of the largest |f'| on [-2, 2].
  bool saturates() const;
  // f'(x) does not depend on x: f(x) = a*x + c, so a layer using it is linear.
  bool affine() const;
  // f'(x) simplifies to 0 (a step): no gradient flows through it.
  bool zeroDerivative() const { return slope_->isConst(0); }
  // A unit can die: f is 0 with slope 0 for negative inputs and never
  // negative. Then an output of 0 is a minimum, where the slope is 0, and a
  // unit is alive exactly when its output exceeded 0 for some sample; that
  // holds for relu, relu6, squared relu, relu(x - 100), not for leaky relu,
  // elu or swish (non-zero slope for negative inputs: they never die).
  bool canDie() const;
  // The outputs over x in [-30, 30] (sampled): {lowest, highest}.
  std::pair<double, double> outputRange() const;
  // E|f'(z)| for z ~ N(0, 1): how much a layer scales gradients for
  // unit-variance pre-activations (what Xavier/He initialisation aims at).
  double typicalSlope() const;

private:
  std::string input_;
  ir::ExprRef slope_;
  std::vector<std::string> names_;
  mutable std::vector<double> values_;
  ir::Interpreter function_, derivative_;
};

}  // namespace nnc::analysis
