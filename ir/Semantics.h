#pragma once
// The meaning of each op on doubles, shared by the interpreter (the test
// oracle) and constant folding. The backend implements the same definitions;
// docs/language.md states them for users.
#include <cmath>

#include "ir/Expr.h"

namespace nnc::ir {

// Numerically stable on both sides: exp never overflows into inf/inf.
inline double sigmoid(double u) {
  if (u >= 0) return 1 / (1 + std::exp(-u));
  double e = std::exp(u);
  return e / (1 + e);
}
// log(1 + exp(u)) without overflow: max(u, 0) + log1p(exp(-|u|)).
inline double softplus(double u) { return std::max(u, 0.0) + std::log1p(std::exp(-std::abs(u))); }
inline double sign(double u) { return u > 0 ? 1 : (u < 0 ? -1 : u); }  // keeps 0 and NaN
// max/min propagate a NaN in their first operand (so relu(NaN) is NaN).
inline double maxOf(double a, double b) { return a < b ? b : a; }
inline double minOf(double a, double b) { return b < a ? b : a; }

// Applies `op` to already-evaluated operands.
inline double applyOp(Op op, const double* v) {
  switch (op) {
    case Op::Const:
    case Op::Var: return 0;  // leaves carry their own values
    case Op::Add: return v[0] + v[1];
    case Op::Sub: return v[0] - v[1];
    case Op::Mul: return v[0] * v[1];
    case Op::Div: return v[0] / v[1];
    case Op::Pow: return std::pow(v[0], v[1]);
    case Op::Neg: return -v[0];
    case Op::Lt: return v[0] < v[1];
    case Op::Le: return v[0] <= v[1];
    case Op::Gt: return v[0] > v[1];
    case Op::Ge: return v[0] >= v[1];
    case Op::Eq: return v[0] == v[1];
    case Op::Ne: return v[0] != v[1];
    case Op::Exp: return std::exp(v[0]);
    case Op::Expm1: return std::expm1(v[0]);
    case Op::Log: return std::log(v[0]);
    case Op::Log1p: return std::log1p(v[0]);
    case Op::Sqrt: return std::sqrt(v[0]);
    case Op::Abs: return std::abs(v[0]);
    case Op::Sign: return sign(v[0]);
    case Op::Sin: return std::sin(v[0]);
    case Op::Cos: return std::cos(v[0]);
    case Op::Tanh: return std::tanh(v[0]);
    case Op::Sinh: return std::sinh(v[0]);
    case Op::Cosh: return std::cosh(v[0]);
    case Op::Erf: return std::erf(v[0]);
    case Op::Sigmoid: return sigmoid(v[0]);
    case Op::Softplus: return softplus(v[0]);
    case Op::Max: return maxOf(v[0], v[1]);
    case Op::Min: return minOf(v[0], v[1]);
    case Op::Where: return v[0] != 0 ? v[1] : v[2];
  }
  return 0;
}

}  // namespace nnc::ir
