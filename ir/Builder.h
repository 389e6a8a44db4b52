#pragma once
// Builds Exprs with ordinary operators so rules read like the maths they
// implement: `s * (1 - s) * du`. An Ex is a node plus the context owning it.
#include "ir/Expr.h"

namespace nnc::ir {

class Ex {
public:
  Ex(ExprContext& ctx, ExprRef e) : ctx_(&ctx), e_(e) {}
  operator ExprRef() const { return e_; }
  ExprRef get() const { return e_; }
  ExprContext& ctx() const { return *ctx_; }
  Ex wrap(ExprRef e) const { return {*ctx_, e}; }
  Ex num(double v) const { return {*ctx_, ctx_->constant(v)}; }
  Ex apply(Op op) const { return wrap(ctx_->make(op, {e_})); }
  Ex apply(Op op, ExprRef b) const { return wrap(ctx_->make(op, {e_, b})); }
  Ex apply(Op op, ExprRef b, ExprRef c) const { return wrap(ctx_->make(op, {e_, b, c})); }

private:
  ExprContext* ctx_;
  ExprRef e_;
};

inline Ex operator+(Ex a, Ex b) { return a.apply(Op::Add, b); }
inline Ex operator-(Ex a, Ex b) { return a.apply(Op::Sub, b); }
inline Ex operator*(Ex a, Ex b) { return a.apply(Op::Mul, b); }
inline Ex operator/(Ex a, Ex b) { return a.apply(Op::Div, b); }
inline Ex operator-(Ex a) { return a.apply(Op::Neg); }
inline Ex operator+(Ex a, double b) { return a + a.num(b); }
inline Ex operator-(Ex a, double b) { return a - a.num(b); }
inline Ex operator*(Ex a, double b) { return a * a.num(b); }
inline Ex operator/(Ex a, double b) { return a / a.num(b); }
inline Ex operator+(double a, Ex b) { return b.num(a) + b; }
inline Ex operator-(double a, Ex b) { return b.num(a) - b; }
inline Ex operator*(double a, Ex b) { return b.num(a) * b; }
inline Ex operator/(double a, Ex b) { return b.num(a) / b; }
inline Ex pow(Ex a, Ex b) { return a.apply(Op::Pow, b); }
inline Ex pow(Ex a, double b) { return a.apply(Op::Pow, a.num(b)); }
inline Ex max(Ex a, Ex b) { return a.apply(Op::Max, b); }
inline Ex min(Ex a, Ex b) { return a.apply(Op::Min, b); }
inline Ex where(Ex c, Ex a, Ex b) { return c.apply(Op::Where, a, b); }
inline Ex operator<(Ex a, Ex b) { return a.apply(Op::Lt, b); }
inline Ex operator>(Ex a, Ex b) { return a.apply(Op::Gt, b); }
inline Ex operator<(Ex a, double b) { return a < a.num(b); }
inline Ex operator>(Ex a, double b) { return a > a.num(b); }
// A one-operand function: call(Op::Exp, u) is exp(u).
inline Ex call(Op op, Ex a) { return a.apply(op); }

}  // namespace nnc::ir
