#include "ir/Diff.h"

#include <cmath>
#include <numbers>
#include <unordered_map>

#include <fmt/format.h>

#include "ir/Builder.h"
#include "ir/Simplify.h"

namespace nnc::ir {

namespace {

class Differentiator {
public:
  Differentiator(ExprContext& ctx, std::string_view var) : ctx_(ctx), var_(var) {}

  Ex d(ExprRef e) {
    if (auto found = memo_.find(e); found != memo_.end()) return {ctx_, found->second};
    // A subformula without the variable is a constant: derivative 0, even
    // for constants the rules would turn into 0/0 (like 1/0).
    Ex result = mentionsVar(e) ? rule(e) : num(0);
    memo_.emplace(e, result.get());
    return result;
  }

private:
  bool mentionsVar(ExprRef e) {
    if (e->isVar()) return e->name() == var_;
    if (auto found = mentions_.find(e); found != mentions_.end()) return found->second;
    bool mentions = false;
    for (ExprRef operand : e->operands()) mentions = mentions || mentionsVar(operand);
    mentions_.emplace(e, mentions);
    return mentions;
  }

  Ex ex(ExprRef e) { return {ctx_, e}; }
  Ex num(double v) { return ex(ctx_.constant(v)); }

  // One rule per op: the derivative of the node with respect to var_.
  // Unary functions return f'(u) * du (the chain rule).
  Ex rule(ExprRef e) {
    auto operand = [&](size_t i) { return ex(e->operand(i)); };
    switch (e->op()) {
      case Op::Const: return num(0);
      case Op::Var: return num(e->name() == var_ ? 1 : 0);
      case Op::Add: return d(e->operand(0)) + d(e->operand(1));
      case Op::Sub: return d(e->operand(0)) - d(e->operand(1));
      case Op::Neg: return -d(e->operand(0));
      // d(ab) = a'b + ab'
      case Op::Mul: return d(e->operand(0)) * operand(1) + operand(0) * d(e->operand(1));
      // d(a/b) = a'/b - a b'/b^2
      case Op::Div: {
        Ex a = operand(0), b = operand(1);
        return d(a) / b - a * d(b) / pow(b, 2);
      }
      case Op::Pow: {
        Ex a = operand(0), b = operand(1);
        // d(a^b) = b a^(b-1) a'            when b does not depend on var
        if (!dependsOn(b, var_)) return b * pow(a, b - 1) * d(a);
        // d(a^b) = a^b (b' log(a) + b a'/a) otherwise
        return ex(e) * (d(b) * call(Op::Log, a) + b * d(a) / a);
      }
      // Comparisons and sign are piecewise constant: derivative 0 (also at the jump).
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge:
      case Op::Eq:
      case Op::Ne:
      case Op::Sign: return num(0);
      // d exp(u) = exp(u) du
      case Op::Exp: return ex(e) * d(e->operand(0));
      // d expm1(u) = exp(u) du
      case Op::Expm1: return call(Op::Exp, operand(0)) * d(e->operand(0));
      // d log(u) = du / u
      case Op::Log: return d(e->operand(0)) / operand(0);
      // d log1p(u) = du / (1 + u)
      case Op::Log1p: return d(e->operand(0)) / (1 + operand(0));
      // d sqrt(u) = du / (2 sqrt(u))
      case Op::Sqrt: return d(e->operand(0)) / (2 * ex(e));
      // d |u| = sign(u) du: subgradient 0 at u = 0
      case Op::Abs: return call(Op::Sign, operand(0)) * d(e->operand(0));
      // d sin(u) = cos(u) du
      case Op::Sin: return call(Op::Cos, operand(0)) * d(e->operand(0));
      // d cos(u) = -sin(u) du
      case Op::Cos: return -call(Op::Sin, operand(0)) * d(e->operand(0));
      // d tanh(u) = (1 - tanh(u)^2) du
      case Op::Tanh: return (1 - pow(ex(e), 2)) * d(e->operand(0));
      // d sinh(u) = cosh(u) du
      case Op::Sinh: return call(Op::Cosh, operand(0)) * d(e->operand(0));
      // d cosh(u) = sinh(u) du
      case Op::Cosh: return call(Op::Sinh, operand(0)) * d(e->operand(0));
      // d erf(u) = 2/sqrt(pi) exp(-u^2) du
      case Op::Erf:
        return 2 / std::sqrt(std::numbers::pi) * call(Op::Exp, -pow(operand(0), 2)) *
               d(e->operand(0));
      // d sigmoid(u) = sigmoid(u) (1 - sigmoid(u)) du
      case Op::Sigmoid: return ex(e) * (1 - ex(e)) * d(e->operand(0));
      // d softplus(u) = sigmoid(u) du
      case Op::Softplus: return call(Op::Sigmoid, operand(0)) * d(e->operand(0));
      // max(a, b) takes the derivative of the operand it selects; at a tie
      // (a == b) the second one's, so relu = max(x, 0) has slope 0 at 0.
      case Op::Max: return where(operand(0) > operand(1), d(e->operand(0)), d(e->operand(1)));
      case Op::Min: return where(operand(0) < operand(1), d(e->operand(0)), d(e->operand(1)));
      // No derivative flows through the condition.
      case Op::Where: return where(operand(0), d(e->operand(1)), d(e->operand(2)));
    }
    return num(0);
  }

  ExprContext& ctx_;
  std::string var_;
  std::unordered_map<ExprRef, ExprRef> memo_;
  std::unordered_map<ExprRef, bool> mentions_;
};

}  // namespace

ExprRef diff(ExprContext& ctx, ExprRef e, std::string_view var) {
  return Differentiator(ctx, var).d(e);
}

Derivatives derivatives(ExprContext& ctx, ExprRef e, std::string_view var, int order,
                        DerivativeLimits limits) {
  Derivatives result;
  result.orders.push_back(simplify(ctx, e));
  // Derivatives of most formulas grow by a steady factor per order (x^x's
  // by about 2.8). The next order is not computed when that growth says it
  // would be past the limit: it costs time in proportion to its size (x^x
  // of order 15 took 11 s to be refused once built).
  size_t previousNodes = 0, lastNodes = dagSize(result.orders.back());
  for (int k = 1; k <= order; ++k) {
    if (previousNodes > 0 && lastNodes > previousNodes) {
      double expected = static_cast<double>(lastNodes) * static_cast<double>(lastNodes) / static_cast<double>(previousNodes);
      if (expected > static_cast<double>(limits.maxNodes)) {
        result.error = fmt::format(
            "derivative of order {} would have about {:.0f} distinct nodes (order {} has {}, {:.2g} times order {}'s), "
            "more than the limit of {}",
            k, expected, k - 1, lastNodes, static_cast<double>(lastNodes) / static_cast<double>(previousNodes), k - 2,
            limits.maxNodes);
        return result;
      }
    }
    ExprRef next = simplify(ctx, diff(ctx, result.orders.back(), var));
    size_t nodes = dagSize(next);
    if (nodes > limits.maxNodes) {
      result.error = fmt::format(
          "derivative of order {} has {} distinct nodes, more than the limit of {}", k, nodes,
          limits.maxNodes);
      return result;
    }
    result.orders.push_back(next);
    previousNodes = lastNodes;
    lastNodes = nodes;
  }
  return result;
}

}  // namespace nnc::ir
