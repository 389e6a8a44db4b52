#include "backend/StableForms.h"

#include "ir/Rewrite.h"

namespace nnc::backend {

namespace {

void addStableRules(ir::RuleSet& r) {
  using ir::Op;
  ir::Ex a = r.wildcard("a");
  // 1 - tanh(a)^2 loses everything once float32 tanh rounds to +-1 (|a| > 9):
  // the absolute error 1.2e-7 is then multiplied by whatever the chain rule
  // brings (gelu_tanh'' at x = -5.4 was off by 9e-6). 1/cosh(a)^2 keeps full
  // relative accuracy at the price of a cosh.
  r.rewrite(1 - pow(call(Op::Tanh, a), 2), 1 / pow(call(Op::Cosh, a), 2));
}

// Run after the rules above (which must still see tanh): fewer
// transcendental calls and divisions, at the same relative accuracy. mish's
// tanh(softplus(a)), and the cosh(softplus(a)) of its derivative, come from
// one exp instead of exp, log1p and tanh (or cosh). With n = exp(a),
// m = 1 + n = exp(softplus(a)) and p = n(n + 2) = m^2 - 1:
//   tanh(softplus(a)) = p / (p + 2),
//   cosh(softplus(a)) = (m + 1/m) / 2 = (p + 2) / (2m),
//   1 / cosh(softplus(a))^2 = 4 m^2 / (p + 2)^2,
// the last two sharing 1 / (p + 2): mish's backward loop divides once for
// them. Written with p rather than m^2 - 1 they keep full relative accuracy
// for a << 0 (p ~ 2n). a is capped at 20, where tanh(softplus(a)) is 1 in
// float32 (1 - 8e-18) and nothing overflows: p + 2 < 2.4e17. (Past the cap
// 1/cosh^2 stays 1.7e-17 instead of falling further, an absolute error
// below any float32 gradient's rounding.)
struct SoftplusForms {
  ir::Ex n, m, p, inverse;
  explicit SoftplusForms(ir::RuleSet& r, ir::Ex a)
      : n(call(ir::Op::Exp, min(a, r.num(20)))), m(1 + n), p(n * (n + 2)), inverse(1 / (p + 2)) {}
};

// Whole-expression forms, matched before their inner cosh is rewritten
// (rewriting goes bottom-up, one rule set per walk).
void addSquaredFormRules(ir::RuleSet& r) {
  using ir::Op;
  ir::Ex a = r.wildcard("a");
  SoftplusForms f(r, a);
  r.rewrite(1 / pow(call(Op::Cosh, call(Op::Softplus, a)), 2), 4 * pow(f.m, 2) * pow(f.inverse, 2));
}

void addFasterRules(ir::RuleSet& r) {
  using ir::Op;
  ir::Ex a = r.wildcard("a");
  SoftplusForms f(r, a);
  r.rewrite(call(Op::Tanh, call(Op::Softplus, a)), f.p * f.inverse);
  // sigmoid(a) = n / m: the exp softplus' forms take anyway (mish's
  // derivative has both), accurate at both ends (n / m ~ n for a << 0, and
  // 1 - 2e-9 rounds to 1 at the cap).
  r.rewrite(call(Op::Sigmoid, a), f.n / f.m);
  r.rewrite(call(Op::Cosh, call(Op::Softplus, a)), (f.p + 2) / (2 * f.m));
}

const ir::RuleSet& stableRules() {
  static ir::RuleSet rules;
  static const bool filled = (addStableRules(rules), true);
  (void)filled;
  return rules;
}

const ir::RuleSet& squaredFormRules() {
  static ir::RuleSet rules;
  static const bool filled = (addSquaredFormRules(rules), true);
  (void)filled;
  return rules;
}

const ir::RuleSet& fasterRules() {
  static ir::RuleSet rules;
  static const bool filled = (addFasterRules(rules), true);
  (void)filled;
  return rules;
}

}  // namespace

ir::ExprRef stableForms(ir::ExprContext& ctx, ir::ExprRef e) {
  for (const ir::RuleSet* rules : {&stableRules(), &squaredFormRules(), &fasterRules()})
    e = ir::rewriteEverywhere(ctx, e, *rules);
  return e;
}

}  // namespace nnc::backend
