// The simplifier's rewrite rules, one identity per line. Sums and products
// are put in canonical form by Simplify.cpp (so `x*1`, `x + 0`, `x - x`,
// `2*x + 3*x` need no rule here); these cover everything else.
#include "ir/Rewrite.h"
#include "ir/Simplify.h"

namespace nnc::ir {

namespace {

bool isComparison(ExprRef e) { return e->info().kind == OpKind::Compare; }

void addRules(RuleSet& r) {
  Ex a = r.wildcard("a"), b = r.wildcard("b"), c = r.wildcard("c");
  // (Integer powers of powers and products, like (x^2)^3, are merged by the
  // canonical products of Simplify.cpp.)
  auto comparison = [](const Bindings& m) { return isComparison(m.at("?c")); };
  auto positive = [](const Bindings& m) { return isProvablyPositive(m.at("?a")); };

  // Powers
  r.rewrite(pow(a, 1), a);
  r.rewrite(pow(a, 0), r.num(1));  // as C's pow: 0^0 = 1
  r.rewrite(pow(r.num(1), a), r.num(1));
  r.rewrite(pow(call(Op::Sqrt, a), 2), a, positive);
  r.rewrite(call(Op::Sqrt, pow(a, 2)), call(Op::Abs, a));
  r.rewrite(pow(call(Op::Exp, a), b), call(Op::Exp, a * b));
  // Exponentials and logarithms
  r.rewrite(call(Op::Log, call(Op::Exp, a)), a);
  r.rewrite(call(Op::Exp, call(Op::Log, a)), a, positive);
  r.rewrite(call(Op::Log, a + 1), call(Op::Log1p, a));  // sums put constants last
  r.rewrite(call(Op::Exp, a) - 1, call(Op::Expm1, a));
  // Symmetry: even functions drop a sign, odd ones move it out.
  r.rewrite(call(Op::Abs, -a), call(Op::Abs, a));
  r.rewrite(call(Op::Cos, -a), call(Op::Cos, a));
  r.rewrite(call(Op::Cosh, -a), call(Op::Cosh, a));
  r.rewrite(call(Op::Sin, -a), -call(Op::Sin, a));
  r.rewrite(call(Op::Tanh, -a), -call(Op::Tanh, a));
  r.rewrite(call(Op::Sinh, -a), -call(Op::Sinh, a));
  r.rewrite(call(Op::Erf, -a), -call(Op::Erf, a));
  r.rewrite(call(Op::Sign, -a), -call(Op::Sign, a));
  // Idempotence
  r.rewrite(call(Op::Abs, call(Op::Abs, a)), call(Op::Abs, a));
  r.rewrite(call(Op::Sign, call(Op::Sign, a)), call(Op::Sign, a));
  r.rewrite(call(Op::Abs, a), a, positive);
  r.rewrite(call(Op::Sign, a), r.num(1), positive);
  r.rewrite(max(a, a), a);
  r.rewrite(min(a, a), a);
  // Selections: a comparison already is 1 or 0.
  r.rewrite(where(c, a, a), a);
  r.rewrite(where(c, r.num(1), r.num(0)), c, comparison);
  r.rewrite(where(c, r.num(0), r.num(1)), 1 - c, comparison);
}

}  // namespace

const RuleSet& simplifierRules() {
  static RuleSet rules;
  static const bool filled = (addRules(rules), true);
  (void)filled;
  return rules;
}

}  // namespace nnc::ir
